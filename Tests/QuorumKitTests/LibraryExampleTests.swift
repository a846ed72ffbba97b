import Aggregation
import Foundation
import QuorumKit
import Report
import RunStore
import ScalingCore
import Testing
import TestSupport

/// The README's library example, compiled and run here: the code between the markers is
/// the README's code block, character for character (the second test checks that), so the
/// example a newcomer copies always builds and works on the real default model.
@Suite(.serialized)
struct LibraryExampleTests {
    /// Runs the example in a scratch folder (it writes `runs.sqlite` where it runs) and
    /// returns what it printed.
    @Test func theReadmeExampleRunsOnTheDefaultModel() async throws {
        _ = try TestPaths.defaultModel()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-library-example-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var printed: [String] = []
        func print(_ items: Any...) { printed.append(items.map { "\($0)" }.joined(separator: " ")) }
        // The example writes `runs.sqlite` where it runs: here, the scratch folder.
        let previousDirectory = FileManager.default.currentDirectoryPath
        FileManager.default.changeCurrentDirectoryPath(folder.path)
        defer { FileManager.default.changeCurrentDirectoryPath(previousDirectory) }

        // README example begins
        // One question, eight samples from the embedded default model, a majority vote.
        let backend = try ModelBackend.embedded("smollm2-135m-instruct")
        let vote = try StrategySpec(parsing: "self-consistency:8").makeStrategy()
        let question = ProblemPrompt.messages([ChatMessage(role: "user", content: "What is 12 + 30?")])
        let result = try await vote.answer(question, using: StrategyContext(
            provider: backend.provider, parameters: SamplingParameters(temperature: 0.7), contextWindow: backend.contextWindow))
        print(result.extractedAnswer ?? "no answer", "|", result.summary())

        // A data set run: 4 samples for each of the first 5 GSM8K problems, verified and
        // stored (run it again and it resumes), then pass@k and majority vote from the store.
        var specification = RunSpecification(dataset: "gsm8k")
        specification.limit = 5
        specification.samplesPerProblem = 4
        let run = try specification.prepare()
        let store = try RunStore(path: "runs.sqlite")
        let outcome = try await run.sample(store: store)
        print("run", run.runID, "stored", outcome.produced, "new samples")
        for curve in try run.report(store: store).curves where curve.kind == .coverage || curve.kind == .majority {
            print(curve.name, curve.points.map { "k=\($0.k): \($0.value)" }.joined(separator: ", "))
        }
        // README example ends

        // What the example shows must be true of what it did.
        guard case .vote(let evidence) = result.evidence else { Issue.record("self-consistency gave \(result.evidence)"); return }
        #expect(evidence.samples.count == 8)
        #expect(outcome.produced + outcome.alreadyStored == 20)
        let stored = try store.samples(runID: run.runID)
        #expect(stored.count == 20)
        #expect(Set(stored.map(\.problemID)).count == 5)
        // pass@1 printed from the report equals the stored verdicts' mean, computed here directly.
        let passRate = Double(stored.filter { $0.verdict.outcome == .passed }.count) / Double(stored.count)
        let coverageLine = try #require(printed.first { $0.contains("k=1:") && !$0.contains("majority") })
        let printedPassAt1 = try #require(Double(coverageLine.components(separatedBy: "k=1: ")[1].prefix { $0 != "," }))
        #expect(abs(printedPassAt1 - passRate) < 1e-9)
        #expect(printed.count >= 4)
    }

    @Test func theReadmeShowsExactlyTheTestedExample() throws {
        let source = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
        let readme = try String(contentsOf: TestPaths.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let tested = try #require(Self.between("// README example begins\n", "        // README example ends", in: source))
        // The test indents the example by 8 spaces; the README shows it flush left.
        let example = tested.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("        ") ? String($0.dropFirst(8)) : String($0) }.joined(separator: "\n")
        #expect(readme.contains("```swift\n" + example + "```"),
                "README.md's library example differs from LibraryExampleTests; copy the tested code into the README.")
    }

    static func between(_ start: String, _ end: String, in text: String) -> String? {
        guard let a = text.range(of: start), let b = text.range(of: end, range: a.upperBound ..< text.endIndex) else { return nil }
        return String(text[a.upperBound ..< b.lowerBound])
    }
}
