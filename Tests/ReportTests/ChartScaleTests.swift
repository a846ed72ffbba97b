import Foundation
import Report
import Testing

@Suite("Chart scales and ticks")
struct ChartScaleTests {
    @Test("sample budgets 1…1024 get ticks at the eleven powers of two, evenly spaced")
    func powersOfTwoUpTo1024() {
        let scale = LogScale(domain: 1...1024, preferPowersOfTwo: true)
        #expect(scale.ticks.map(\.value) == (0...10).map { pow(2, Double($0)) })
        #expect(scale.ticks.map(\.label) == ["1", "2", "4", "8", "16", "32", "64", "128", "256", "512", "1,024"])
        // On a log axis 2^i sits at i/10 of the way from 1 to 2^10.
        for (index, tick) in scale.ticks.enumerated() {
            #expect(abs(scale.fraction(of: tick.value)! - Double(index) / 10) < 1e-12)
        }
    }

    @Test("sample budgets 1…16 get 1, 2, 4, 8, 16")
    func powersOfTwoUpTo16() {
        #expect(LogScale(domain: 1...16, preferPowersOfTwo: true).ticks.map(\.value) == [1, 2, 4, 8, 16])
    }

    @Test("budgets up to 10,000 switch to decades with minor ticks at 2–9 × 10ⁿ")
    func decadesUpTo10000() {
        let scale = LogScale(domain: 1...10_000, preferPowersOfTwo: true)
        let major = scale.ticks.filter(\.isMajor)
        #expect(major.map(\.value) == [1, 10, 100, 1000, 10_000])
        #expect(major.map { scale.fraction(of: $0.value)! }.enumerated().allSatisfy { abs($0.element - Double($0.offset) / 4) < 1e-12 })
        #expect(scale.ticks.filter { !$0.isMajor }.count == 4 * 8)
        #expect(scale.ticks.filter { !$0.isMajor }.allSatisfy { $0.label.isEmpty })
    }

    @Test("FLOPs from 3×10¹² to 5×10¹⁶ are labelled at the powers of ten inside the range")
    func flopsDecades() {
        let scale = LogScale(domain: 3e12...5e16, format: .powerOfTen)
        let major = scale.ticks.filter(\.isMajor)
        #expect(major.map(\.value) == [1e13, 1e14, 1e15, 1e16])
        #expect(major.map(\.label) == ["10¹³", "10¹⁴", "10¹⁵", "10¹⁶"])
        #expect(scale.ticks.allSatisfy { $0.value >= 3e12 && $0.value <= 5e16 })
    }

    @Test("a range inside one decade gets 1-2-5 or 1…9 mantissas")
    func narrowRanges() {
        #expect(LogScale(domain: 2...60).ticks.map(\.value) == [2, 5, 10, 20, 50])
        #expect(LogScale(domain: 2...8).ticks.map(\.value) == [2, 3, 4, 5, 6, 7, 8])
    }

    @Test("tick positions increase strictly and lie in [0, 1] on every scale", arguments: [
        (1.0, 16.0), (1, 1024), (1, 10_000), (1, 1_000_000), (3e12, 5e16), (0.001, 1), (2, 8), (1, 1),
    ])
    func monotoneTicks(lower: Double, upper: Double) {
        for scale in [LogScale(domain: lower...upper, preferPowersOfTwo: true), LogScale(domain: lower...upper)] {
            let fractions = scale.ticks.map { scale.fraction(of: $0.value)! }
            #expect(fractions.count >= 2)
            #expect(zip(fractions, fractions.dropFirst()).allSatisfy { $0 < $1 })
            #expect(fractions.allSatisfy { $0 >= -1e-9 && $0 <= 1 + 1e-9 })
        }
    }

    @Test("a single budget k = 1 still gets a usable axis around it")
    func singleBudget() {
        let scale = LogScale(domain: 1...1, preferPowersOfTwo: true)
        #expect(scale.lower < 1 && scale.upper > 1)
        #expect(scale.fraction(of: 1)! > 0 && scale.fraction(of: 1)! < 1)
        #expect(scale.ticks.map(\.value).contains(1))
    }

    @Test("a log scale cannot place zero, negative or non-finite values")
    func logScaleRejects() {
        let scale = LogScale(domain: 1...100)
        #expect(scale.fraction(of: 0) == nil)
        #expect(scale.fraction(of: -3) == nil)
        #expect(scale.fraction(of: .nan) == nil)
        #expect(scale.fraction(of: .infinity) == nil)
        #expect(LinearScale(domain: 0...1).fraction(of: .nan) == nil)
    }

    @Test("percent axis: 0%, 20%, …, 100%")
    func percentTicks() {
        let scale = LinearScale(domain: 0...1, format: .percent, targetTickCount: 5)
        #expect(scale.ticks.map(\.label) == ["0%", "20%", "40%", "60%", "80%", "100%"])
        #expect(scale.fraction(of: 0.25) == 0.25)
    }

    @Test("linear ticks are round 1-2-5 steps covering the domain")
    func linearTicks() {
        #expect(LinearScale(domain: 0...23, targetTickCount: 5).ticks.map(\.value) == [0, 5, 10, 15, 20])
        #expect(LinearScale(domain: 0...1000, targetTickCount: 5).ticks.map(\.value) == [0, 200, 400, 600, 800, 1000])
        // Empty and non-finite domains are widened instead of dividing by zero.
        #expect(LinearScale(domain: 3...3).fraction(of: 3) == 0.5)
        #expect(!LinearScale(domain: 0...Double.infinity).ticks.isEmpty)
    }
}

@Suite("Formatting")
struct ReportFormatTests {
    @Test("numbers read as a researcher writes them")
    func formats() {
        #expect(ReportFormat.scientific(1e15) == "10¹⁵")
        #expect(ReportFormat.scientific(3.2e14) == "3.2×10¹⁴")
        #expect(ReportFormat.scientific(9.999e14) == "10¹⁵")
        #expect(ReportFormat.scientific(2.5e-4) == "2.5×10⁻⁴")
        #expect(ReportFormat.percent(0.4567) == "45.7%")
        #expect(ReportFormat.percent(.nan) == "–")
        #expect(ReportFormat.grouped(1_234_567) == "1,234,567")
        #expect(ReportFormat.duration(0.25) == "250 ms")
        #expect(ReportFormat.duration(42.14) == "42.1 s")
        #expect(ReportFormat.duration(725) == "12 min 5 s")
        #expect(ReportFormat.duration(12_000) == "3 h 20 min")
        #expect(ReportFormat.tokens(45_210) == "45.2k")
        #expect(ReportFormat.budget(36.2) == "≈ 37")
        #expect(ReportFormat.budget(nil) == "never")
        #expect(ReportFormat.dollars(0.0123) == "$0.0123")
    }

    @Test("SVG coordinates are finite, short and never in exponent form")
    func svgNumbers() {
        #expect(SVGWriter.number(12) == "12")
        #expect(SVGWriter.number(12.346) == "12.35")
        #expect(SVGWriter.number(-0.001) == "0")
        #expect(SVGWriter.number(.nan) == "0")
        #expect(SVGWriter.number(-.infinity) == "0")
        #expect(SVGWriter.number(1e300) == "1000000")
        #expect(SVGWriter.escape("a<b & \"c\" 'd'\u{1}") == "a&lt;b &amp; &quot;c&quot; &#39;d&#39;")
    }
}

@Suite("Solve-rate bins")
struct SolveRateBinsTests {
    @Test("0 and 1 have their own bins; edges i/10 belong to the bin below them")
    func binEdges() {
        // 3/10 and 6/20 are the same Double as 0.3, so both land in (0.2, 0.3].
        let rates = [0, 0, 1.0 / 16, 0.1, 0.1000001, 3.0 / 10, 6.0 / 20, 0.95, 15.0 / 16, 1, 1, 1]
        let counts = SolveRateBins.counts(rates)
        #expect(counts == [2, 2, 1, 2, 0, 0, 0, 0, 0, 0, 2, 3])
        #expect(SolveRateBins.labels.count == 12)
        #expect(SolveRateBins.labels.first == "0" && SolveRateBins.labels.last == "100")
    }

    @Test("rates outside [0, 1] or not finite are not counted")
    func invalidRates() {
        #expect(SolveRateBins.counts([.nan, -0.1, 1.5, .infinity]).reduce(0, +) == 0)
    }
}
