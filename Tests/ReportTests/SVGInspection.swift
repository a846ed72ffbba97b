import Foundation
import Report
import TestSupport
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Parses the `<svg>` elements of a rendered page with libxml2 (Foundation's `XMLDocument`),
/// an XML parser independent of the code that wrote them.
enum SVGInspection {
    /// Every `<svg …>…</svg>` of `html`, as text.
    static func svgTexts(_ html: String) -> [String] {
        var result: [String] = []
        var rest = html[...]
        while let start = rest.range(of: "<svg"), let end = rest.range(of: "</svg>", range: start.upperBound..<rest.endIndex) {
            result.append(String(rest[start.lowerBound..<end.upperBound]))
            rest = rest[end.upperBound...]
        }
        return result
    }

    /// Parses one SVG as strict XML; throws on any well-formedness error.
    static func parse(_ svg: String) throws -> XMLElement {
        let document = try XMLDocument(xmlString: svg, options: [])
        guard let root = document.rootElement(), root.name == "svg" else {
            throw TestSupportError("the parsed document's root is not <svg>")
        }
        return root
    }

    /// Every element under `element`, depth first, itself included.
    static func elements(_ element: XMLElement) -> [XMLElement] {
        [element] + (element.children ?? []).compactMap { $0 as? XMLElement }.flatMap(elements)
    }

    /// An attribute's value. (`XMLElement.attribute(forName:)` finds nothing on Linux when the
    /// root declares a default namespace, as every SVG does, so look through the list.)
    static func attribute(_ element: XMLElement?, _ name: String) -> String? {
        element?.attributes?.first { $0.name == name }?.stringValue
    }

    /// The attributes that hold coordinates or lengths.
    static let geometryAttributes: Set<String> = [
        "x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r", "width", "height", "points", "d", "viewBox", "transform",
        "fill-opacity", "stroke-width", "font-size",
    ]

    /// Every number written in a geometry attribute, with where it came from; numbers are the
    /// maximal runs of `[-+0-9.eE]` and anything alphabetic other than path commands is reported.
    static func geometryNumbers(_ root: XMLElement) -> (numbers: [(element: String, attribute: String, text: String)], invalidTokens: [String]) {
        var numbers: [(String, String, String)] = []
        var invalid: [String] = []
        for element in elements(root) {
            for attribute in element.attributes ?? [] {
                guard let name = attribute.name, geometryAttributes.contains(name), let value = attribute.stringValue else { continue }
                let lowered = value.lowercased()
                if lowered.contains("nan") || lowered.contains("inf") { invalid.append("\(element.name ?? "?") \(name)=\"\(value)\"") }
                var token = ""
                func flush() {
                    if !token.isEmpty { numbers.append((element.name ?? "?", name, token)) }
                    token = ""
                }
                for character in value {
                    if character.isNumber || character == "." || character == "-" && token.isEmpty || character == "e" && !token.isEmpty {
                        token.append(character)
                    } else {
                        flush()
                        if character == "-" { token = "-" }
                    }
                }
                flush()
            }
        }
        return (numbers, invalid)
    }
}
