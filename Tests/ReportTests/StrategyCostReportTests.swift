import Foundation
import Report
import Testing

/// Strategies at equal compute: the tokens chart and the accuracy-and-cost table.
struct StrategyCostReportTests {
    /// Two problems; a vote curve (one call, 50 prompt and 10k completion tokens per problem)
    /// and a synthesis curve that spends an extra call of 400 prompt tokens per problem.
    static let run = RunReport(
        id: "r", label: "run", model: "m", dataset: "d", problemCount: 2, samplesPerProblem: 4,
        curves: [
            Curve(name: "coverage (pass@k)", kind: .coverage, points: [1, 2, 4].map { k in
                CurvePoint(k: k, value: 0.1 * Double(k), cost: Cost(promptTokens: 100, completionTokens: 20 * k, seconds: Double(k), flops: 1e9 * Double(k), modelCalls: 2))
            }),
            Curve(name: "self-consistency", kind: .other, points: [1, 2, 4].map { k in
                CurvePoint(k: k, value: 0.05 * Double(k), cost: Cost(promptTokens: 100, completionTokens: 20 * k, seconds: Double(k), modelCalls: 2), tieRate: 0.25)
            }, details: "exact; ties counted as a uniform tie-break"),
            Curve(name: "self-moa:4", kind: .other, points: [1, 4].map { k in
                CurvePoint(k: k, value: 0.2, cost: Cost(promptTokens: 900, completionTokens: 20 * k + 30, seconds: 10, modelCalls: 4))
            }),
        ])

    @Test func tokensChartPlacesEachPointAtItsTokensPerProblem() {
        let chart = StrategyCostReport.tokenChart(Self.run)
        #expect(chart.series.map(\.label) == ["coverage (pass@k)", "self-consistency", "self-moa:4"])
        // (prompt + completion) / problems: (100 + 20k) / 2 and (900 + 20k + 30) / 2.
        #expect(chart.series[0].points.map(\.x) == [60, 70, 90])
        #expect(chart.series[2].points.map(\.x) == [475, 505])
        #expect(chart.series[2].points.map(\.y) == [0.2, 0.2])
        #expect(chart.svg(id: "t").contains("self-moa:4"))
    }

    @Test func tableShowsCostPerProblemAndTies() {
        let html = StrategyCostReport.table(Self.run)
        // self-moa:4 at k = 4: 4 calls / 2 problems, 900 / 2 prompt tokens, 110 / 2 completion tokens, 10 s / 2.
        #expect(html.contains("<tr><td>self-moa:4</td><td class=\"num\">4</td><td class=\"num\">20.0%</td><td class=\"num\">2</td><td class=\"num\">450</td><td class=\"num\">55</td>"))
        #expect(html.contains("25.0%"))   // the vote's tie rate
        #expect(html.contains("exact; ties counted as a uniform tie-break"))
        // A report without costs has no such table.
        var bare = Self.run
        bare.curves = bare.curves.map { Curve(name: $0.name, kind: $0.kind, points: $0.points.map { CurvePoint(k: $0.k, value: $0.value) }) }
        #expect(StrategyCostReport.table(bare).isEmpty)
    }

    @Test func costsSurviveTheJSONRoundTrip() throws {
        let input = ReportInput(title: "t", generatedAt: Date(timeIntervalSince1970: 0), runs: [Self.run])
        let decoded = try JSONDecoder().decode(ReportInput.self, from: try JSONEncoder().encode(input))
        #expect(decoded == input)
        // A report written before costs existed still reads.
        let old = #"{"id":"r","label":"l","model":"m","dataset":"d","configuration":{},"problemCount":1,"samplesPerProblem":1,"curves":[{"name":"c","kind":"coverage","points":[{"k":1,"value":0.5}]}],"solveRates":[],"cost":{},"notes":[]}"#
        let run = try JSONDecoder().decode(RunReport.self, from: Data(old.utf8))
        #expect(run.curves[0].points[0].cost == nil && run.curves[0].details == nil)
    }
}
