import Foundation

/// Builds SVG markup as text: elements with escaped attributes, and coordinates that are
/// always finite.
///
/// Charts write through this type only, so escaping and number formatting live in one place:
/// a label such as `a<b & "c"` can never break the XML, and a NaN or infinity that slipped past
/// a chart's own filtering is written as `0` rather than as an invalid coordinate.
public struct SVGWriter: Sendable {
    /// The markup written so far.
    public private(set) var markup = ""

    public init() {}

    /// Appends `<name attributes/>`.
    public mutating func empty(_ name: String, _ attributes: [(String, String)]) {
        markup += "<\(name)\(Self.attributeText(attributes))/>"
    }

    /// Appends `<name attributes>text</name>` with `text` escaped.
    public mutating func text(_ name: String, _ attributes: [(String, String)], _ content: String) {
        markup += "<\(name)\(Self.attributeText(attributes))>\(Self.escape(content))</\(name)>"
    }

    /// Appends `<name attributes>`, the markup `body` writes, then `</name>`.
    public mutating func group(_ name: String, _ attributes: [(String, String)], _ body: (inout SVGWriter) -> Void) {
        markup += "<\(name)\(Self.attributeText(attributes))>"
        body(&self)
        markup += "</\(name)>"
    }

    /// Appends markup that is already well-formed (e.g. another writer's output).
    public mutating func raw(_ wellFormed: String) {
        markup += wellFormed
    }

    /// A `<title>` child: browsers show it as the tooltip of its parent element.
    public mutating func tooltip(_ content: String) {
        text("title", [], content)
    }

    static func attributeText(_ attributes: [(String, String)]) -> String {
        attributes.map { " \($0.0)=\"\(escape($0.1))\"" }.joined()
    }

    /// Escapes the five XML special characters, for text and attribute values alike, and
    /// drops control characters XML 1.0 does not allow.
    public static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            case "\t", "\n", "\r": result.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || (0xFFFE...0xFFFF).contains(scalar.value) { continue }
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// A coordinate with at most two decimals and no exponent. Non-finite values become `0`
    /// (charts filter them first; this is the last guard), and magnitudes are capped at 10⁶,
    /// far outside any view box, so no renderer sees an absurd number.
    public static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let capped = min(max(value, -1e6), 1e6)
        let rounded = (capped * 100).rounded() / 100
        if rounded == rounded.rounded() { return String(Int(rounded)) }
        return String(format: "%.2f", rounded)
            .replacingOccurrences(of: #"0+$"#, with: "", options: .regularExpression)
    }

    /// A `points` list (`x,y x,y ...`) for `<polyline>` and `<polygon>`.
    public static func pointList(_ points: [(x: Double, y: Double)]) -> String {
        points.map { "\(number($0.x)),\(number($0.y))" }.joined(separator: " ")
    }
}
