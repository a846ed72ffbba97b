import Foundation
import Report
import Testing
import TestSupport
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Inputs that stress the renderer: one k, all zeros, no intervals, no fit, bad numbers, many
/// runs, hostile labels, no runs.
enum EdgeCases {
    static let date = Date(timeIntervalSince1970: 1_800_000_000)

    static func run(_ id: String, curves: [Curve], solveRates: [Double] = [], fit: ScalingFit? = nil, cost: Cost = Cost(), samples: Int = 8) -> RunReport {
        RunReport(id: id, label: "run \(id)", model: "model-\(id)", dataset: "set", problemCount: solveRates.count,
                  samplesPerProblem: samples, curves: curves, solveRates: solveRates, fit: fit, cost: cost)
    }

    static let all: [(name: String, input: ReportInput)] = [
        ("single k", ReportInput(title: "single k", generatedAt: date, runs: [
            run("a", curves: [Curve(name: "coverage", kind: .coverage, points: [CurvePoint(k: 1, value: 0.4, lower: 0.3, upper: 0.5)]),
                              Curve(name: "maj@k", kind: .majority, points: [CurvePoint(k: 1, value: 0.4)])],
                solveRates: [0.4, 0.4], samples: 1),
        ])),
        ("all zero", ReportInput(title: "all zero", generatedAt: date, runs: [
            run("z", curves: [Curve(name: "coverage", kind: .coverage, points: (0...4).map { CurvePoint(k: 1 << $0, value: 0, lower: 0, upper: 0) }),
                              Curve(name: "maj@k", kind: .majority, points: (0...4).map { CurvePoint(k: 1 << $0, value: 0) })],
                solveRates: [0, 0, 0], cost: Cost(flops: 0), samples: 16),
        ])),
        ("no intervals, no fit, no cost", ReportInput(title: "bare", generatedAt: date, runs: [
            run("b", curves: [Curve(name: "coverage", kind: .coverage, points: (0...6).map { CurvePoint(k: 1 << $0, value: Double($0) / 7) })]),
        ])),
        ("bad numbers", ReportInput(title: "bad", generatedAt: date, runs: [
            run("n", curves: [
                Curve(name: "coverage", kind: .coverage, points: [
                    CurvePoint(k: 0, value: 0.1), CurvePoint(k: -4, value: 0.2), CurvePoint(k: 1, value: .nan, lower: .nan, upper: .infinity),
                    CurvePoint(k: 2, value: 0.3, lower: -.infinity, upper: 0.4, flops: -1), CurvePoint(k: 4, value: .infinity, flops: .nan),
                    CurvePoint(k: 8, value: 1.7, lower: 1.5, upper: 2, flops: 1e30), CurvePoint(k: 8, value: 0.5),
                ]),
                Curve(name: "best-of-N@k", kind: .bestOfN, points: [CurvePoint(k: 16, value: -0.5, flops: 0)]),
            ], solveRates: [.nan, -1, 2, 0.5], fit: ScalingFit(a: .nan, b: .infinity, rSquared: .nan, rootMeanSquareError: .infinity,
                                                              targets: [CoverageTarget(target: 0.5, k: .nan), CoverageTarget(target: 0.9, k: nil)]),
                cost: Cost(promptTokens: -5, completionTokens: 0, seconds: .nan, flops: .infinity, dollars: .nan), samples: 0),
        ])),
        ("many runs and hostile labels", ReportInput(title: "<script>alert(\"x\")</script> & co", generatedAt: date, runs: (0..<12).map { index in
            var run = run("r\(index)", curves: [
                Curve(name: "coverage <b>&", kind: .coverage, points: (0...5).map { CurvePoint(k: 1 << $0, value: min(1, 0.05 * Double(index + $0))) }),
                Curve(name: "vote \"weighted\"", kind: .other, points: (0...5).map { CurvePoint(k: 1 << $0, value: 0.03 * Double(index)) }),
            ], solveRates: [0, 0.25, 1], fit: ScalingFit(a: -2, b: -0.3, rSquared: 0.9, rootMeanSquareError: 0.01), cost: Cost(flops: 1e12 * Double(index + 1)), samples: 32)
            run.label = "model \(index) · \"quoted\" <tag> & ampersand, comma"
            run.configuration = ["<key>": "\"value\" & more"]
            run.notes = ["</svg></html> not the end"]
            return run
        })),
        ("no runs", ReportInput(title: "empty", generatedAt: date, runs: [])),
    ]
}

@Suite("HTML report structure")
struct HTMLReportTests {
    static let sample = SampleReport.twoRuns()
    static let sampleHTML = HTMLReport.render(sample)

    @Test("every chart is well-formed XML with only finite numbers in its geometry", arguments: [("sample", sample)] + EdgeCases.all)
    func chartsAreWellFormedAndFinite(name: String, input: ReportInput) throws {
        let html = HTMLReport.render(input)
        let svgs = SVGInspection.svgTexts(html)
        #expect(svgs.count == (input.runs.isEmpty ? 0 : 3 + input.runs.count), "\(name): \(svgs.count) charts")
        for svg in svgs {
            let root = try SVGInspection.parse(svg)
            let (numbers, invalid) = SVGInspection.geometryNumbers(root)
            #expect(invalid.isEmpty, "\(name): \(invalid.prefix(5))")
            let bad = numbers.filter { Double($0.text).map { !$0.isFinite } ?? true }
            #expect(bad.isEmpty, "\(name): unparseable or infinite numbers \(bad.prefix(5))")
            #expect(numbers.count > 20)
        }
    }

    @Test("the page is self-contained: no scripts, no external URLs, unique ids, escaped text", arguments: [("sample", sample)] + EdgeCases.all)
    func selfContained(name: String, input: ReportInput) throws {
        let html = HTMLReport.render(input)
        #expect(!html.lowercased().contains("<script"), "\(name)")
        #expect(!html.contains("<tag>") && !html.contains("<b>&"), "\(name): unescaped label text")
        let urls = html.components(separatedBy: "http").dropFirst().map { "http" + $0.prefix(30) }
        #expect(urls.allSatisfy { $0.hasPrefix("http://www.w3.org/2000/svg\"") }, "\(name): \(urls)")
        #expect(!html.contains("url(http") && !html.contains("@import") && !html.contains("src="), "\(name)")
        let ids = html.components(separatedBy: " id=\"").dropFirst().map { $0.prefix { $0 != "\"" } }
        #expect(Set(ids).count == ids.count, "\(name): duplicate ids")
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.hasSuffix("</html>\n"))
    }

    /// The plot rectangle of a chart, read from its axis path `M left,top V bottom H right`.
    static func plotRectangle(_ root: XMLElement) throws -> (left: Double, top: Double, bottom: Double, right: Double) {
        let axis = SVGInspection.elements(root).first { $0.name == "path" && (SVGInspection.attribute($0, "d") ?? "").contains("V") && (SVGInspection.attribute($0, "d") ?? "").contains("H") }
        let d = try #require(SVGInspection.attribute(axis, "d"))
        let numbers = d.split(whereSeparator: { "MVH,".contains($0) }).compactMap { Double($0) }
        try #require(numbers.count == 4)
        return (numbers[0], numbers[1], numbers[2], numbers[3])
    }

    static func chart(_ id: String, in html: String) throws -> XMLElement {
        let svg = try #require(SVGInspection.svgTexts(html).first { $0.contains("id=\"\(id)\"") })
        return try SVGInspection.parse(svg)
    }

    @Test("coverage points sit where a log-k, linear-coverage axis puts them")
    func coveragePointPositions() throws {
        let root = try Self.chart("chart-coverage", in: Self.sampleHTML)
        let plot = try Self.plotRectangle(root)
        let run = Self.sample.runs[1]   // k = 1…1024: the axis spans 2^0…2^10
        let coverage = try #require(run.curve(.coverage))
        let line = try #require(SVGInspection.elements(root).first {
            $0.name == "polyline" && SVGInspection.attribute($0, "stroke") == ChartStyle.color(1) && SVGInspection.attribute($0, "stroke-dasharray") == nil
        })
        let points = (SVGInspection.attribute(line, "points") ?? "").split(separator: " ").map { pair in
            pair.split(separator: ",").compactMap { Double($0) }
        }
        #expect(points.count == coverage.points.count)
        for (point, expected) in zip(points, coverage.points) {
            let x = plot.left + log2(Double(expected.k)) / 10 * (plot.right - plot.left)
            let y = plot.bottom - expected.value * (plot.bottom - plot.top)
            #expect(abs(point[0] - x) <= 0.011 && abs(point[1] - y) <= 0.011, "k=\(expected.k): \(point) vs (\(x), \(y))")
        }
        // One marker with a tooltip per point of every run's coverage curve.
        // (Legend swatches are circles too, without tooltips: one per run.)
        let circles = SVGInspection.elements(root).filter { $0.name == "circle" }
        let markers = circles.filter { ($0.children ?? []).contains { $0.name == "title" } }
        #expect(markers.count == Self.sample.runs.map { $0.curve(.coverage)!.points.count }.reduce(0, +))
        #expect(circles.count - markers.count == Self.sample.runs.count)
        let firstTooltip = markers.first?.stringValue ?? ""
        #expect(firstTooltip.contains("coverage at k = 1"))
    }

    @Test("the fitted law is drawn as exp(a·k^b): dashed, starting at exp(a) for k = 1")
    func fittedLawLine() throws {
        let root = try Self.chart("chart-coverage", in: Self.sampleHTML)
        let plot = try Self.plotRectangle(root)
        let fit = try #require(Self.sample.runs[1].fit)
        let dashed = try #require(SVGInspection.elements(root).first {
            $0.name == "polyline" && SVGInspection.attribute($0, "stroke") == ChartStyle.color(1) && SVGInspection.attribute($0, "stroke-dasharray") != nil
        })
        let first = (SVGInspection.attribute(dashed, "points") ?? "").split(separator: " ").first?.split(separator: ",").compactMap { Double($0) } ?? []
        #expect(first.count == 2)
        #expect(abs(first[0] - plot.left) < 0.011)
        #expect(abs(first[1] - (plot.bottom - exp(fit.a) * (plot.bottom - plot.top))) < 0.011)
    }

    @Test("histogram bars are proportional to the number of problems in each bin")
    func histogramBars() throws {
        let root = try Self.chart("chart-solve-rates", in: Self.sampleHTML)
        var heightPerProblem: [Double] = []
        for rect in SVGInspection.elements(root) where rect.name == "rect" {
            guard let title = (rect.children ?? []).first(where: { $0.name == "title" })?.stringValue,
                  let range = title.range(of: #": (\d+) of"#, options: .regularExpression) else { continue }
            let count = Double(title[range].dropFirst(2).prefix { $0.isNumber })!
            let height = Double(SVGInspection.attribute(rect, "height") ?? "") ?? -1
            if count == 0 { #expect(abs(height) < 0.011) } else { heightPerProblem.append(height / count) }
        }
        #expect(heightPerProblem.count >= 10)
        let spread = (heightPerProblem.max() ?? 0) - (heightPerProblem.min() ?? 0)
        #expect(spread < 0.02, "height per problem varies: \(heightPerProblem)")
        // The never-solved counts are stated in the page.
        let neverSolved = Self.sample.runs.map { run in run.solveRates.filter { $0 == 0 }.count }
        for (run, count) in zip(Self.sample.runs, neverSolved) {
            #expect(Self.sampleHTML.contains("\(HTMLEscape.text(run.label)): \(count) of \(run.solveRates.count) never solved"))
        }
    }

    @Test("the summary table shows pass@1 and the values at the largest k of each run")
    func summaryTable() throws {
        for run in Self.sample.runs {
            let coverage = try #require(run.curve(.coverage))
            let majority = try #require(run.curve(.majority))
            let passAtOne = coverage.points.first { $0.k == 1 }!.value
            let last = coverage.points.max { $0.k < $1.k }!
            #expect(Self.sampleHTML.contains(">\(Self.percent(passAtOne))</td>"))
            #expect(Self.sampleHTML.contains(">\(Self.percent(last.value)) @ \(last.k)</td>"))
            #expect(Self.sampleHTML.contains(">\(Self.percent(majority.points.max { $0.k < $1.k }!.value)) @ \(last.k)</td>"))
        }
    }

    /// One decimal, rounded half away from zero, as "12.5%".
    static func percent(_ value: Double) -> String {
        let tenths = (value * 1000).rounded(.toNearestOrAwayFromZero)
        return "\(Int(tenths) / 10).\(Int(tenths) % 10)%"
    }

    @Test("one chart per run shows selection against coverage, with the gap between them shaded")
    func selectionCharts() throws {
        for index in Self.sample.runs.indices {
            let root = try Self.chart("chart-selection-\(index + 1)", in: Self.sampleHTML)
            let polylines = SVGInspection.elements(root).filter { $0.name == "polyline" }
            #expect(polylines.count == 3)   // coverage, maj@k, best-of-N@k
            #expect(SVGInspection.elements(root).contains { $0.name == "polygon" })   // the gap
            #expect(root.stringValue?.contains("sampled but not selected") == true)
        }
    }

    @Test("a chart with nothing to plot says so instead of drawing an empty frame")
    func emptyChartMessage() throws {
        let input = EdgeCases.all.first { $0.name == "no intervals, no fit, no cost" }!.input
        let html = HTMLReport.render(input)
        let flops = try Self.chart("chart-flops", in: html)
        #expect(flops.stringValue?.contains("No FLOPs recorded") == true)
        let noRuns = HTMLReport.render(EdgeCases.all.last!.input)
        #expect(noRuns.contains("This report has no runs."))
    }
}

/// Escaping as HTML text, for comparing page content (independent of the module's escaper).
enum HTMLEscape {
    static func text(_ string: String) -> String {
        string.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }
}
