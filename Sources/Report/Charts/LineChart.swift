import Foundation

/// A point of a line series, in data units.
public struct ChartPoint: Sendable, Equatable {
    public var x: Double
    public var y: Double
    /// Shown on hover (an SVG `<title>`); a point with a tooltip gets a marker dot.
    public var tooltip: String?

    public init(x: Double, y: Double, tooltip: String? = nil) {
        self.x = x
        self.y = y
        self.tooltip = tooltip
    }
}

/// A line through points, drawn in order of x.
public struct ChartSeries: Sendable, Equatable {
    public var label: String
    public var color: String
    public var points: [ChartPoint]
    public var dash: LineDash
    public var lineWidth: Double
    /// Whether the legend lists this series.
    public var inLegend: Bool

    public init(label: String, color: String, points: [ChartPoint], dash: LineDash = .solid, lineWidth: Double = 2, inLegend: Bool = true) {
        self.label = label
        self.color = color
        self.points = points
        self.dash = dash
        self.lineWidth = lineWidth
        self.inLegend = inLegend
    }
}

/// A translucent area between a lower and an upper line, e.g. a confidence band.
public struct ChartBand: Sendable, Equatable {
    public struct Point: Sendable, Equatable {
        public var x: Double
        public var lower: Double
        public var upper: Double

        public init(x: Double, lower: Double, upper: Double) {
            self.x = x
            self.lower = lower
            self.upper = upper
        }
    }

    /// The legend label, or `nil` to leave the band out of the legend.
    public var label: String?
    public var color: String
    public var opacity: Double
    public var points: [Point]

    public init(label: String?, color: String, opacity: Double = 0.18, points: [Point]) {
        self.label = label
        self.color = color
        self.opacity = opacity
        self.points = points
    }
}

/// An axis: its scale and its title (with units, e.g. "samples per problem k (log scale)").
public struct ChartAxis: Sendable {
    public var scale: any ChartScale
    public var title: String

    public init(scale: any ChartScale, title: String) {
        self.scale = scale
        self.title = title
    }
}

/// A line chart in SVG: bands under lines, marker dots with tooltips, a legend underneath.
///
/// Points the scales cannot place (NaN, infinities, ≤ 0 on a log axis) are skipped and break the
/// line there; data outside the domain is clipped to the plot. A chart with nothing to draw shows
/// its axes and ``emptyMessage``.
///
/// ```swift
/// let chart = LineChart(
///     title: "Coverage against k",
///     xAxis: ChartAxis(scale: LogScale(domain: 1...1024, preferPowersOfTwo: true), title: "k"),
///     yAxis: ChartAxis(scale: LinearScale(domain: 0...1, format: .percent), title: "coverage"),
///     series: [ChartSeries(label: "run 1", color: ChartStyle.color(0), points: points)])
/// let svg = chart.svg(id: "coverage")
/// ```
public struct LineChart: Sendable {
    public var title: String
    public var description: String
    public var xAxis: ChartAxis
    public var yAxis: ChartAxis
    public var bands: [ChartBand]
    public var series: [ChartSeries]
    /// Legend entries added after those of the bands and series (e.g. explaining a line style).
    public var extraLegend: [LegendItem]
    /// Total width in px (the view box; the page scales it).
    public var width: Double
    /// Height of the plot area in px; the legend adds to the total.
    public var plotHeight: Double
    public var emptyMessage: String

    public init(
        title: String, description: String = "", xAxis: ChartAxis, yAxis: ChartAxis, bands: [ChartBand] = [],
        series: [ChartSeries], extraLegend: [LegendItem] = [], width: Double = 640, plotHeight: Double = 300,
        emptyMessage: String = "No data to plot"
    ) {
        self.title = title
        self.description = description
        self.xAxis = xAxis
        self.yAxis = yAxis
        self.bands = bands
        self.series = series
        self.extraLegend = extraLegend
        self.width = width
        self.plotHeight = plotHeight
        self.emptyMessage = emptyMessage
    }

    /// The legend: bands with labels, then series, then ``extraLegend``.
    public var legend: [LegendItem] {
        bands.compactMap { band in band.label.map { LegendItem(label: $0, color: band.color, swatch: .box(opacity: band.opacity)) } }
            + series.filter(\.inLegend).map { series in
                LegendItem(label: series.label, color: series.color,
                           swatch: .line(dash: series.dash, width: series.lineWidth, marker: series.points.contains { $0.tooltip != nil }))
            }
            + extraLegend
    }

    /// The chart as one `<svg>` element. `id` must be unique in the page (it prefixes the clip path's id).
    public func svg(id: String) -> String {
        let frame = ChartFrame(width: width, plotHeight: plotHeight, yTickLabels: yAxis.scale.ticks.map(\.label), legend: legend)
        return frame.document(id: id, title: title, description: description) { svg in
            frame.drawYAxis(&svg, scale: yAxis.scale, title: yAxis.title)
            frame.drawXAxis(&svg, scale: xAxis.scale, title: xAxis.title)
            let placedBands = bands.map { band in (band, runs(of: band.points.sorted { $0.x < $1.x }, frame: frame)) }
            let placedSeries = series.map { series in (series, placed(series.points.sorted { $0.x < $1.x }, frame: frame)) }
            let anything = placedBands.contains { !$0.1.isEmpty } || placedSeries.contains { $0.1.contains { $0 != nil } }

            svg.group("g", [("clip-path", "url(#\(id)-clip)")]) { svg in
                for (band, runs) in placedBands {
                    for run in runs where run.count == 1 {
                        // A band of one point (a single k) is an error bar.
                        let point = run[0]
                        svg.empty("path", [
                            ("d", "M\(SVGWriter.number(point.x - 4)),\(SVGWriter.number(point.upper))h8M\(SVGWriter.number(point.x)),\(SVGWriter.number(point.upper))V\(SVGWriter.number(point.lower))M\(SVGWriter.number(point.x - 4)),\(SVGWriter.number(point.lower))h8"),
                            ("fill", "none"), ("stroke", band.color), ("stroke-width", "1.5"),
                        ])
                    }
                    for run in runs where run.count >= 2 {
                        let outline = run.map { ($0.x, $0.upper) } + run.reversed().map { ($0.x, $0.lower) }
                        svg.empty("polygon", [
                            ("points", SVGWriter.pointList(outline.map { (x: $0.0, y: $0.1) })),
                            ("fill", band.color), ("fill-opacity", SVGWriter.number(band.opacity)), ("stroke", "none"),
                        ])
                    }
                }
                for (series, points) in placedSeries {
                    // Consecutive placeable points form one polyline; a gap starts another.
                    var segment: [(x: Double, y: Double)] = []
                    func flush() {
                        if segment.count >= 2 {
                            var attributes = [
                                ("points", SVGWriter.pointList(segment)), ("fill", "none"), ("stroke", series.color),
                                ("stroke-width", SVGWriter.number(series.lineWidth)), ("stroke-linejoin", "round"), ("stroke-linecap", "round"),
                            ]
                            if let dashArray = series.dash.dashArray { attributes.append(("stroke-dasharray", dashArray)) }
                            svg.empty("polyline", attributes)
                        }
                        segment = []
                    }
                    for point in points {
                        if let point { segment.append((point.x, point.y)) } else { flush() }
                    }
                    flush()
                    for (point, source) in zip(points, series.points.sorted { $0.x < $1.x }) {
                        guard let point, let tooltip = source.tooltip else { continue }
                        svg.group("circle", [
                            ("cx", SVGWriter.number(point.x)), ("cy", SVGWriter.number(point.y)), ("r", "3.2"),
                            ("fill", series.color), ("stroke", "#ffffff"), ("stroke-width", "1"),
                        ]) { svg in svg.tooltip(tooltip) }
                    }
                }
            }
            frame.drawAxisLines(&svg)
            if !anything { frame.drawMessage(&svg, emptyMessage) }
            frame.drawLegend(&svg)
        }
    }

    /// Pixel positions of points, `nil` where a scale cannot place one.
    private func placed(_ points: [ChartPoint], frame: ChartFrame) -> [(x: Double, y: Double)?] {
        points.map { point in
            guard let fx = xAxis.scale.fraction(of: point.x), let fy = yAxis.scale.fraction(of: point.y),
                  fx.isFinite, fy.isFinite else { return nil }
            return (frame.x(fx), frame.y(fy))
        }
    }

    /// Runs of consecutive band points that can all be placed, in pixels.
    private func runs(of points: [ChartBand.Point], frame: ChartFrame) -> [[(x: Double, lower: Double, upper: Double)]] {
        var result: [[(x: Double, lower: Double, upper: Double)]] = []
        var current: [(x: Double, lower: Double, upper: Double)] = []
        for point in points {
            if let fx = xAxis.scale.fraction(of: point.x), let lower = yAxis.scale.fraction(of: point.lower),
               let upper = yAxis.scale.fraction(of: point.upper), fx.isFinite, lower.isFinite, upper.isFinite {
                current.append((frame.x(fx), frame.y(lower), frame.y(upper)))
            } else if !current.isEmpty {
                result.append(current)
                current = []
            }
        }
        if !current.isEmpty { result.append(current) }
        return result
    }
}
