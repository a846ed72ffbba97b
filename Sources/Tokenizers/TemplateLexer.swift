/// Splits a Jinja template into text and tag tokens, applying whitespace control the way
/// HF transformers configures Jinja for chat templates: `trim_blocks` (drop the newline after a
/// block or comment tag), `lstrip_blocks` (drop spaces and tabs before a block or comment tag
/// that starts its line), and the `-` markers (`{%-`, `-%}`) that strip all whitespace.
struct TemplateLexer {
    enum TokenKind: Equatable {
        case text(String)
        case name(String)
        case string(String)
        case integer(Int)
        case double(Double)
        case symbol(String)
        case blockStart, blockEnd, variableStart, variableEnd
        case end
    }

    struct Token {
        let kind: TokenKind
        let line: Int
        let column: Int
    }

    private let source: [UInt8]
    /// Offset of the first byte of each line, for error positions.
    private let lineStarts: [Int]
    private var i = 0
    private(set) var tokens: [Token] = []

    init(_ template: String) {
        // As Jinja's lexer: line endings become "\n" and one trailing newline is dropped
        // (keep_trailing_newline is off).
        var bytes: [UInt8] = []
        bytes.reserveCapacity(template.utf8.count)
        var previousWasCarriageReturn = false
        for b in template.utf8 {
            if b == 0x0A && previousWasCarriageReturn { previousWasCarriageReturn = false; continue }
            previousWasCarriageReturn = b == 0x0D
            bytes.append(b == 0x0D ? 0x0A : b)
        }
        if bytes.last == 0x0A { bytes.removeLast() }
        source = bytes
        var starts = [0]
        for (i, b) in bytes.enumerated() where b == 0x0A { starts.append(i + 1) }
        lineStarts = starts
    }

    private func position(_ offset: Int) -> (line: Int, column: Int) {
        // The last line start at or before `offset` (binary search).
        var low = 0, high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= offset { low = mid } else { high = mid - 1 }
        }
        return (low + 1, offset - lineStarts[low] + 1)
    }

    private func error(_ message: String, at offset: Int) -> TokenizerError {
        let p = position(offset)
        return .templateSyntax(message: message, line: p.line, column: p.column)
    }

    private func starts(_ s: String, at offset: Int) -> Bool {
        let u = Array(s.utf8)
        return offset + u.count <= source.count && source[offset..<(offset + u.count)].elementsEqual(u)
    }

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0B || b == 0x0C }

    mutating func tokenize() throws(TokenizerError) -> [Token] {
        var lineStarting = true
        while i < source.count {
            // Find the next tag opening.
            var j = i
            var opening: UInt8 = 0
            while j + 1 < source.count {
                if source[j] == UInt8(ascii: "{"), [UInt8(ascii: "{"), UInt8(ascii: "%"), UInt8(ascii: "#")].contains(source[j + 1]) {
                    opening = source[j + 1]
                    break
                }
                j += 1
            }
            if opening == 0 { j = source.count }
            var text = Array(source[i..<j])
            if opening != 0 {
                let sign = j + 2 < source.count ? source[j + 2] : 0
                if sign == UInt8(ascii: "-") {
                    while let l = text.last, Self.isSpace(l) { text.removeLast() }
                } else if sign != UInt8(ascii: "+") && opening != UInt8(ascii: "{") {
                    // lstrip_blocks: spaces and tabs between the line start and the tag go.
                    let lineStart = (text.lastIndex(of: 0x0A).map { $0 + 1 }) ?? 0
                    if (lineStart > 0 || lineStarting) && lineStart < text.count
                        && text[lineStart...].allSatisfy({ Self.isSpace($0) }) {
                        text.removeSubrange(lineStart...)
                    }
                }
            }
            if !text.isEmpty {
                let p = position(i)
                tokens.append(Token(kind: .text(String(decoding: text, as: UTF8.self)), line: p.line, column: p.column))
            }
            guard opening != 0 else { break }
            i = j + 2
            if i < source.count && (source[i] == UInt8(ascii: "-") || source[i] == UInt8(ascii: "+")) { i += 1 }
            let endedWithNewline: Bool
            switch opening {
            case UInt8(ascii: "#"):
                // Comment: skip to `#}`.
                var k = i
                while k + 1 < source.count && !(source[k] == UInt8(ascii: "#") && source[k + 1] == UInt8(ascii: "}")) { k += 1 }
                guard k + 1 < source.count else { throw error("unterminated comment", at: j) }
                let strip = k > i && source[k - 1] == UInt8(ascii: "-")
                i = k + 2
                endedWithNewline = afterTag(strip: strip, trimNewline: true)
            case UInt8(ascii: "%"):
                let p = position(j)
                tokens.append(Token(kind: .blockStart, line: p.line, column: p.column))
                let strip = try lexExpression(until: "%}")
                // `{% raw %}` keeps everything up to `{% endraw %}` as text.
                if tokens.count >= 2, case .name("raw") = tokens[tokens.count - 1].kind, case .blockStart = tokens[tokens.count - 2].kind {
                    tokens.removeLast(2)
                    _ = afterTag(strip: strip, trimNewline: true)
                    try lexRaw(from: j)
                    lineStarting = false
                    continue
                }
                let q = position(i)
                tokens.append(Token(kind: .blockEnd, line: q.line, column: q.column))
                endedWithNewline = afterTag(strip: strip, trimNewline: true)
            default:
                let p = position(j)
                tokens.append(Token(kind: .variableStart, line: p.line, column: p.column))
                let strip = try lexExpression(until: "}}")
                let q = position(i)
                tokens.append(Token(kind: .variableEnd, line: q.line, column: q.column))
                endedWithNewline = afterTag(strip: strip, trimNewline: false)
            }
            lineStarting = endedWithNewline
        }
        let p = position(source.count)
        tokens.append(Token(kind: .end, line: p.line, column: p.column))
        return tokens
    }

    /// After a tag's closing delimiter: `-` strips the following whitespace; `trim_blocks` drops one
    /// newline. Returns whether what the tag consumed ended with a newline (Jinja's `line_starting`).
    private mutating func afterTag(strip: Bool, trimNewline: Bool) -> Bool {
        if strip {
            var consumedNewline = false
            while i < source.count && Self.isSpace(source[i]) {
                consumedNewline = source[i] == 0x0A
                i += 1
            }
            return consumedNewline
        }
        if trimNewline && i < source.count && source[i] == 0x0A {
            i += 1
            return true
        }
        return false
    }

    private mutating func lexRaw(from tagStart: Int) throws(TokenizerError) {
        var k = i
        while k < source.count {
            if starts("{%", at: k) {
                var m = k + 2
                if m < source.count && (source[m] == UInt8(ascii: "-") || source[m] == UInt8(ascii: "+")) { m += 1 }
                while m < source.count && Self.isSpace(source[m]) { m += 1 }
                if starts("endraw", at: m) {
                    var text = Array(source[i..<k])
                    if source[k + 2] == UInt8(ascii: "-") { while let l = text.last, Self.isSpace(l) { text.removeLast() } }
                    let p = position(i)
                    if !text.isEmpty { tokens.append(Token(kind: .text(String(decoding: text, as: UTF8.self)), line: p.line, column: p.column)) }
                    m += 6
                    while m < source.count && Self.isSpace(source[m]) { m += 1 }
                    var strip = false
                    if m < source.count && source[m] == UInt8(ascii: "-") { strip = true; m += 1 }
                    guard starts("%}", at: m) else { throw error("expected '%}' after endraw", at: m) }
                    i = m + 2
                    _ = afterTag(strip: strip, trimNewline: true)
                    return
                }
            }
            k += 1
        }
        throw error("{% raw %} without {% endraw %}", at: tagStart)
    }

    /// Lexes expression tokens up to the closing delimiter; returns whether it was `-%}`/`-}}`.
    private mutating func lexExpression(until closing: String) throws(TokenizerError) -> Bool {
        var depth = 0
        while true {
            while i < source.count && Self.isSpace(source[i]) { i += 1 }
            guard i < source.count else { throw error("missing '\(closing)'", at: i) }
            if depth == 0 {
                if source[i] == UInt8(ascii: "-") && starts(closing, at: i + 1) { i += 1 + closing.utf8.count; return true }
                if starts(closing, at: i) { i += closing.utf8.count; return false }
            }
            let p = position(i)
            let c = source[i]
            func add(_ kind: TokenKind) { tokens.append(Token(kind: kind, line: p.line, column: p.column)) }
            if c == UInt8(ascii: "_") || (c | 0x20 >= UInt8(ascii: "a") && c | 0x20 <= UInt8(ascii: "z")) {
                let start = i
                while i < source.count, let d = Optional(source[i]),
                      d == UInt8(ascii: "_") || (d | 0x20 >= UInt8(ascii: "a") && d | 0x20 <= UInt8(ascii: "z")) || (d >= 0x30 && d <= 0x39) {
                    i += 1
                }
                add(.name(String(decoding: source[start..<i], as: UTF8.self)))
            } else if c >= 0x30 && c <= 0x39 {
                let start = i
                var isFloat = false
                while i < source.count && (source[i] >= 0x30 && source[i] <= 0x39 || source[i] == UInt8(ascii: "_")) { i += 1 }
                if i + 1 < source.count && source[i] == UInt8(ascii: ".") && source[i + 1] >= 0x30 && source[i + 1] <= 0x39 {
                    isFloat = true
                    i += 1
                    while i < source.count && source[i] >= 0x30 && source[i] <= 0x39 { i += 1 }
                }
                if i < source.count && (source[i] == UInt8(ascii: "e") || source[i] == UInt8(ascii: "E")) {
                    var k = i + 1
                    if k < source.count && (source[k] == UInt8(ascii: "+") || source[k] == UInt8(ascii: "-")) { k += 1 }
                    if k < source.count && source[k] >= 0x30 && source[k] <= 0x39 {
                        isFloat = true
                        i = k
                        while i < source.count && source[i] >= 0x30 && source[i] <= 0x39 { i += 1 }
                    }
                }
                let s = String(decoding: source[start..<i], as: UTF8.self).replacingUnderscores()
                if isFloat, let d = Double(s) { add(.double(d)) } else if let v = Int(s) { add(.integer(v)) } else {
                    throw error("bad number '\(s)'", at: start)
                }
            } else if c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") {
                add(.string(try lexString(quote: c)))
            } else {
                let three = ["**=", "//="].first { starts($0, at: i) }
                let two = ["==", "!=", "<=", ">=", "**", "//"].first { starts($0, at: i) }
                let symbol: String
                if three != nil {
                    throw error("augmented assignment is not Jinja", at: i)
                } else if let two {
                    symbol = two
                } else if "+-*/%~|.,:()[]{}<>=".utf8.contains(c) {
                    symbol = String(UnicodeScalar(c))
                } else {
                    throw error("unexpected character '\(String(UnicodeScalar(c)))'", at: i)
                }
                if symbol == "(" || symbol == "[" || symbol == "{" { depth += 1 }
                if symbol == ")" || symbol == "]" || symbol == "}" { depth = max(0, depth - 1) }
                i += symbol.utf8.count
                add(.symbol(symbol))
            }
        }
    }

    /// A string literal with Python escapes.
    private mutating func lexString(quote: UInt8) throws(TokenizerError) -> String {
        let start = i
        i += 1
        var out: [UInt8] = []
        while i < source.count {
            let c = source[i]
            i += 1
            if c == quote { return String(decoding: out, as: UTF8.self) }
            guard c == UInt8(ascii: "\\"), i < source.count else { out.append(c); continue }
            let e = source[i]
            i += 1
            switch e {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "0"): out.append(0x00)
            case UInt8(ascii: "\\"), UInt8(ascii: "'"), UInt8(ascii: "\""): out.append(e)
            case UInt8(ascii: "u"), UInt8(ascii: "x"):
                let width = e == UInt8(ascii: "u") ? 4 : 2
                guard i + width <= source.count,
                      let v = UInt32(String(decoding: source[i..<(i + width)], as: UTF8.self), radix: 16),
                      let scalar = Unicode.Scalar(v) else { throw error("bad escape in string", at: i) }
                out += Array(String(Character(scalar)).utf8)
                i += width
            default:
                // Python keeps unknown escapes as written.
                out.append(UInt8(ascii: "\\"))
                out.append(e)
            }
        }
        throw error("unterminated string", at: start)
    }
}

private extension String {
    func replacingUnderscores() -> String { String(filter { $0 != "_" }) }
}
