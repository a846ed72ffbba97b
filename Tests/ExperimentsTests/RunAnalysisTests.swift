import Experiments
import Foundation
import Metrics
import Report
import RunStore
import ScalingCore
import Testing

struct RunAnalysisTests {
    /// Three problems, four samples each, with known answers:
    /// p0: 2 of 4 correct, answers "1/2", "0.5", "3", nothing (the first two are one class);
    /// p1: never correct; p2: always correct.
    static func store() throws -> (RunStore, String) {
        let store = try RunStore(path: FileManager.default.temporaryDirectory.appendingPathComponent("quorum-analysis-\(UUID().uuidString).sqlite").path)
        let configuration = SamplingRunTests.configuration()
        var c = configuration
        c.verifier = .math
        let run = try store.beginRun(c)
        let table: [(String, [(String?, Bool, Int)])] = [
            ("p0", [("\\frac{1}{2}", true, 10), ("0.5", true, 20), ("3", false, 30), (nil, false, 40)]),
            ("p1", [("7", false, 10), ("8", false, 10), ("7", false, 10), ("9", false, 10)]),
            ("p2", [("4", true, 10), ("4", true, 10), ("4", true, 10), ("4", true, 10)]),
        ]
        for (problem, rows) in table {
            for (i, row) in rows.enumerated() {
                try store.insert(SampleRecord(
                    problemID: problem, sampleIndex: i, seed: UInt64(i),
                    completion: Completion(text: "t", finishReason: .stop, promptTokens: 100, completionTokens: row.2, seconds: 0.5,
                                           logprobSum: -Double((i + 1) * row.2)),
                    verdict: Verdict(row.1 ? .passed : .failed, extracted: row.0)), runID: run)
            }
        }
        return (store, run)
    }

    @Test func curvesMatchHandComputedValues() throws {
        let (store, run) = try Self.store()
        let shape = ModelShape(parameters: 1e6, layers: 2, width: 8)
        let report = try RunAnalysis(modelShape: shape, bootstrapResamples: 200).report(runID: run, store: store)
        #expect(report.problemCount == 3 && report.samplesPerProblem == 4)
        let coverage = try #require(report.curve(.coverage))
        // pass@1 = mean solve rate = (2/4 + 0 + 1) / 3; pass@4 = solved problems / 3.
        #expect(abs(coverage.point(atK: 1)!.value - 0.5) < 1e-12)
        #expect(abs(coverage.point(atK: 4)!.value - 2.0 / 3) < 1e-12)
        // pass@2 for p0: 1 - C(2,2)/C(4,2) = 5/6.
        #expect(abs(coverage.point(atK: 2)!.value - (5.0 / 6 + 0 + 1) / 3) < 1e-12)
        // maj@4: p0's class {1/2, 0.5} has 2 votes vs 1 for "3": correct; p1 wrong; p2 right.
        let majority = try #require(report.curve(.majority))
        #expect(abs(majority.point(atK: 4)!.value - 2.0 / 3) < 1e-12)
        // Without equivalence, "1/2" and "0.5" would tie with "3" at one vote each (2/3 chance).
        let classes = RunAnalysis.answerClasses([Verdict(.passed, extracted: "\\frac{1}{2}"), Verdict(.passed, extracted: "0.5"),
                                                 Verdict(.failed, extracted: "3"), Verdict(.failed)], verifier: .math)
        #expect(classes == [.integer(0), .integer(0), .integer(1), nil])
        // best-of-N by mean logprob (-1, -2, -3, -4 per problem): sample 0 scores highest, so best-of-4 picks it.
        let best = try #require(report.curve(.bestOfN))
        #expect(abs(best.point(atK: 4)!.value - 2.0 / 3) < 1e-12)
        // Intervals bracket the estimates.
        for point in coverage.points { #expect(point.lower! <= point.value + 1e-12 && point.value <= point.upper! + 1e-12) }
        // FLOPs at k: prompts once plus k times the mean completion length, per problem.
        // Context: the mean prompt + completion length, (12 * 100 + 180) / 12 = 115 tokens.
        let perToken = shape.flopsPerToken(contextLength: 115)
        let expected = (300 + 25 * 1 + 10 * 1 + 10 * 1) * perToken
        #expect(abs(coverage.point(atK: 1)!.flops! - Double(expected)) < 1)
        #expect(report.cost.completionTokens == 100 + 40 + 40)
        #expect(report.solveRates == [0.5, 0, 1])
    }

    @Test func reportFilesAreWrittenFromAnalysis() throws {
        let (store, run) = try Self.store()
        let report = try RunAnalysis(bootstrapResamples: 100).report(runID: run, store: store)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-report-\(UUID().uuidString)")
        let files = try ReportFiles.write(ReportInput(title: "test", generatedAt: Date(), runs: [report]), to: folder)
        #expect(files.count == ReportFiles.names.count)
        let html = try String(contentsOf: folder.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("<svg"))
    }
}
