import Foundation

/// The four charts of a report, built from a ``ReportInput``.
///
/// Each function returns a chart value (not markup) so tests can inspect scales and series.
public enum ReportCharts {
    static let kAxisTitle = "samples per problem k (log scale)"
    static let bandLegend = LegendItem(label: "confidence interval", color: "#777", swatch: .box(opacity: 0.2))

    /// The k axis shared by the k charts: 1 to the largest k of any run.
    public static func kScale(_ input: ReportInput) -> LogScale {
        let ks = input.runs.flatMap { $0.curves.flatMap { $0.plottable.map(\.k) } }
        let largest = ks.max() ?? 1
        return LogScale(domain: 1...Double(max(largest, 1)), preferPowersOfTwo: true)
    }

    static let percentScale = LinearScale(domain: 0...1, format: .percent, targetTickCount: 5)

    // MARK: (a) coverage against k

    /// Coverage (pass@k) against k on a log axis, one colour per run, with its confidence band
    /// and the fitted law `exp(a·k^b)` as a dashed line over the chart's k range.
    public static func coverage(_ input: ReportInput) -> LineChart {
        let scale = kScale(input)
        var bands: [ChartBand] = []
        var series: [ChartSeries] = []
        var hasFit = false, hasBand = false, hasExtrapolation = false
        for (index, run) in input.runs.enumerated() {
            let color = ChartStyle.color(index)
            guard let curve = run.curve(.coverage) else { continue }
            let points = curve.plottable
            let band = points.compactMap { point in point.interval.map { ChartBand.Point(x: Double(point.k), lower: $0.lower, upper: $0.upper) } }
            if !band.isEmpty {
                bands.append(ChartBand(label: nil, color: color, opacity: 0.18, points: band))
                hasBand = true
            }
            series.append(ChartSeries(
                label: run.label, color: color,
                points: points.map { ChartPoint(x: Double($0.k), y: $0.value, tooltip: tooltip(run: run, curve: curve, point: $0)) }))
            if let fit = run.fit, let law = lawPoints(fit, scale: scale) {
                // Dashed over the budgets drawn, dotted and fainter where the law extrapolates.
                hasFit = true
                let drawnUpTo = Double(points.last?.k ?? 1)
                let measured = law.filter { $0.x <= drawnUpTo * (1 + 1e-9) }
                let beyond = law.filter { $0.x >= drawnUpTo * (1 - 1e-9) }
                let joint = measured.last.map { [$0] } ?? []
                series.append(ChartSeries(label: "\(run.label) fit", color: color, points: measured, dash: .dashed, lineWidth: 1.5, inLegend: false))
                if beyond.count >= 1, drawnUpTo < scale.upper {
                    hasExtrapolation = true
                    series.append(ChartSeries(label: "\(run.label) fit, extrapolated", color: color, points: joint + beyond,
                                              dash: .dotted, lineWidth: 1.3, inLegend: false))
                }
            }
        }
        var extra: [LegendItem] = []
        if hasBand { extra.append(bandLegend) }
        if hasFit { extra.append(LegendItem(label: "fitted law exp(a·kᵇ)", color: "#555", swatch: .line(dash: .dashed, width: 1.5, marker: false))) }
        if hasExtrapolation { extra.append(LegendItem(label: "law beyond the run's k", color: "#555", swatch: .line(dash: .dotted, width: 1.3, marker: false))) }
        return LineChart(
            title: "Coverage (pass@k) against samples per problem",
            description: "Fraction of problems with at least one correct sample among k, per run, with confidence bands and fitted scaling laws.",
            xAxis: ChartAxis(scale: scale, title: kAxisTitle),
            yAxis: ChartAxis(scale: percentScale, title: "coverage (pass@k)"),
            bands: bands, series: series, extraLegend: extra, width: 600,
            emptyMessage: "No coverage curve in these runs")
    }

    /// The fitted law at 64 log-spaced k over the scale's domain, or `nil` if it is not finite there.
    static func lawPoints(_ fit: ScalingFit, scale: LogScale) -> [ChartPoint]? {
        let count = 64
        let points = (0..<count).map { index -> ChartPoint in
            let k = scale.lower * pow(scale.upper / scale.lower, Double(index) / Double(count - 1))
            return ChartPoint(x: k, y: fit.coverage(atK: k))
        }.filter { $0.y.isFinite }
        return points.count >= 2 ? points : nil
    }

    // MARK: (b) selection against coverage

    /// One run's selection curves (maj@k, best-of-N@k, others) against k together with its
    /// coverage, with the gap between coverage and the best selection method shaded: the
    /// problems where a correct answer was sampled but not picked.
    public static func selection(_ run: RunReport) -> LineChart {
        let largest = run.curves.flatMap { $0.plottable.map(\.k) }.max() ?? 1
        let scale = LogScale(domain: 1...Double(max(largest, 1)), preferPowersOfTwo: true)
        var bands: [ChartBand] = []
        var series: [ChartSeries] = []
        let coverage = run.curve(.coverage)
        let selectionCurves = run.curves.filter { $0.kind != .coverage }
        if let coverage {
            let best = Dictionary(grouping: selectionCurves.flatMap(\.plottable), by: \.k).mapValues { $0.map(\.value).max() ?? 0 }
            let gap = coverage.plottable.compactMap { point in
                best[point.k].map { ChartBand.Point(x: Double(point.k), lower: min($0, point.value), upper: point.value) }
            }
            if !gap.isEmpty { bands.append(ChartBand(label: "sampled but not selected", color: "#9aa0a6", opacity: 0.28, points: gap)) }
        }
        // Intervals are left to the tooltips here: three overlapping bands would hide the gap.
        let curves = [coverage].compactMap { $0 } + selectionCurves
        for (curve, color) in zip(curves, colors(curves)) {
            series.append(ChartSeries(
                label: curve.name, color: color,
                points: curve.plottable.map { ChartPoint(x: Double($0.k), y: $0.value, tooltip: tooltip(run: run, curve: curve, point: $0)) },
                lineWidth: curve.kind == .coverage ? 2.4 : 2))
        }
        return LineChart(
            title: "Selection against coverage: \(run.label)",
            description: "Majority vote and best-of-N accuracy against k for \(run.label), with coverage as the ceiling any selection method could reach.",
            xAxis: ChartAxis(scale: scale, title: kAxisTitle),
            yAxis: ChartAxis(scale: percentScale, title: "accuracy"),
            bands: bands, series: series, width: 600,
            emptyMessage: "No curves in this run")
    }

    /// Fixed colours per kind, so every run's charts read the same way: coverage, maj@k and
    /// best-of-N@k have their own; other curves take the next palette colours in order.
    static func colors(_ curves: [Curve]) -> [String] {
        var otherIndex = 3
        return curves.map { curve in
            switch curve.kind {
            case .coverage: return ChartStyle.color(0)
            case .majority: return ChartStyle.color(1)
            case .bestOfN: return ChartStyle.color(2)
            case .other: defer { otherIndex += 1 }; return ChartStyle.color(otherIndex)
            }
        }
    }

    // MARK: (c) accuracy against FLOPs

    /// Every run's coverage and selection curves against the FLOPs spent to draw k samples per
    /// problem (log axis): run by colour, curve kind by line style.
    public static func flops(_ input: ReportInput) -> LineChart {
        var series: [ChartSeries] = []
        var kinds = Set<CurveKind>()
        var lowest = Double.infinity, highest = 0.0
        for (index, run) in input.runs.enumerated() {
            let color = ChartStyle.color(index)
            for curve in run.curves {
                let points = curve.plottable.compactMap { point -> ChartPoint? in
                    guard let flops = flops(of: point, run: run), flops > 0, flops.isFinite else { return nil }
                    lowest = min(lowest, flops)
                    highest = max(highest, flops)
                    return ChartPoint(x: flops, y: point.value,
                                      tooltip: tooltip(run: run, curve: curve, point: point) + "\n" + ReportFormat.flops(flops))
                }
                guard !points.isEmpty else { continue }
                kinds.insert(curve.kind)
                series.append(ChartSeries(label: "\(run.label): \(curve.name)", color: color, points: points,
                                          dash: dash(curve.kind), lineWidth: curve.kind == .coverage ? 2 : 1.6, inLegend: false))
            }
        }
        let scale = LogScale(domain: lowest.isFinite ? lowest...highest : 1...10, format: .powerOfTen)
        let runLegend = input.runs.enumerated().map { LegendItem(label: $0.element.label, color: ChartStyle.color($0.offset), swatch: .line(dash: .solid, width: 2, marker: false)) }
        let kindLegend = CurveKind.allCases.filter(kinds.contains).map { kind in
            LegendItem(label: kindName(kind), color: "#555", swatch: .line(dash: dash(kind), width: 1.6, marker: false))
        }
        return LineChart(
            title: "Accuracy against inference compute",
            description: "Coverage and selection accuracy of every run against the FLOPs spent to draw k samples per problem.",
            xAxis: ChartAxis(scale: scale, title: "inference FLOPs for k samples on every problem (log scale)"),
            yAxis: ChartAxis(scale: percentScale, title: "accuracy"),
            series: series, extraLegend: series.isEmpty ? [] : runLegend + kindLegend, width: 600,
            emptyMessage: "No FLOPs recorded for these runs")
    }

    /// FLOPs at a point: its own, else the run's total scaled by `k / samplesPerProblem`.
    public static func flops(of point: CurvePoint, run: RunReport) -> Double? {
        if let flops = point.flops { return flops }
        guard let total = run.cost.flops, run.samplesPerProblem > 0 else { return nil }
        return total * Double(point.k) / Double(run.samplesPerProblem)
    }

    static func dash(_ kind: CurveKind) -> LineDash {
        switch kind {
        case .coverage: .solid
        case .majority: .dashed
        case .bestOfN, .other: .dotted
        }
    }

    static func kindName(_ kind: CurveKind) -> String {
        switch kind {
        case .coverage: "coverage"
        case .majority: "maj@k"
        case .bestOfN: "best-of-N@k"
        case .other: "other selection"
        }
    }

    // MARK: (d) solve-rate histogram

    /// Per-problem solve rates `c / n` in bins, one bar colour per run; the bins of problems
    /// never solved (0) and always solved (1) are separate and the never-solved one is shaded.
    public static func solveRates(_ input: ReportInput) -> BarChart {
        let groups = input.runs.enumerated().map { index, run in
            let counts = SolveRateBins.counts(run.solveRates)
            let total = max(counts.reduce(0, +), 1)
            return BarGroup(
                label: run.label, color: ChartStyle.color(index), values: counts.map(Double.init),
                tooltips: counts.enumerated().map { bin, count in
                    "\(run.label)\nsolve rate \(SolveRateBins.descriptions[bin]): \(count) of \(total) problems (\(ReportFormat.percent(Double(count) / Double(total))))"
                })
        }
        return BarChart(
            title: "Per-problem solve rates",
            description: "How many problems each run solved in a given fraction of its samples; 0 means never solved.",
            categories: SolveRateBins.labels, groups: groups,
            xTitle: "solve rate c/n, % of samples correct (bins exclude their lower end)", yTitle: "problems",
            highlighted: ([0], "never solved (0 of n)"),
            valueLabel: { String(Int($0.rounded())) }, width: 1000, plotHeight: 240)
    }

    // MARK: tooltips

    static func tooltip(run: RunReport, curve: Curve, point: CurvePoint) -> String {
        var text = "\(run.label)\n\(curve.name) at k = \(point.k): \(ReportFormat.percent(point.value))"
        if let interval = point.interval {
            text += " (interval \(ReportFormat.percent(interval.lower))–\(ReportFormat.percent(interval.upper)))"
        }
        return text
    }
}

/// The bins of the solve-rate histogram: exactly 0, then (0, 0.1], (0.1, 0.2], …, (0.9, 1),
/// then exactly 1, so never-solved and always-solved problems are counted on their own.
public enum SolveRateBins {
    /// Axis labels, in percent.
    public static let labels = ["0"] + (0..<10).map { "\($0 * 10)–\($0 * 10 + 10)" } + ["100"]
    /// Interval notation, for tooltips.
    public static let descriptions = ["0 (never solved)"] + (0..<10).map { tenth in
        tenth == 9 ? "(0.9, 1)" : "(\(ReportFormat.trimmed(Double(tenth) / 10, decimals: 1)), \(ReportFormat.trimmed(Double(tenth + 1) / 10, decimals: 1))]"
    } + ["1 (always solved)"]

    /// Problems per bin (12 bins). Rates outside `[0, 1]` or non-finite are not counted.
    ///
    /// A rate `c / n` equal to a bin edge `i / 10` is the same `Double` as the edge (IEEE division
    /// rounds correctly), so 3/10 lands in (0.2, 0.3] exactly as the interval says.
    public static func counts(_ rates: [Double]) -> [Int] {
        var counts = [Int](repeating: 0, count: 12)
        for rate in rates where rate.isFinite && rate >= 0 && rate <= 1 {
            if rate == 0 { counts[0] += 1; continue }
            if rate == 1 { counts[11] += 1; continue }
            var tenth = 1
            while tenth < 10, rate > Double(tenth) / 10 { tenth += 1 }
            counts[tenth] += 1
        }
        return counts
    }
}
