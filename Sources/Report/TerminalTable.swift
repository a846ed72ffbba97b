import Foundation

/// A compact plain-text summary for the terminal: per run, a header line, a table of every
/// curve at k = 1, 2, 4, … and the largest k, then cost and fit lines.
///
/// ```
/// SmolLM2-135M · gsm8k · cot   (run r1: 30 problems × 1024 samples)
///      k  coverage     maj@k  best-of-N@k (mean logprob)
///      1     10.0%     10.0%      10.0%
///   1024     86.7%     30.0%      26.7%
///   cost: 11.2k prompt + 4.1M completion tokens · 20 min 5 s · 3.1×10¹⁵ FLOPs
///   fit:  coverage ≈ exp(-2.31·k^-0.31), R² 0.998 · 50%: k ≈ 8 · 90%: k ≈ 1,750
/// ```
public enum TerminalTable {
    /// Renders the table in at most `width` columns (at least 40): when the curves do not fit,
    /// the rightmost are left out and a line says how many. Long labels are cut with "…".
    public static func render(_ input: ReportInput, width: Int = 100) -> String {
        let width = max(40, width)
        if input.runs.isEmpty { return "\(input.title): no runs.\n" }
        var lines: [String] = []
        for run in input.runs {
            if !lines.isEmpty { lines.append("") }
            lines.append(cut("\(run.label)   (run \(run.id): \(run.problemCount) problems × \(run.samplesPerProblem) samples)", width))
            lines += curveLines(run, width: width)
            lines += costAndFitLines(run, width: width)
            if let unsampled = run.unsampledSummary() { lines.append("  UNSAMPLED: \(unsampled)") }
            for note in run.notes { lines.append(cut("  note: \(note)", width)) }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func curveLines(_ run: RunReport, width: Int) -> [String] {
        let ks = RunHeadline.tableKs(run)
        let curves = run.curves.filter { !$0.plottable.isEmpty }
        guard !ks.isEmpty, !curves.isEmpty else { return ["  (no curve points)"] }
        let kWidth = max(6, String(ks.last ?? 1).count + 2)
        var columns: [(header: String, width: Int, curve: Curve)] = []
        var used = kWidth
        for curve in curves {
            let columnWidth = min(max(9, curve.name.count + 2), 28)
            if used + columnWidth > width { break }
            columns.append((cut(curve.name, columnWidth - 2), columnWidth, curve))
            used += columnWidth
        }
        var lines = [pad("k", kWidth) + columns.map { pad($0.header, $0.width) }.joined()]
        for k in ks {
            var line = pad(String(k), kWidth)
            for column in columns {
                let value = column.curve.point(atK: k).map { ReportFormat.percent($0.value) } ?? ReportFormat.missing
                line += pad(value, column.width)
            }
            lines.append(line)
        }
        if columns.count < curves.count {
            let hidden = curves.count - columns.count
            lines.append(cut("  (+\(hidden) more curve\(hidden == 1 ? "" : "s"): widen the terminal, or see the CSV)", width))
        }
        return lines
    }

    static func costAndFitLines(_ run: RunReport, width: Int) -> [String] {
        var lines: [String] = []
        let cost = run.cost
        var parts: [String] = []
        if cost.promptTokens != nil || cost.completionTokens != nil {
            parts.append("\(ReportFormat.tokens(cost.promptTokens)) prompt + \(ReportFormat.tokens(cost.completionTokens)) completion tokens")
        }
        if cost.seconds != nil { parts.append(ReportFormat.duration(cost.seconds)) }
        if cost.flops != nil { parts.append(ReportFormat.flops(cost.flops)) }
        if cost.dollars != nil { parts.append(ReportFormat.dollars(cost.dollars)) }
        if !parts.isEmpty { lines += wrap(parts, first: "  cost: ", width: width) }
        if let fit = run.fit {
            var parts = ["coverage ≈ exp(\(ReportFormat.trimmed(fit.a, decimals: 3))·k^\(ReportFormat.trimmed(fit.b, decimals: 3))), R² \(ReportFormat.trimmed(fit.rSquared, decimals: 3))"]
            for target in fit.targets.sorted(by: { $0.target < $1.target }) {
                parts.append("\(ReportFormat.percent(target.target, decimals: 0)): k \(ReportFormat.budget(target.k))")
            }
            lines += wrap(parts, first: "  fit:  ", width: width)
        }
        return lines
    }

    /// Joins `parts` with " · " after `first`, starting a new indented line where the next part
    /// would pass `width`; a part longer than a line is cut.
    static func wrap(_ parts: [String], first: String, width: Int) -> [String] {
        let indent = String(repeating: " ", count: first.count)
        var lines: [String] = []
        var line = first
        for part in parts {
            if line == first || line == indent {
                line += part
            } else if line.count + 3 + part.count <= width {
                line += " · " + part
            } else {
                lines.append(cut(line, width))
                line = indent + part
            }
        }
        lines.append(cut(line, width))
        return lines
    }

    /// Right-aligns `text` in `width` columns.
    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }

    /// Cuts `text` to `width` characters, ending in "…" when cut.
    static func cut(_ text: String, _ width: Int) -> String {
        text.count <= width ? text : String(text.prefix(max(width - 1, 0))) + "…"
    }
}
