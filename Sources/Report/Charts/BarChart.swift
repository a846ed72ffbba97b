import Foundation

/// One set of bars in a ``BarChart``: a value per category, drawn side by side with the other
/// groups' bars in the same category.
public struct BarGroup: Sendable, Equatable {
    public var label: String
    public var color: String
    /// One value per category (missing trailing values count as 0).
    public var values: [Double]
    /// Hover text per category; missing entries get none.
    public var tooltips: [String]

    public init(label: String, color: String, values: [Double], tooltips: [String] = []) {
        self.label = label
        self.color = color
        self.values = values
        self.tooltips = tooltips
    }
}

/// A grouped bar chart in SVG (a histogram when categories are bins), with the value written
/// above each bar when there is room, and optionally shaded categories (e.g. "never solved").
public struct BarChart: Sendable {
    public var title: String
    public var description: String
    /// Category labels along the x axis, left to right.
    public var categories: [String]
    public var groups: [BarGroup]
    public var xTitle: String
    public var yTitle: String
    /// Categories drawn on a tinted background, with its legend entry.
    public var highlighted: (indices: Set<Int>, label: String)?
    /// How values above bars read (e.g. counts as integers).
    public var valueLabel: @Sendable (Double) -> String
    public var width: Double
    public var plotHeight: Double

    public init(
        title: String, description: String = "", categories: [String], groups: [BarGroup], xTitle: String, yTitle: String,
        highlighted: (indices: Set<Int>, label: String)? = nil,
        valueLabel: @escaping @Sendable (Double) -> String = { ReportFormat.compactNumber($0) },
        width: Double = 640, plotHeight: Double = 260
    ) {
        self.title = title
        self.description = description
        self.categories = categories
        self.groups = groups
        self.xTitle = xTitle
        self.yTitle = yTitle
        self.highlighted = highlighted
        self.valueLabel = valueLabel
        self.width = width
        self.plotHeight = plotHeight
    }

    static let highlightColor = "#fbe3d6"

    /// The y scale: from 0 to a little above the tallest bar.
    public var yScale: LinearScale {
        let tallest = groups.flatMap(\.values).filter(\.isFinite).max() ?? 0
        // 12% headroom for the value written above the tallest bar.
        return LinearScale(domain: 0...max(tallest * 1.12, 1), targetTickCount: 5)
    }

    /// The legend: the groups (only when there are several), then the highlight.
    public var legend: [LegendItem] {
        var items = groups.count > 1 ? groups.map { LegendItem(label: $0.label, color: $0.color, swatch: .box(opacity: 0.85)) } : []
        if let highlighted { items.append(LegendItem(label: highlighted.label, color: Self.highlightColor, swatch: .box(opacity: 1))) }
        return items
    }

    /// The chart as one `<svg>` element; `id` must be unique in the page.
    public func svg(id: String) -> String {
        let scale = yScale
        let frame = ChartFrame(width: width, plotHeight: plotHeight, yTickLabels: scale.ticks.map(\.label), legend: legend)
        return frame.document(id: id, title: title, description: description) { svg in
            let slot = frame.plotWidth / Double(max(categories.count, 1))
            if let highlighted {
                for index in highlighted.indices.sorted() where categories.indices.contains(index) {
                    svg.empty("rect", [
                        ("x", SVGWriter.number(frame.plotLeft + Double(index) * slot)), ("y", SVGWriter.number(frame.plotTop)),
                        ("width", SVGWriter.number(slot)), ("height", SVGWriter.number(frame.plotHeight)), ("fill", Self.highlightColor),
                    ])
                }
            }
            frame.drawYAxis(&svg, scale: scale, title: yTitle)

            let groupCount = max(groups.count, 1)
            let barWidth = slot * 0.8 / Double(groupCount)
            var drewBar = false
            for (categoryIndex, category) in categories.enumerated() {
                let slotLeft = frame.plotLeft + Double(categoryIndex) * slot
                for (groupIndex, group) in groups.enumerated() {
                    let value = categoryIndex < group.values.count ? group.values[categoryIndex] : 0
                    guard value.isFinite, let fraction = scale.fraction(of: max(0, value)) else { continue }
                    let x = slotLeft + slot * 0.1 + Double(groupIndex) * barWidth
                    let top = frame.y(min(fraction, 1))
                    svg.group("g", []) { svg in
                        svg.group("rect", [
                            ("x", SVGWriter.number(x + 0.5)), ("y", SVGWriter.number(top)),
                            ("width", SVGWriter.number(max(barWidth - 1, 1))), ("height", SVGWriter.number(frame.plotBottom - top)),
                            ("fill", group.color), ("fill-opacity", "0.85"),
                        ]) { svg in
                            let tooltip = categoryIndex < group.tooltips.count ? group.tooltips[categoryIndex] : "\(group.label), \(category): \(valueLabel(value))"
                            svg.tooltip(tooltip)
                        }
                        if value > 0, barWidth >= 12 {
                            svg.text("text", [
                                ("x", SVGWriter.number(x + barWidth / 2)), ("y", SVGWriter.number(top - 4)),
                                ("text-anchor", "middle"), ("font-size", "10"), ("fill", ChartStyle.mutedTextColor),
                            ], valueLabel(value))
                        }
                    }
                    if value > 0 { drewBar = true }
                }
                svg.text("text", [
                    ("x", SVGWriter.number(slotLeft + slot / 2)), ("y", SVGWriter.number(frame.plotBottom + 18)),
                    ("text-anchor", "middle"), ("fill", ChartStyle.mutedTextColor),
                    ("font-size", slot < ChartStyle.estimatedWidth(category) + 4 ? "9" : "12"),
                ], category)
            }
            svg.text("text", [
                ("x", SVGWriter.number(frame.plotLeft + frame.plotWidth / 2)), ("y", SVGWriter.number(frame.plotBottom + 38)),
                ("text-anchor", "middle"), ("font-weight", "600"),
            ], xTitle)
            frame.drawAxisLines(&svg)
            if !drewBar { frame.drawMessage(&svg, "No data to plot") }
            frame.drawLegend(&svg)
        }
    }
}
