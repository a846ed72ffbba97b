import Foundation

/// The report as one self-contained HTML page: inline CSS and inline SVG charts, no scripts,
/// no fonts or images from anywhere, so it opens offline and can be mailed as one file.
///
/// Sections: a summary table (one row per run), coverage against k with confidence bands and
/// fitted laws, accuracy against FLOPs, selection (maj@k, best-of-N@k) against coverage for each
/// run, the histogram of per-problem solve rates, and per-run details (settings, cost, a table
/// of every curve at k = 1, 2, 4, …). Hovering a point shows its exact value.
///
/// ```swift
/// let html = HTMLReport.render(input)
/// try html.write(to: url, atomically: true, encoding: .utf8)
/// ```
public enum HTMLReport {
    /// Renders the page. Never fails: missing data shows as "–" or as an empty chart with a message.
    public static func render(_ input: ReportInput) -> String {
        var page = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="generator" content="Quorum">
        <title>\(escape(input.title))</title>
        <style>\(stylesheet)</style>
        </head>
        <body>
        <main>

        """
        page += header(input)
        if input.runs.isEmpty {
            page += "<p class=\"empty\">This report has no runs.</p>\n"
        } else {
            page += summarySection(input)
            page += chartsSection(input)
            page += runsSection(input)
        }
        page += footer(input)
        page += "</main>\n</body>\n</html>\n"
        return page
    }

    static func escape(_ text: String) -> String { SVGWriter.escape(text) }

    // MARK: header and footer

    static func header(_ input: ReportInput) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate, .withTime, .withColonSeparatorInTime, .withSpaceBetweenDateAndTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        let models = Set(input.runs.map(\.model)).sorted()
        let datasets = Set(input.runs.map(\.dataset)).sorted()
        var facts = ["\(input.runs.count) run\(input.runs.count == 1 ? "" : "s")"]
        if !models.isEmpty { facts.append("model\(models.count == 1 ? "" : "s"): " + models.joined(separator: ", ")) }
        if !datasets.isEmpty { facts.append("data set\(datasets.count == 1 ? "" : "s"): " + datasets.joined(separator: ", ")) }
        facts.append("generated \(formatter.string(from: input.generatedAt)) UTC")
        return """
        <header>
        <h1>\(escape(input.title))</h1>
        <p class="meta">\(facts.map(escape).joined(separator: " · "))</p>
        </header>

        """
    }

    static func footer(_ input: ReportInput) -> String {
        var html = "<footer>\n"
        let notes = input.notes + [
            "Coverage (pass@k) is the fraction of problems with at least one correct answer among k samples; maj@k and best-of-N@k are the fractions where the answer a selection method picks from k samples is correct. Coverage bounds every selection method from above.",
            "The fitted law is coverage ≈ exp(a·kᵇ) (Large Language Monkeys, Eq. 3); budgets for 50% and 90% coverage come from it and may extrapolate beyond the samples drawn.",
            "Every number in this page is also in the report's JSON and CSV files. Hover a point or bar for its exact value.",
        ]
        html += "<ul class=\"notes\">\n" + notes.map { "<li>\(escape($0))</li>\n" }.joined() + "</ul>\n"
        html += "<p class=\"generator\">Made by Quorum. This page is self-contained: it loads nothing from the network.</p>\n</footer>\n"
        return html
    }

    // MARK: summary

    static func summarySection(_ input: ReportInput) -> String {
        let anyDollars = input.runs.contains { $0.cost.dollars != nil }
        var headers: [(String, String)] = [
            ("run", ""), ("problems × samples", "num"), ("pass@1", "num"), ("coverage at max k", "num"), ("maj@k at max k", "num"),
            ("best-of-N@k at max k", "num"), ("never solved", "num"), ("k for 50% / 90% (fit)", "num"),
            ("FLOPs", "num"), ("time", "num"), ("tokens in / out", "num"),
        ]
        if anyDollars { headers.append(("price", "num")) }
        var html = "<section>\n<h2>Summary</h2>\n<div class=\"table-wrap\"><table class=\"summary\">\n<thead><tr>"
        html += headers.map { "<th class=\"\($0.1)\">\(escape($0.0))</th>" }.joined()
        html += "</tr></thead>\n<tbody>\n"
        for (index, run) in input.runs.enumerated() {
            let summary = RunHeadline(run)
            var cells: [String] = [
                "<td class=\"label\"><span class=\"swatch\" style=\"background:\(ChartStyle.color(index))\"></span>\(escape(run.label))</td>",
                numberCell("\(run.problemCount) × \(run.samplesPerProblem)"
                           + (run.unsampledProblems.isEmpty ? "" : " (\(run.unsampledProblems.count) unsampled)"),
                           title: run.unsampledSummary()),
                numberCell(ReportFormat.percent(summary.passAtOne?.value), title: interval(summary.passAtOne)),
                numberCell(atK(summary.coverageAtMaxK), title: interval(summary.coverageAtMaxK)),
                numberCell(atK(summary.majorityAtMaxK), title: interval(summary.majorityAtMaxK)),
                numberCell(atK(summary.bestOfNAtMaxK?.point), title: summary.bestOfNAtMaxK?.name),
                numberCell(run.solveRates.isEmpty ? ReportFormat.missing : "\(summary.neverSolved) / \(run.solveRates.count)"),
                numberCell(run.fit == nil ? ReportFormat.missing : "\(target(run.fit, 0.5)) / \(target(run.fit, 0.9))",
                           title: run.fit.map { "coverage ≈ exp(a·k^b), a = \($0.a), b = \($0.b), R² = \($0.rSquared), RMSE = \($0.rootMeanSquareError)" }),
                numberCell(run.cost.flops.map(ReportFormat.scientific) ?? ReportFormat.missing),
                numberCell(ReportFormat.duration(run.cost.seconds)),
                numberCell("\(ReportFormat.tokens(run.cost.promptTokens)) / \(ReportFormat.tokens(run.cost.completionTokens))"),
            ]
            if anyDollars { cells.append(numberCell(ReportFormat.dollars(run.cost.dollars))) }
            html += "<tr>" + cells.joined() + "</tr>\n"
        }
        html += "</tbody>\n</table></div>\n"
        html += "<p class=\"hint\">“At max k” is each curve’s largest budget, shown as value @ k. “k for 50% / 90%” is the budget the fitted law predicts for that coverage; “never” means the law levels off below it. Hover a cell for its interval or the fit’s parameters.</p>\n</section>\n"
        return html
    }

    static func numberCell(_ text: String, title: String? = nil) -> String {
        let titleAttribute = title.map { " title=\"\(escape($0))\"" } ?? ""
        return "<td class=\"num\"\(titleAttribute)>\(escape(text))</td>"
    }

    static func atK(_ point: CurvePoint?) -> String {
        guard let point else { return ReportFormat.missing }
        return "\(ReportFormat.percent(point.value)) @ \(point.k)"
    }

    static func interval(_ point: CurvePoint?) -> String? {
        guard let interval = point?.interval else { return nil }
        return "interval \(ReportFormat.percent(interval.lower)) – \(ReportFormat.percent(interval.upper))"
    }

    static func target(_ fit: ScalingFit?, _ coverage: Double) -> String {
        guard let target = fit?.target(coverage) else { return ReportFormat.missing }
        return target.k == nil ? "never" : ReportFormat.budget(target.k).replacingOccurrences(of: "≈ ", with: "")
    }

    // MARK: charts

    static func chartsSection(_ input: ReportInput) -> String {
        var html = "<section>\n<h2>Scaling</h2>\n<div class=\"grid\">\n"
        html += figure(
            "Coverage against samples per problem",
            "Share of problems solved by at least one of k samples. Shaded: confidence interval; dashed: fitted law exp(a·kᵇ).",
            ReportCharts.coverage(input).svg(id: "chart-coverage"))
        html += figure(
            "Accuracy against inference compute",
            "Each run’s curves placed at the FLOPs spent to draw k samples for every problem: compare models at equal compute.",
            ReportCharts.flops(input).svg(id: "chart-flops"))
        html += "</div>\n</section>\n"

        html += "<section>\n<h2>Selection against coverage</h2>\n"
        html += "<p class=\"lead\">Coverage is the ceiling: the grey area is problems where a correct answer was sampled but the selection method did not pick it.</p>\n<div class=\"grid\">\n"
        for (index, run) in input.runs.enumerated() {
            html += figure(run.label, "maj@k and best-of-N@k against k, with coverage. Hover a point for its interval.",
                           ReportCharts.selection(run).svg(id: "chart-selection-\(index + 1)"))
            if run.curves.contains(where: { $0.points.contains { $0.cost?.totalTokens != nil } }) {
                html += figure("\(run.label): accuracy against tokens",
                               "Every curve against the prompt and completion tokens it spent per problem: strategies compared at equal compute.",
                               StrategyCostReport.tokenChart(run).svg(id: "chart-tokens-\(index + 1)"))
            }
        }
        html += "</div>\n</section>\n"

        html += "<section>\n<h2>Problem difficulty</h2>\n<div class=\"grid\">\n"
        let neverSolved = input.runs.map { run in "\(run.label): \(run.solveRates.filter { $0 == 0 }.count) of \(run.solveRates.count) never solved" }
        html += figure(
            "Per-problem solve rates",
            "Problems by the share of their samples that were correct. " + neverSolved.joined(separator: "; ") + ".",
            ReportCharts.solveRates(input).svg(id: "chart-solve-rates"), wide: true)
        html += "</div>\n</section>\n"
        return html
    }

    static func figure(_ title: String, _ caption: String, _ svg: String, wide: Bool = false) -> String {
        """
        <figure class="card\(wide ? " wide" : "")">
        <figcaption><h3>\(escape(title))</h3><p>\(escape(caption))</p></figcaption>
        \(svg)
        </figure>

        """
    }

    // MARK: per-run details

    static func runsSection(_ input: ReportInput) -> String {
        var html = "<section>\n<h2>Runs</h2>\n"
        for (index, run) in input.runs.enumerated() {
            html += "<article class=\"run card\">\n<h3><span class=\"swatch\" style=\"background:\(ChartStyle.color(index))\"></span>\(escape(run.label))</h3>\n"
            html += "<div class=\"run-grid\">\n<div>\n<h4>Settings</h4>\n<table class=\"kv\">\n"
            var settings: [(String, String)] = [
                ("run id", run.id), ("model", run.model), ("data set", run.dataset),
                ("problems", String(run.problemCount)), ("samples per problem", String(run.samplesPerProblem)),
            ]
            settings += run.configuration.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            html += settings.map { "<tr><th>\(escape($0.0))</th><td>\(escape($0.1))</td></tr>\n" }.joined()
            html += "</table>\n</div>\n<div>\n<h4>Cost</h4>\n<table class=\"kv\">\n"
            var cost: [(String, String)] = [
                ("prompt tokens", run.cost.promptTokens.map(ReportFormat.grouped) ?? ReportFormat.missing),
                ("completion tokens", run.cost.completionTokens.map(ReportFormat.grouped) ?? ReportFormat.missing),
                ("wall-clock time", ReportFormat.duration(run.cost.seconds)),
                ("inference compute", ReportFormat.flops(run.cost.flops)),
            ]
            if let dollars = run.cost.dollars { cost.append(("price", ReportFormat.dollars(dollars))) }
            html += cost.map { "<tr><th>\(escape($0.0))</th><td>\(escape($0.1))</td></tr>\n" }.joined()
            html += "</table>\n</div>\n<div>\n"
            if let fit = run.fit {
                html += "<h4>Scaling law</h4>\n<p class=\"fit\">coverage ≈ exp(\(escape(ReportFormat.trimmed(fit.a, decimals: 4)))·k<sup>\(escape(ReportFormat.trimmed(fit.b, decimals: 4)))</sup>), "
                html += "R² = \(escape(ReportFormat.trimmed(fit.rSquared, decimals: 4))), RMSE = \(escape(ReportFormat.percent(fit.rootMeanSquareError, decimals: 2)))</p>\n"
                if !fit.targets.isEmpty {
                    html += "<p class=\"fit\">" + fit.targets.sorted { $0.target < $1.target }.map {
                        "\(escape(ReportFormat.percent($0.target, decimals: 0))) coverage: k \(escape(ReportFormat.budget($0.k)))"
                    }.joined(separator: "; ") + "</p>\n"
                }
            } else {
                html += "<h4>Scaling law</h4>\n<p class=\"fit\">No fit for this run.</p>\n"
            }
            if let unsampled = run.unsampledSummary(listed: 20) {
                html += "<h4>Unsampled problems</h4>\n<p class=\"unsampled\">\(escape(unsampled))</p>\n"
            }
            if !run.notes.isEmpty {
                html += "<h4>Notes</h4>\n<ul>\n" + run.notes.map { "<li>\(escape($0))</li>\n" }.joined() + "</ul>\n"
            }
            html += "</div>\n</div>\n<h4>Curves</h4>\n" + curveTable(run) + StrategyCostReport.table(run) + "</article>\n"
        }
        html += "</section>\n"
        return html
    }

    /// Every curve at the table budgets (1, 2, 4, …, max k), with intervals where known.
    static func curveTable(_ run: RunReport) -> String {
        let ks = RunHeadline.tableKs(run)
        guard !ks.isEmpty else { return "<p class=\"empty\">No curve points.</p>\n" }
        let curves = run.curves.filter { !$0.plottable.isEmpty }
        var html = "<div class=\"table-wrap\"><table class=\"curves\">\n<thead><tr><th class=\"num\">k</th>"
        html += curves.map { "<th class=\"num\">\(escape($0.name))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
        for k in ks {
            html += "<tr><td class=\"num\">\(k)</td>"
            for curve in curves {
                guard let point = curve.point(atK: k), point.value.isFinite else {
                    html += "<td class=\"num\">\(ReportFormat.missing)</td>"
                    continue
                }
                var text = escape(ReportFormat.percent(point.value))
                if let interval = point.interval {
                    text += " <span class=\"ci\">[\(String(format: "%.1f", interval.lower * 100))–\(String(format: "%.1f", interval.upper * 100))]</span>"
                }
                html += "<td class=\"num\">\(text)</td>"
            }
            html += "</tr>\n"
        }
        html += "</tbody>\n</table></div>\n"
        return html
    }

    // MARK: style

    static let stylesheet = """

    :root { --text: #1f2328; --muted: #59636e; --line: #d8dee4; --card: #ffffff; --page: #f6f8fa; }
    * { box-sizing: border-box; }
    body { margin: 0; background: var(--page); color: var(--text);
      font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", "Liberation Sans", Arial, sans-serif; }
    main { max-width: 1280px; margin: 0 auto; padding: 24px 28px 40px; }
    header h1 { font-size: 26px; margin: 0 0 4px; font-weight: 650; }
    .meta { color: var(--muted); margin: 0 0 18px; }
    h2 { font-size: 19px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); font-weight: 600; }
    h3 { font-size: 15px; margin: 0 0 4px; font-weight: 600; }
    h4 { font-size: 13px; margin: 12px 0 6px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
    .lead, .hint { color: var(--muted); margin: 6px 0 12px; }
    .hint { font-size: 12.5px; }
    .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 16px; }
    .card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; margin: 0; }
    .card.wide { grid-column: 1 / -1; }
    figcaption p { color: var(--muted); margin: 0 0 8px; font-size: 13px; }
    svg.chart { display: block; width: 100%; height: auto; }
    .card.wide svg.chart { max-width: 1000px; }
    .table-wrap { overflow-x: auto; }
    table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
    table.summary { width: 100%; background: var(--card); border: 1px solid var(--line); font-size: 13px; }
    table.summary th, table.summary td { padding: 6px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
    table.summary thead th { background: #eef1f4; font-weight: 600; text-align: left; white-space: normal; vertical-align: bottom; font-size: 12px; }
    table.summary td.label { white-space: normal; min-width: 180px; }
    th.num, td.num { text-align: right; }
    table.summary thead th.num { text-align: right; }
    .swatch { display: inline-block; width: 11px; height: 11px; border-radius: 2px; margin-right: 7px; vertical-align: -1px; }
    .run { margin-bottom: 16px; }
    .run-grid { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 28px; margin-bottom: 6px; }
    table.kv { width: 100%; }
    table.kv th { text-align: left; font-weight: 500; color: var(--muted); padding: 2px 14px 2px 0; vertical-align: top; width: 48%; }
    table.kv td { padding: 2px 0; word-break: break-word; }
    table.curves { font-size: 13px; }
    table.curves th, table.curves td { padding: 3px 12px; border-bottom: 1px solid #eef1f4; white-space: nowrap; }
    table.curves thead th { border-bottom: 1px solid var(--line); font-weight: 600; }
    .ci { color: var(--muted); font-size: 11.5px; }
    .fit { margin: 2px 0; }
    .empty { color: var(--muted); font-style: italic; }
    footer { margin-top: 28px; color: var(--muted); font-size: 12.5px; }
    footer ul { padding-left: 18px; }
    @media (max-width: 1000px) { .run-grid { grid-template-columns: 1fr 1fr; } }
    @media (max-width: 760px) { .grid, .run-grid { grid-template-columns: 1fr; } main { padding: 14px; } }
    @media print { body { background: #fff; } .card { break-inside: avoid; } }

    """
}
