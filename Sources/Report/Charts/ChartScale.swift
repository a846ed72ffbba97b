import Foundation

/// A tick on an axis: a data value, its label, and whether it is major (labelled, with a
/// grid line) or minor (a short mark only).
public struct AxisTick: Sendable, Equatable {
    public var value: Double
    public var label: String
    public var isMajor: Bool

    public init(value: Double, label: String, isMajor: Bool = true) {
        self.value = value
        self.label = label
        self.isMajor = isMajor
    }
}

/// Maps data values to a fraction of an axis's length and chooses its ticks.
///
/// Fractions run from 0 at the start of the domain to 1 at its end; the chart turns them into
/// pixels. Values outside the domain give fractions outside `[0, 1]` (the chart clips them);
/// values the scale cannot place (non-finite, or ≤ 0 on a log scale) give `nil`.
public protocol ChartScale: Sendable {
    /// The fraction of the axis at which `value` lies, or `nil` if it cannot be placed.
    func fraction(of value: Double) -> Double?
    /// Ticks inside the domain, in increasing order.
    var ticks: [AxisTick] { get }
}

/// How a scale labels its tick values.
public enum TickFormat: Sendable, Equatable {
    /// Plain numbers: `0.5`, `12`, `1,024`, `2.5M`.
    case number
    /// Fractions as percentages: `0.25` → `25%`.
    case percent
    /// Powers of ten as `10ⁿ` (with `2×10ⁿ` style for other mantissas); for FLOPs.
    case powerOfTen

    /// The label of `value` under this format.
    public func label(_ value: Double) -> String {
        switch self {
        case .number: return ReportFormat.compactNumber(value)
        case .percent: return ReportFormat.percent(value, decimals: abs(value * 100 - (value * 100).rounded()) < 1e-9 ? 0 : 1)
        case .powerOfTen: return ReportFormat.scientific(value)
        }
    }
}

/// A linear scale over `[lower, upper]` with ticks at 1, 2 or 5 times a power of ten.
public struct LinearScale: ChartScale {
    public let lower: Double
    public let upper: Double
    public let format: TickFormat
    public let ticks: [AxisTick]

    /// - Parameters:
    ///   - domain: the data range shown; an empty or non-finite range is widened to a usable one.
    ///   - format: how tick labels read.
    ///   - targetTickCount: about how many labelled ticks to aim for.
    public init(domain: ClosedRange<Double>, format: TickFormat = .number, targetTickCount: Int = 6) {
        var lower = domain.lowerBound.isFinite ? domain.lowerBound : 0
        var upper = domain.upperBound.isFinite ? domain.upperBound : lower + 1
        if upper <= lower {
            let pad = lower == 0 ? 1 : abs(lower) * 0.5
            lower -= pad
            upper += pad
        }
        self.lower = lower
        self.upper = upper
        self.format = format
        let step = Self.niceStep(span: upper - lower, targetCount: max(2, targetTickCount))
        var ticks: [AxisTick] = []
        var index = (lower / step).rounded(.up)
        while index * step <= upper + step * 1e-9, ticks.count < 100 {
            let value = abs(index * step) < step * 1e-9 ? 0 : index * step
            ticks.append(AxisTick(value: value, label: format.label(value)))
            index += 1
        }
        self.ticks = ticks
    }

    public func fraction(of value: Double) -> Double? {
        guard value.isFinite else { return nil }
        return (value - lower) / (upper - lower)
    }

    /// The step 1, 2 or 5 × 10ⁿ that splits `span` into about `targetCount` parts.
    static func niceStep(span: Double, targetCount: Int) -> Double {
        let raw = span / Double(targetCount)
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let residual = raw / magnitude
        let mantissa: Double = residual <= 1 ? 1 : residual <= 2 ? 2 : residual <= 5 ? 5 : 10
        return mantissa * magnitude
    }
}

/// A logarithmic scale over `[lower, upper]`, both > 0.
///
/// Ticks follow what readers of scaling plots expect: for sample budgets k up to 2¹¹ the
/// powers of two (1, 2, 4, …, 1024); for wider ranges the powers of ten with minor ticks at
/// 2–9 × 10ⁿ (every other decade when there are more than ten); for a range inside one decade,
/// 1, 2 and 5 × 10ⁿ (or 1–9 × 10ⁿ).
public struct LogScale: ChartScale {
    public let lower: Double
    public let upper: Double
    public let format: TickFormat
    public let ticks: [AxisTick]

    /// - Parameters:
    ///   - domain: the data range; bounds ≤ 0 or non-finite are replaced, and a single value
    ///     is widened to half and twice itself.
    ///   - format: how tick labels read.
    ///   - preferPowersOfTwo: use 1, 2, 4, … when the range spans at most 2¹¹ (sample budgets).
    public init(domain: ClosedRange<Double>, format: TickFormat = .number, preferPowersOfTwo: Bool = false) {
        var lower = domain.lowerBound.isFinite && domain.lowerBound > 0 ? domain.lowerBound : 1
        var upper = domain.upperBound.isFinite && domain.upperBound > 0 ? domain.upperBound : lower * 10
        if upper < lower { swap(&lower, &upper) }
        if upper / lower < 1.000001 {
            lower /= 2
            upper *= 2
        }
        self.lower = lower
        self.upper = upper
        self.format = format
        self.ticks = Self.makeTicks(lower: lower, upper: upper, format: format, preferPowersOfTwo: preferPowersOfTwo)
    }

    public func fraction(of value: Double) -> Double? {
        guard value.isFinite, value > 0 else { return nil }
        return log(value / lower) / log(upper / lower)
    }

    static func makeTicks(lower: Double, upper: Double, format: TickFormat, preferPowersOfTwo: Bool) -> [AxisTick] {
        let tolerance = 1e-9
        func inside(_ value: Double) -> Bool { value >= lower * (1 - tolerance) && value <= upper * (1 + tolerance) }

        if preferPowersOfTwo, upper / lower <= 2048 * (1 + tolerance) {
            let first = Int((log2(lower) - tolerance).rounded(.up))
            var ticks: [AxisTick] = []
            var exponent = first
            while true {
                let value = pow(2, Double(exponent))
                if value > upper * (1 + tolerance) { break }
                if inside(value) { ticks.append(AxisTick(value: value, label: format.label(value))) }
                exponent += 1
            }
            if ticks.count >= 2 { return ticks }
        }

        let firstDecade = Int(log10(lower * (1 - tolerance)).rounded(.down))
        let lastDecade = Int(log10(upper * (1 + tolerance)).rounded(.down))
        let majorPowers = (firstDecade...lastDecade).filter { inside(pow(10, Double($0))) }
        if majorPowers.count >= 2 {
            let stride = majorPowers.count > 10 ? 2 : 1
            var ticks: [AxisTick] = []
            for decade in firstDecade...lastDecade {
                let power = pow(10, Double(decade))
                let labelled = (decade - majorPowers[0]) % stride == 0
                if inside(power) {
                    ticks.append(AxisTick(value: power, label: labelled ? format.label(power) : "", isMajor: labelled))
                }
                if stride == 1 {
                    for mantissa in 2...9 where inside(Double(mantissa) * power) {
                        ticks.append(AxisTick(value: Double(mantissa) * power, label: "", isMajor: false))
                    }
                }
            }
            return ticks
        }

        // Within about one decade: 1, 2, 5 × 10ⁿ, or every mantissa if that gives too few.
        for mantissas in [[1.0, 2, 5], [1.0, 2, 3, 4, 5, 6, 7, 8, 9]] {
            var ticks: [AxisTick] = []
            for decade in (firstDecade - 1)...(lastDecade + 1) {
                for mantissa in mantissas {
                    let value = mantissa * pow(10, Double(decade))
                    if inside(value) { ticks.append(AxisTick(value: value, label: format.label(value))) }
                }
            }
            if ticks.count >= 3 { return ticks }
        }
        // A range too narrow for any round value: label both ends.
        return [AxisTick(value: lower, label: format.label(lower)), AxisTick(value: upper, label: format.label(upper))]
    }
}
