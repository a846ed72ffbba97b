import Foundation
import Report
import RunStore
import ScalingCore
import TestSupport
import Testing

/// `quorum run`, `runs` and `report` on the real model with a problem longer than its context.
@Suite(.serialized)
struct UnsampledProblemCommandTests {
    static func quorum(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try TestPaths.quorumBinary())
        process.arguments = arguments
        let logPath = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-unsampled-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: logPath.path, contents: nil)
        let log = try FileHandle(forWritingTo: logPath)
        process.standardOutput = log
        process.standardError = log
        try process.run()
        process.waitUntilExit()
        try log.close()
        return (process.terminationStatus, try String(contentsOf: logPath, encoding: .utf8))
    }

    @Test func aPromptOverTheContextIsReportedEverywhereAndFailsTheCommand() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-unsampled-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        // 10,000 words: over SmolLM2's 8,192-token context, though small enough to tokenise.
        let long = "Add these numbers: " + (0..<10_000).map { _ in "one" }.joined(separator: " ") + ". What is the total?"
        // 6 MB: refused before tokenising.
        let huge = String(repeating: "lorem ipsum ", count: 500_000)
        let dataset = folder.appendingPathComponent("overflow.jsonl")
        let records: [[String: Any]] = [
            ["id": "long", "prompt": long, "answer": 10_000], ["id": "huge", "prompt": huge, "answer": 0],
            ["id": "small", "prompt": "What is 2+2?", "answer": 4],
        ]
        try records.map { String(decoding: try JSONSerialization.data(withJSONObject: $0), as: UTF8.self) }.joined(separator: "\n")
            .write(to: dataset, atomically: true, encoding: .utf8)
        let store = folder.appendingPathComponent("runs.sqlite").path
        let common = ["--dataset", dataset.path, "-n", "2", "--max-tokens", "8", "--store", store, "--quiet", "--verifier", "math"]

        let first = try Self.quorum(["run"] + common)
        #expect(first.status != 0, "\(first.output)")
        #expect(first.output.contains("2 of 3 problems have no sample"), "\(first.output)")
        #expect(first.output.contains("long (permanent): The prompt has") && first.output.contains("8192"), "\(first.output)")
        #expect(first.output.contains("huge (permanent):") && first.output.contains("refused before tokenising"), "\(first.output)")
        #expect(first.output.contains("4 failed permanently"), "\(first.output)")
        #expect(first.output.contains("--allow-unsampled"), "\(first.output)")
        #expect(first.output.contains("UNSAMPLED: 2 of 3 problems have no sample"), "\(first.output)")

        // Tolerated on request; the permanent failures are not asked for again.
        let again = try Self.quorum(["run"] + common + ["--allow-unsampled"])
        #expect(again.status == 0, "\(again.output)")
        #expect(again.output.contains("stored 0 new samples") && again.output.contains("4 skipped"), "\(again.output)")

        let runs = try Self.quorum(["runs", "--store", store])
        #expect(runs.status == 0)
        let row = try #require(runs.output.split(separator: "\n").first { $0.contains("overflow.jsonl") })
        let header = try #require(runs.output.split(separator: "\n").first { $0.contains("UNSAMPLED") })
        #expect(header.contains("PROBLEMS") && row.split(separator: " ").contains("3") && row.split(separator: " ").contains("2"), "\(runs.output)")
        #expect(runs.output.contains("huge (permanent): The prompt has") && runs.output.contains("long (permanent): The prompt has"), "\(runs.output)")

        let reportFolder = folder.appendingPathComponent("report")
        let report = try Self.quorum(["report", "--store", store, "-o", reportFolder.path, "--bootstrap", "20"])
        #expect(report.status == 0, "\(report.output)")
        let json = try ReportTables.decode(try Data(contentsOf: reportFolder.appendingPathComponent("report.json")))
        let run = try #require(json.runs.first)
        #expect(run.problemCount == 3)
        #expect(Set(run.unsampledProblems.map(\.id)) == ["long", "huge"] && run.unsampledProblems.allSatisfy(\.permanent))
        #expect(run.solveRates.count == 3)
        let html = try String(contentsOf: reportFolder.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("Unsampled problems") && html.contains("2 of 3 problems have no sample"))
    }
}
