import Datasets
import Experiments
import Foundation
import ScalingCore
import TestSupport
import Testing
import Verifiers

/// `quorum verify`'s library half: samples written elsewhere, graded against the data sets' own answers.
struct SampleGradingTests {
    static func write(_ lines: [String]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-samples-\(UUID().uuidString).jsonl").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func json(_ object: [String: Any]) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    @Test func gsm8kAnswersAreGradedAgainstTheGold() async throws {
        let problems = Array(try Dataset.load(path: TestPaths.sharedDataFile("gsm8k/test.jsonl").path).problems.prefix(3))
        var lines: [String] = []
        for p in problems {
            let gold = Int(p.reference.answer!)!
            lines.append(Self.json(["problem_id": p.id, "completion": "Reasoning... #### \(gold)"]))
            lines.append(Self.json(["problem_id": p.id, "completion": "Reasoning... #### \(gold + 1)"]))
        }
        let graded = try await SampleGrading.grade(try SampleGrading.readSamples(path: Self.write(lines)),
                                                   problems: problems, verifier: MathVerifier())
        #expect(graded.map(\.verdict.isCorrect) == [true, false, true, false, true, false])
        let result = SampleGrading.resultLine(graded[0])
        #expect(result.contains("\"passed\":true") && result.contains("\"outcome\":\"passed\"") && result.contains("\"problem_id\""))
    }

    @Test func humanEvalSamplesInHumanEvalsOwnFormat() async throws {
        let problems = Array(try Dataset.load(path: TestPaths.sharedDataFile("humaneval/HumanEval.jsonl.gz").path).problems.prefix(2))
        var lines: [String] = []
        for p in problems {
            let canonical = p.metadata["canonical_solution"]!.stringValue!
            lines.append(Self.json(["task_id": p.id, "completion": canonical]))
            lines.append(Self.json(["task_id": p.id, "completion": "    pass\n"]))
        }
        let graded = try await SampleGrading.grade(try SampleGrading.readSamples(path: Self.write(lines)),
                                                   problems: problems, verifier: PythonTestsVerifier(sandbox: try Sandbox()))
        #expect(graded.map(\.verdict.outcome) == [.passed, .failed, .passed, .failed])
    }

    @Test func badSamplesFilesSayWhatIsWrong() async throws {
        do {
            _ = try SampleGrading.readSamples(path: Self.write([Self.json(["task_id": "x", "completion": "a"]), Self.json(["task_id": "y"])]))
            Issue.record("accepted a line without a completion")
        } catch {
            #expect("\(error)".contains("line 2: no completion"))
        }
        do {
            _ = try SampleGrading.readSamples(path: Self.write(["{not json"]))
            Issue.record("accepted bad JSON")
        } catch {
            #expect("\(error)".contains("line 1: not a JSON object"))
        }
        let problems = [Problem(id: "a", prompt: .text("q"), reference: ProblemReference(answer: "1"))]
        do {
            _ = try await SampleGrading.grade(try SampleGrading.readSamples(path: Self.write([Self.json(["id": "zzz", "output": "1"])])),
                                              problems: problems, verifier: MathVerifier())
            Issue.record("graded a sample of an unknown problem")
        } catch {
            #expect("\(error)".contains("problem 'zzz' is not in the data set"))
        }
    }
}
