import Foundation

/// Colours and type shared by every chart, so the charts of one page look alike.
public enum ChartStyle {
    /// Series colours in order (Tableau 10): distinct for colour-blind readers, printable.
    public static let palette = [
        "#4e79a7", "#e15759", "#59a14f", "#f28e2b", "#b07aa1",
        "#76b7b2", "#9c755f", "#edc948", "#ff9da7", "#bab0ac",
    ]
    /// The colour of series `index`, cycling through ``palette``.
    public static func color(_ index: Int) -> String { palette[((index % palette.count) + palette.count) % palette.count] }

    /// System fonts only: the report loads nothing from the network.
    public static let fontFamily = "system-ui, -apple-system, 'Segoe UI', 'DejaVu Sans', 'Liberation Sans', Arial, sans-serif"
    public static let fontSize = 13.0
    public static let textColor = "#222"
    public static let mutedTextColor = "#555"
    public static let axisColor = "#888"
    public static let gridColor = "#e6e6e6"
    public static let minorGridColor = "#f3f3f3"

    /// Rough width of `text` at `size` px in a sans-serif font, for layout without a font
    /// engine: wide enough that labels do not collide, narrow enough not to waste space.
    public static func estimatedWidth(_ text: String, size: Double = fontSize) -> Double {
        // Per-character widths in em of DejaVu Sans, the widest common fallback, rounded up.
        var width = 0.0
        for character in text {
            switch character {
            case "i", "l", "j", "!", "|", ".", ",", ":", ";", "'", "(", ")", "[", "]", " ", "1", "f", "t", "r", "·": width += 0.36
            case "m", "w", "M", "W", "%", "@": width += 0.92
            case "A"..."Z": width += 0.72
            default: width += 0.62
            }
        }
        return width * size
    }

    /// `text` cut with "…" so that it fits in `width` px at `size`.
    public static func fitted(_ text: String, width: Double, size: Double = fontSize) -> String {
        guard estimatedWidth(text, size: size) > width else { return text }
        var cut = text
        while !cut.isEmpty, estimatedWidth(cut + "…", size: size) > width { cut.removeLast() }
        return cut + "…"
    }
}

/// How a line is drawn.
public enum LineDash: Sendable, Equatable {
    case solid, dashed, dotted

    var dashArray: String? {
        switch self {
        case .solid: nil
        case .dashed: "7 4"
        case .dotted: "2 3"
        }
    }
}

/// One entry of a chart's legend.
public struct LegendItem: Sendable, Equatable {
    public enum Swatch: Sendable, Equatable {
        /// A short line, optionally with a marker dot.
        case line(dash: LineDash, width: Double, marker: Bool)
        /// A filled box at the given opacity (bands and bars).
        case box(opacity: Double)
    }

    public var label: String
    public var color: String
    public var swatch: Swatch

    public init(label: String, color: String, swatch: Swatch) {
        self.label = label
        self.color = color
        self.swatch = swatch
    }
}

/// The plot rectangle of a chart and the drawing of its frame: grid, ticks, tick labels, axis
/// titles and the legend underneath. ``LineChart`` and ``BarChart`` both build on it.
struct ChartFrame {
    let width: Double
    let plotLeft: Double
    let plotTop: Double
    let plotWidth: Double
    let plotHeight: Double
    let legendRows: [[(item: LegendItem, x: Double)]]

    static let legendRowHeight = 20.0
    static let xAxisBand = 46.0   // tick labels + axis title under the plot

    var plotRight: Double { plotLeft + plotWidth }
    var plotBottom: Double { plotTop + plotHeight }
    var height: Double { plotBottom + Self.xAxisBand + (legendRows.isEmpty ? 0 : 8 + Double(legendRows.count) * Self.legendRowHeight) + 6 }

    /// Lays out a frame whose left margin fits the y tick labels and whose legend wraps into rows.
    init(width: Double, plotHeight: Double, yTickLabels: [String], legend: [LegendItem]) {
        self.width = width
        let labelWidth = yTickLabels.map { ChartStyle.estimatedWidth($0) }.max() ?? 0
        plotLeft = max(52, labelWidth + 34)
        plotTop = 14
        plotWidth = max(40, width - plotLeft - 22)
        self.plotHeight = plotHeight

        var rows: [[(item: LegendItem, x: Double)]] = []
        var row: [(item: LegendItem, x: Double)] = []
        var x = plotLeft
        for var item in legend {
            item.label = ChartStyle.fitted(item.label, width: width - plotLeft - 40)
            let itemWidth = 30 + ChartStyle.estimatedWidth(item.label) + 18
            if !row.isEmpty, x + itemWidth > width - 8 {
                rows.append(row)
                row = []
                x = plotLeft
            }
            row.append((item, x))
            x += itemWidth
        }
        if !row.isEmpty { rows.append(row) }
        legendRows = rows
    }

    /// Pixel x of a fraction along the x axis.
    func x(_ fraction: Double) -> Double { plotLeft + fraction * plotWidth }
    /// Pixel y of a fraction along the y axis (0 at the bottom).
    func y(_ fraction: Double) -> Double { plotBottom - fraction * plotHeight }

    /// Opens the `<svg>` element with its accessible title and description, runs `body`, closes it.
    func document(id: String, title: String, description: String, _ body: (inout SVGWriter) -> Void) -> String {
        var svg = SVGWriter()
        svg.group("svg", [
            ("xmlns", "http://www.w3.org/2000/svg"),
            ("id", id),
            ("class", "chart"),
            ("viewBox", "0 0 \(SVGWriter.number(width)) \(SVGWriter.number(height))"),
            ("width", SVGWriter.number(width)),
            ("height", SVGWriter.number(height)),
            ("role", "img"),
            ("aria-labelledby", "\(id)-title \(id)-desc"),
            ("font-family", ChartStyle.fontFamily),
            ("font-size", SVGWriter.number(ChartStyle.fontSize)),
            ("fill", ChartStyle.textColor),
        ]) { svg in
            svg.text("title", [("id", "\(id)-title")], title)
            svg.text("desc", [("id", "\(id)-desc")], description)
            svg.empty("rect", [("x", "0"), ("y", "0"), ("width", SVGWriter.number(width)), ("height", SVGWriter.number(height)), ("fill", "#ffffff")])
            svg.group("defs", []) { svg in
                svg.group("clipPath", [("id", "\(id)-clip")]) { svg in
                    // A little beyond the plot so markers on its edge show whole.
                    svg.empty("rect", [
                        ("x", SVGWriter.number(plotLeft - 5)), ("y", SVGWriter.number(plotTop - 5)),
                        ("width", SVGWriter.number(plotWidth + 10)), ("height", SVGWriter.number(plotHeight + 10)),
                    ])
                }
            }
            body(&svg)
        }
        return svg.markup
    }

    /// Grid lines and labels of the y axis, and its rotated title.
    func drawYAxis(_ svg: inout SVGWriter, scale: any ChartScale, title: String) {
        for tick in scale.ticks {
            guard let fraction = scale.fraction(of: tick.value), fraction >= -1e-9, fraction <= 1 + 1e-9 else { continue }
            let y = y(fraction)
            svg.empty("line", [
                ("x1", SVGWriter.number(plotLeft)), ("x2", SVGWriter.number(plotRight)),
                ("y1", SVGWriter.number(y)), ("y2", SVGWriter.number(y)),
                ("stroke", tick.isMajor ? ChartStyle.gridColor : ChartStyle.minorGridColor), ("stroke-width", "1"),
            ])
            if tick.isMajor, !tick.label.isEmpty {
                svg.text("text", [
                    ("x", SVGWriter.number(plotLeft - 8)), ("y", SVGWriter.number(y + 4)),
                    ("text-anchor", "end"), ("fill", ChartStyle.mutedTextColor),
                ], tick.label)
            }
        }
        let middle = plotTop + plotHeight / 2
        svg.text("text", [
            ("x", "14"), ("y", SVGWriter.number(middle)),
            ("transform", "rotate(-90 14 \(SVGWriter.number(middle)))"),
            ("text-anchor", "middle"), ("font-weight", "600"),
        ], title)
    }

    /// Grid lines, tick marks and labels of the x axis (labels thinned where they would
    /// overlap), and its title.
    func drawXAxis(_ svg: inout SVGWriter, scale: any ChartScale, title: String) {
        var lastLabelRight = -Double.infinity
        for tick in scale.ticks {
            guard let fraction = scale.fraction(of: tick.value), fraction >= -1e-9, fraction <= 1 + 1e-9 else { continue }
            let x = x(fraction)
            svg.empty("line", [
                ("x1", SVGWriter.number(x)), ("x2", SVGWriter.number(x)),
                ("y1", SVGWriter.number(plotTop)), ("y2", SVGWriter.number(plotBottom)),
                ("stroke", tick.isMajor ? ChartStyle.gridColor : ChartStyle.minorGridColor), ("stroke-width", "1"),
            ])
            svg.empty("line", [
                ("x1", SVGWriter.number(x)), ("x2", SVGWriter.number(x)),
                ("y1", SVGWriter.number(plotBottom)), ("y2", SVGWriter.number(plotBottom + (tick.isMajor ? 5 : 3))),
                ("stroke", ChartStyle.axisColor), ("stroke-width", "1"),
            ])
            guard tick.isMajor, !tick.label.isEmpty else { continue }
            let labelWidth = ChartStyle.estimatedWidth(tick.label)
            guard x - labelWidth / 2 > lastLabelRight + 6 else { continue }
            lastLabelRight = x + labelWidth / 2
            svg.text("text", [
                ("x", SVGWriter.number(x)), ("y", SVGWriter.number(plotBottom + 18)),
                ("text-anchor", "middle"), ("fill", ChartStyle.mutedTextColor),
            ], tick.label)
        }
        svg.text("text", [
            ("x", SVGWriter.number(plotLeft + plotWidth / 2)), ("y", SVGWriter.number(plotBottom + 38)),
            ("text-anchor", "middle"), ("font-weight", "600"),
        ], title)
    }

    /// The plot's border (left and bottom axis lines).
    func drawAxisLines(_ svg: inout SVGWriter) {
        svg.empty("path", [
            ("d", "M\(SVGWriter.number(plotLeft)),\(SVGWriter.number(plotTop))V\(SVGWriter.number(plotBottom))H\(SVGWriter.number(plotRight))"),
            ("fill", "none"), ("stroke", ChartStyle.axisColor), ("stroke-width", "1"),
        ])
    }

    /// A grey message in the middle of an empty plot.
    func drawMessage(_ svg: inout SVGWriter, _ message: String) {
        svg.text("text", [
            ("x", SVGWriter.number(plotLeft + plotWidth / 2)), ("y", SVGWriter.number(plotTop + plotHeight / 2)),
            ("text-anchor", "middle"), ("fill", ChartStyle.mutedTextColor), ("font-size", "14"),
        ], message)
    }

    /// The legend rows under the x axis title.
    func drawLegend(_ svg: inout SVGWriter) {
        for (rowIndex, row) in legendRows.enumerated() {
            let y = plotBottom + Self.xAxisBand + 8 + Double(rowIndex) * Self.legendRowHeight + Self.legendRowHeight / 2
            for (item, x) in row {
                svg.group("g", [("class", "legend-item")]) { svg in
                    switch item.swatch {
                    case .line(let dash, let lineWidth, let marker):
                        var attributes = [
                            ("x1", SVGWriter.number(x)), ("x2", SVGWriter.number(x + 24)),
                            ("y1", SVGWriter.number(y)), ("y2", SVGWriter.number(y)),
                            ("stroke", item.color), ("stroke-width", SVGWriter.number(lineWidth)),
                        ]
                        if let dashArray = dash.dashArray { attributes.append(("stroke-dasharray", dashArray)) }
                        svg.empty("line", attributes)
                        if marker {
                            svg.empty("circle", [("cx", SVGWriter.number(x + 12)), ("cy", SVGWriter.number(y)), ("r", "3"), ("fill", item.color)])
                        }
                    case .box(let opacity):
                        svg.empty("rect", [
                            ("x", SVGWriter.number(x + 2)), ("y", SVGWriter.number(y - 6)), ("width", "20"), ("height", "12"),
                            ("fill", item.color), ("fill-opacity", SVGWriter.number(opacity)), ("stroke", item.color), ("stroke-width", "1"),
                        ])
                    }
                    svg.text("text", [("x", SVGWriter.number(x + 30)), ("y", SVGWriter.number(y + 4))], item.label)
                }
            }
        }
    }
}
