import Foundation

/// How numbers read in every output: one place, so the HTML, the terminal table and the chart
/// labels agree. Non-finite values read as "–" rather than "nan".
public enum ReportFormat {
    /// The dash shown for a missing or non-finite value.
    public static let missing = "–"

    /// A fraction as a percentage: `0.4567` → `45.7%` (one decimal by default).
    public static func percent(_ value: Double?, decimals: Int = 1) -> String {
        guard let value, value.isFinite else { return missing }
        return String(format: "%.\(max(0, decimals))f%%", value * 100)
    }

    /// A short number for tick labels and tables: `12`, `0.25`, `1,024`, `25k`, `3.2M`, `1.5e12`.
    public static func compactNumber(_ value: Double) -> String {
        guard value.isFinite else { return missing }
        let magnitude = abs(value)
        if magnitude == 0 { return "0" }
        if magnitude >= 1e12 || magnitude < 1e-3 { return scientific(value) }
        if magnitude >= 1e9 { return trimmed(value / 1e9, decimals: 1) + "G" }
        if magnitude >= 1e6 { return trimmed(value / 1e6, decimals: 1) + "M" }
        if magnitude >= 1e5 { return trimmed(value / 1e3, decimals: 0) + "k" }
        if magnitude >= 1000, value == value.rounded() { return grouped(Int(value)) }
        if magnitude >= 1000 { return trimmed(value / 1e3, decimals: 1) + "k" }
        return trimmed(value, decimals: magnitude >= 10 ? 1 : 3)
    }

    /// An integer with thousands separators: `1234567` → `1,234,567`.
    public static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var result = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { result += "," }
            result.append(character)
        }
        return value < 0 ? "-" + result : result
    }

    /// Scientific notation with superscript exponents: `1e15` → `10¹⁵`, `3.2e14` → `3.2×10¹⁴`.
    public static func scientific(_ value: Double) -> String {
        guard value.isFinite else { return missing }
        if value == 0 { return "0" }
        var exponent = Int(log10(abs(value)).rounded(.down))
        var mantissa = value / pow(10, Double(exponent))
        if abs(mantissa) >= 9.995 {   // 9.999e14 would print as 10.0×10¹⁴
            exponent += 1
            mantissa /= 10
        }
        let power = "10" + superscript(exponent)
        if abs(abs(mantissa) - 1) < 0.005 { return (mantissa < 0 ? "-" : "") + power }
        return trimmed(mantissa, decimals: 2) + "×" + power
    }

    /// A FLOP count: `3.2×10¹⁴ FLOPs`.
    public static func flops(_ value: Double?) -> String {
        guard let value, value.isFinite else { return missing }
        return scientific(value) + " FLOPs"
    }

    /// Seconds as `850 ms`, `42.1 s`, `12 min 5 s` or `3 h 20 min`.
    public static func duration(_ seconds: Double?) -> String {
        guard let seconds, seconds.isFinite, seconds >= 0 else { return missing }
        if seconds < 1 { return "\(Int((seconds * 1000).rounded())) ms" }
        if seconds < 60 { return trimmed(seconds, decimals: 1) + " s" }
        let whole = Int(seconds.rounded())
        if whole < 3600 { return "\(whole / 60) min \(whole % 60) s" }
        return "\(whole / 3600) h \((whole % 3600) / 60) min"
    }

    /// Dollars: `$0.0123`, `$1.50`, `$1,234`.
    public static func dollars(_ value: Double?) -> String {
        guard let value, value.isFinite else { return missing }
        if abs(value) < 1 { return String(format: "$%.4f", value) }
        if abs(value) < 1000 { return String(format: "$%.2f", value) }
        return "$" + grouped(Int(value.rounded()))
    }

    /// A token count: `812`, `45.2k`, `3.1M`.
    public static func tokens(_ value: Int?) -> String {
        guard let value else { return missing }
        if value < 10_000 { return grouped(value) }
        if value < 1_000_000 { return trimmed(Double(value) / 1e3, decimals: 1) + "k" }
        return trimmed(Double(value) / 1e6, decimals: 2) + "M"
    }

    /// A sample budget the fitted law predicts: `≈ 37` or `never` when unreachable.
    public static func budget(_ k: Double?) -> String {
        guard let k else { return "never" }
        guard k.isFinite else { return missing }
        if k >= 1e6 { return "≈ " + scientific(k) }
        return "≈ " + grouped(Int(k.rounded(.up)))
    }

    /// A plain number with up to `decimals` decimals, trailing zeros removed.
    public static func trimmed(_ value: Double, decimals: Int) -> String {
        guard value.isFinite else { return missing }
        var text = String(format: "%.\(max(0, decimals))f", value)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text == "-0" ? "0" : text
    }

    static func superscript(_ exponent: Int) -> String {
        let digits: [Character: Character] = [
            "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹", "-": "⁻",
        ]
        return String(String(exponent).map { digits[$0] ?? $0 })
    }
}
