import Foundation

/// Strategies compared at equal compute: each curve's accuracy against the tokens it spent,
/// and a table of every curve's accuracy and cost at the table budgets.
public enum StrategyCostReport {
    /// One run's curves against the tokens (prompt + completion) processed per problem, on a
    /// log axis: strategies that spend calls beyond the samples (aggregation, judging) sit to
    /// the right of the votes that reach the same k. Points without a recorded cost are left out.
    public static func tokenChart(_ run: RunReport) -> LineChart {
        var series: [ChartSeries] = []
        var lowest = Double.infinity, highest = 0.0
        let problems = Double(max(run.problemCount, 1))
        for (curve, color) in zip(run.curves, ReportCharts.colors(run.curves)) {
            let points = curve.plottable.compactMap { point -> ChartPoint? in
                guard let tokens = point.cost?.totalTokens, tokens > 0 else { return nil }
                let perProblem = Double(tokens) / problems
                lowest = min(lowest, perProblem)
                highest = max(highest, perProblem)
                return ChartPoint(x: perProblem, y: point.value,
                                  tooltip: ReportCharts.tooltip(run: run, curve: curve, point: point) + "\n" + costLine(point.cost!, problems: run.problemCount))
            }
            guard !points.isEmpty else { continue }
            series.append(ChartSeries(label: curve.name, color: color, points: points, lineWidth: curve.kind == .coverage ? 2.4 : 2))
        }
        if lowest == highest, lowest.isFinite { lowest /= 2; highest *= 2 }
        return LineChart(
            title: "Accuracy against tokens: \(run.label)",
            description: "Coverage, selection and strategy accuracy of \(run.label) against the prompt and completion tokens spent per problem.",
            xAxis: ChartAxis(scale: LogScale(domain: lowest.isFinite ? lowest...highest : 1...10), title: "tokens per problem, prompt + completion (log scale)"),
            yAxis: ChartAxis(scale: ReportCharts.percentScale, title: "accuracy"),
            series: series, width: 600, emptyMessage: "No costs recorded for this run's curves")
    }

    /// Per-problem cost of a point, one line: calls, tokens in/out, time, FLOPs.
    static func costLine(_ cost: Cost, problems: Int) -> String {
        let p = Double(max(problems, 1))
        var parts: [String] = []
        if let calls = cost.modelCalls { parts.append("\(ReportFormat.trimmed(calls / p, decimals: 2)) calls") }
        if let tokensIn = cost.promptTokens, let tokensOut = cost.completionTokens {
            parts.append("\(ReportFormat.grouped(Int((Double(tokensIn) / p).rounded()))) / \(ReportFormat.grouped(Int((Double(tokensOut) / p).rounded()))) tokens in/out")
        }
        if let seconds = cost.seconds { parts.append(ReportFormat.duration(seconds / p)) }
        if let flops = cost.flops { parts.append(ReportFormat.flops(flops / p)) }
        return parts.joined(separator: ", ") + " per problem"
    }

    /// Every curve at the table budgets with its accuracy and its cost per problem, and the
    /// tie rate of votes; each curve's estimation details below the table.
    public static func table(_ run: RunReport) -> String {
        let ks = RunHeadline.tableKs(run)
        let curves = run.curves.filter { curve in curve.plottable.contains { $0.cost != nil } }
        guard !ks.isEmpty, !curves.isEmpty else { return "" }
        let p = Double(max(run.problemCount, 1))
        let escape = HTMLReport.escape
        var html = "<h4>Accuracy and cost per problem</h4>\n<div class=\"table-wrap\"><table class=\"curves\">\n<thead><tr>"
        html += ["curve", "k", "accuracy", "calls", "tokens in", "tokens out", "time", "FLOPs", "ties"].enumerated().map {
            "<th class=\"\($0.offset == 0 ? "" : "num")\">\($0.element)</th>"
        }.joined() + "</tr></thead>\n<tbody>\n"
        for curve in curves {
            let points = curve.plottable
            let shown = points.filter { ks.contains($0.k) || $0.k == points.last?.k }
            for point in shown {
                let cost = point.cost
                let cells = [
                    ReportFormat.percent(point.value),
                    cost?.modelCalls.map { ReportFormat.trimmed($0 / p, decimals: 2) } ?? ReportFormat.missing,
                    cost?.promptTokens.map { ReportFormat.grouped(Int((Double($0) / p).rounded())) } ?? ReportFormat.missing,
                    cost?.completionTokens.map { ReportFormat.grouped(Int((Double($0) / p).rounded())) } ?? ReportFormat.missing,
                    ReportFormat.duration(cost?.seconds.map { $0 / p }),
                    cost?.flops.map { ReportFormat.scientific($0 / p) } ?? ReportFormat.missing,
                    point.tieRate.map { ReportFormat.percent($0) } ?? ReportFormat.missing,
                ]
                html += "<tr><td>\(escape(curve.name))</td><td class=\"num\">\(point.k)</td>"
                    + cells.map { "<td class=\"num\">\(escape($0))</td>" }.joined() + "</tr>\n"
            }
        }
        html += "</tbody>\n</table></div>\n"
        let details = curves.compactMap { curve in curve.details.map { "<li><b>\(escape(curve.name))</b>: \(escape($0))</li>\n" } }
        if !details.isEmpty { html += "<ul class=\"notes\">\n" + details.joined() + "</ul>\n" }
        html += "<p class=\"hint\">Costs are per problem (totals over the run divided by its problems). Ties: the share of random k-subsets whose vote had more than one answer at the top.</p>\n"
        return html
    }
}
