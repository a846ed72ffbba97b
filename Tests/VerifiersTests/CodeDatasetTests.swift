import Foundation
import ScalingCore
import Testing
import Verifiers

/// The python-tests verifier against the data sets' own reference solutions: a
/// verifier that passes them all and fails their empty bodies grades like the
/// upstream harnesses (HumanEval's `check(candidate)`, MBPP's asserts).
@Suite struct CodeDatasetTests {
    /// Grades every (completion, problem) pair and lists the ones whose verdict is not `expected`
    /// (a `.failed` must also say why).
    private func mismatches(_ pairs: [(String, Problem)], expected: Verdict.Outcome) async throws -> [String] {
        let verdicts = await CodeTestSupport.verifyAll(PythonTestsVerifier(sandbox: try CodeTestSupport.sandbox()), pairs)
        return zip(pairs, verdicts)
            .filter { $0.1.outcome != expected || (expected == .failed && $0.1.detail == nil) }
            .map { "\($0.0.1.id): \($0.1.outcome) \($0.1.detail ?? "")" }
    }

    @Test func humanEvalCanonicalSolutionsAllPass() async throws {
        let problems = try CodeTestSupport.humanEval()
        #expect(problems.count == 164)
        let wrong = try await mismatches(problems.map { ($0.metadata["canonical_solution"]?.stringValue ?? "", $0) }, expected: .passed)
        #expect(wrong.isEmpty, "\(wrong.count) canonical solutions did not pass: \(wrong.prefix(5))")
    }

    @Test func humanEvalPassBodiesAllFail() async throws {
        let problems = try CodeTestSupport.humanEval()
        let wrong = try await mismatches(problems.map { ("    pass\n", $0) }, expected: .failed)
        #expect(wrong.isEmpty, "\(wrong.count) `pass` bodies were not failed: \(wrong.prefix(5))")
    }

    @Test(arguments: [false, true])
    func mbppReferenceSolutionsAllPass(sanitized: Bool) async throws {
        let problems = try CodeTestSupport.mbpp(sanitized: sanitized)
        #expect(problems.count == (sanitized ? 427 : 974))
        let wrong = try await mismatches(problems.map { ($0.metadata["code"]?.stringValue ?? "", $0) }, expected: .passed)
        #expect(wrong.isEmpty, "\(wrong.count) MBPP references did not pass: \(wrong.prefix(5))")
    }

    @Test func mbppFailureNamesTheFailingTestCase() async throws {
        let problem = try #require(try CodeTestSupport.mbpp(sanitized: false).first { $0.id == "mbpp/2" })
        let tests = try #require(problem.reference.tests)
        // similar_elements returns the shared elements; returning the first tuple fails case 1.
        let completion = "def similar_elements(test_tup1, test_tup2):\n    return test_tup1\n"
        let verdict = await PythonTestsVerifier(sandbox: try CodeTestSupport.sandbox()).verify(completion, for: problem)
        #expect(verdict.outcome == .failed)
        #expect(verdict.detail == "test case 1 of \(tests.testCases.count) failed: \(tests.testCases[0].trimmingCharacters(in: .whitespaces))")
    }

    @Test func fencedChatCompletionWithTheWholeFunctionPasses() async throws {
        let problem = try #require(try CodeTestSupport.humanEval().first)
        let solution = try #require(problem.metadata["canonical_solution"]?.stringValue)
        guard case .text(let prompt) = problem.prompt else { Issue.record("HumanEval prompt is not text"); return }
        // A chat model repeats the signature (without the prompt's imports) inside a fence, with prose around it.
        let function = prompt.split(separator: "\n", omittingEmptySubsequences: false)
            .drop { !$0.hasPrefix("def ") }.joined(separator: "\n") + solution
        let completion = "Here is my solution:\n\n```python\n\(function)\n```\n\nIt compares every pair."
        let verdict = await PythonTestsVerifier(sandbox: try CodeTestSupport.sandbox()).verify(completion, for: problem)
        #expect(verdict.outcome == .passed, "\(verdict.detail ?? "")")
        #expect(verdict.extracted == function)
    }
}
