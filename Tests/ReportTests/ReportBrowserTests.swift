import Foundation
import Report
import Testing
import TestSupport

/// Opens a rendered report in real headless Chromium (Debian's package, installed by
/// scripts/report_browser_check.py when missing) and checks what a reader would see.
@Suite("Report in a headless browser")
struct ReportBrowserTests {
    /// Output of scripts/report_browser_check.py.
    struct BrowserCheck: Decodable {
        struct Chart: Decodable {
            var id: String
            var x: Double
            var y: Double
            var width: Double
            var height: Double
            var shapes: Int
            var nonWhiteFraction: Double
            var colouredPixels: Int
        }
        var screenshot: String
        var width: Int
        var height: Int
        var consoleErrors: [String]
        var charts: [Chart]
    }

    /// Writes `input`'s files to a folder (`QUORUM_REPORT_ARTIFACTS` when set, to keep the
    /// screenshot, else a temporary one) and runs the browser check on its HTML.
    static func check(_ input: ReportInput, name: String) throws -> BrowserCheck {
        let base = ProcessInfo.processInfo.environment["QUORUM_REPORT_ARTIFACTS"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("quorum-report-\(UUID().uuidString)")
        let folder = base.appendingPathComponent(name)
        try ReportFiles.write(input, to: folder)
        let script = TestPaths.packageRoot.appendingPathComponent("scripts/report_browser_check.py")
        let result = try Shell.run(["python3", script.path, folder.appendingPathComponent("report.html").path, folder.path])
        guard result.status == 0 else {
            throw TestSupportError("scripts/report_browser_check.py failed (exit \(result.status)): \(result.standardError)")
        }
        return try JSONDecoder().decode(BrowserCheck.self, from: result.standardOutput)
    }

    @Test("the two-run sample report renders in Chromium: no console errors, every chart drawn and non-blank")
    func sampleReportRendersInChromium() throws {
        let input = SampleReport.twoRuns()
        let result = try Self.check(input, name: "two-runs")

        #expect(result.consoleErrors.isEmpty, "console: \(result.consoleErrors)")
        // Coverage, FLOPs, one selection chart per run, the histogram.
        let expected = ["chart-coverage", "chart-flops", "chart-selection-1", "chart-selection-2", "chart-solve-rates"]
        #expect(result.charts.map(\.id) == expected)
        #expect(result.width == 1200)
        for chart in result.charts {
            // Laid out at a readable size, inside the screenshot.
            #expect(chart.width >= 400 && chart.height >= 250, "\(chart.id) is \(chart.width)×\(chart.height) px")
            #expect(chart.y + chart.height <= Double(result.height), "\(chart.id) is below the screenshot")
            #expect(chart.shapes >= 10, "\(chart.id) has \(chart.shapes) shapes")
            // Not blank: text, grid and data cover a visible share of the box, and the data
            // (coloured lines, bands, bars; axes are grey) covers hundreds of pixels.
            #expect(chart.nonWhiteFraction > 0.03, "\(chart.id): \(chart.nonWhiteFraction) of its pixels are not white")
            #expect(chart.colouredPixels > 500, "\(chart.id): \(chart.colouredPixels) coloured pixels")
        }
    }

    @Test("an empty chart is seen as blank by the same check, so the check can fail")
    func emptyChartsHaveNoColouredPixels() throws {
        // One run without curves, cost or solve rates: every chart is frame and message only.
        let input = ReportInput(title: "empty", generatedAt: Date(timeIntervalSince1970: 0), runs: [
            RunReport(id: "empty", label: "empty run", model: "m", dataset: "d", problemCount: 0, samplesPerProblem: 1, curves: []),
        ])
        let result = try Self.check(input, name: "empty")
        #expect(result.consoleErrors.isEmpty, "console: \(result.consoleErrors)")
        #expect(result.charts.count == 4)
        for chart in result.charts {
            #expect(chart.colouredPixels < 50, "\(chart.id): \(chart.colouredPixels) coloured pixels in an empty chart")
        }
    }
}
