import Foundation
import ScalingCore
import Testing
import Verifiers

/// The python-tests verifier against the data sets' own reference solutions: a
/// verifier that passes them all and fails their empty bodies grades like the
/// upstream harnesses (HumanEval's `check(candidate)`, MBPP's asserts).
@Suite struct CodeDatasetTests {
    @Test func humanEvalCanonicalSolutionsAllPass() async throws {
        let problems = try CodeTestSupport.humanEval()
        #expect(problems.count == 164)
        let verifier = PythonTestsVerifier(sandbox: try CodeTestSupport.sandbox())
        let pairs = problems.map { (($0.metadata["canonical_solution"]?.stringValue ?? ""), $0) }
        let verdicts = await CodeTestSupport.verifyAll(verifier, pairs)
        let failures = zip(problems, verdicts).filter { $0.1.outcome != .passed }
        #expect(failures.isEmpty, "\(failures.count) canonical solutions did not pass: \(failures.prefix(5).map { "\($0.0.id): \($0.1.outcome) \($0.1.detail ?? "")" })")
    }

    @Test func humanEvalPassBodiesAllFail() async throws {
        let problems = try CodeTestSupport.humanEval()
        let verifier = PythonTestsVerifier(sandbox: try CodeTestSupport.sandbox())
        let verdicts = await CodeTestSupport.verifyAll(verifier, problems.map { ("    pass\n", $0) })
        let wrong = zip(problems, verdicts).filter { $0.1.outcome != .failed || $0.1.detail == nil }
        #expect(wrong.isEmpty, "\(wrong.count) `pass` bodies were not failed: \(wrong.prefix(5).map { "\($0.0.id): \($0.1.outcome) \($0.1.detail ?? "")" })")
    }

    @Test(arguments: [false, true])
    func mbppReferenceSolutionsAllPass(sanitized: Bool) async throws {
        let problems = try CodeTestSupport.mbpp(sanitized: sanitized)
        #expect(problems.count == (sanitized ? 427 : 974))
        let verifier = PythonTestsVerifier(sandbox: try CodeTestSupport.sandbox())
        let pairs = problems.map { (($0.metadata["code"]?.stringValue ?? ""), $0) }
        let verdicts = await CodeTestSupport.verifyAll(verifier, pairs)
        let failures = zip(problems, verdicts).filter { $0.1.outcome != .passed }
        #expect(failures.isEmpty, "\(failures.count) MBPP references did not pass: \(failures.prefix(5).map { "\($0.0.id): \($0.1.outcome) \($0.1.detail ?? "")" })")
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
