import Foundation
import Report
import Testing

/// Problems without samples are shown in every output (issue 20, finding 1).
struct UnsampledReportTests {
    static func input(countAsUnsolved: Bool = true) -> ReportInput {
        var run = SampleReport.twoRuns().runs[0]
        run.unsampledProblems = [
            UnsampledProblemNote(id: "gsm8k-17", reason: "The prompt has 9031 tokens; the model's context holds 8192", permanent: true),
            UnsampledProblemNote(id: "gsm8k-22", reason: "gave up after 3 attempts", permanent: false),
        ]
        run.unsampledCountAsUnsolved = countAsUnsolved
        return ReportInput(title: "unsampled", generatedAt: Date(timeIntervalSince1970: 1_795_000_000), runs: [run])
    }

    @Test func everyOutputNamesTheUnsampledProblems() throws {
        let input = Self.input()
        let terminal = TerminalTable.render(input)
        #expect(terminal.contains("UNSAMPLED: 2 of 30 problems have no sample (1 failed permanently: a retry cannot help); every score counts them as unsolved: gsm8k-17 (The prompt has 9031 tokens"))
        let html = HTMLReport.render(input)
        #expect(html.contains("<h4>Unsampled problems</h4>") && html.contains("gsm8k-22 (gave up after 3 attempts)"))
        #expect(html.contains("30 × 16 (2 unsampled)"))
        // The JSON carries them and reads back.
        let decoded = try ReportTables.decode(Data(try ReportTables.json(input).utf8))
        #expect(decoded == input)
        #expect(Self.input(countAsUnsolved: false).runs[0].unsampledSummary()?.contains("EXCLUDES them (it is over the 30 sampled problems only)") == true)
        #expect(Self.input(countAsUnsolved: false).runs[0].datasetProblemCount == 32)
    }

    @Test func reportsWrittenBeforeKeepReading() throws {
        // A report.json from before unsampled problems were recorded has neither key.
        let input = SampleReport.twoRuns()
        var object = try #require(try JSONSerialization.jsonObject(with: Data(try ReportTables.json(input).utf8)) as? [String: Any])
        var runs = try #require(object["runs"] as? [[String: Any]])
        #expect(runs[0]["unsampledProblems"] != nil)
        for i in runs.indices {
            runs[i].removeValue(forKey: "unsampledProblems")
            runs[i].removeValue(forKey: "unsampledCountAsUnsolved")
        }
        object["runs"] = runs
        let decoded = try ReportTables.decode(try JSONSerialization.data(withJSONObject: object))
        #expect(decoded.runs.allSatisfy { $0.unsampledProblems.isEmpty && $0.unsampledCountAsUnsolved })
        #expect(decoded.runs.map(\.id) == input.runs.map(\.id))
        #expect(TerminalTable.render(decoded).contains("UNSAMPLED") == false)
    }
}
