/// A value in a chat template: what messages, tools and extra variables are made of, with
/// Python/Jinja semantics for truth, equality, printing (`str()`) and `tojson`.
///
/// Objects keep their keys in insertion order, as Python dicts do, so `tojson` of a tool
/// definition prints its fields in the order they were given.
public indirect enum TemplateValue: Sendable, Equatable {
    /// A name or key that does not exist (Jinja's `Undefined`): prints as "", is falsy.
    case undefined
    case none
    case boolean(Bool)
    case integer(Int)
    case double(Double)
    case string(String)
    case array([TemplateValue])
    case object(TemplateObject)

    /// Python truthiness.
    public var isTruthy: Bool {
        switch self {
        case .undefined, .none: false
        case .boolean(let b): b
        case .integer(let i): i != 0
        case .double(let d): d != 0
        case .string(let s): !s.isEmpty
        case .array(let a): !a.isEmpty
        case .object(let o): !o.isEmpty
        }
    }

    /// Python `==`: numbers compare by value across int and float, containers element-wise.
    public static func == (lhs: TemplateValue, rhs: TemplateValue) -> Bool {
        switch (lhs, rhs) {
        case (.undefined, .undefined), (.none, .none): true
        case (.boolean(let a), .boolean(let b)): a == b
        case (.string(let a), .string(let b)): a == b
        case (.array(let a), .array(let b)): a == b
        case (.object(let a), .object(let b)): a == b
        default:
            if let a = lhs.number, let b = rhs.number { a == b } else { false }
        }
    }

    /// The value as a number (booleans count as 0 and 1, as in Python), for arithmetic and comparison.
    var number: Double? {
        switch self {
        case .integer(let i): Double(i)
        case .double(let d): d
        case .boolean(let b): b ? 1 : 0
        default: nil
        }
    }

    /// Python `str()`, which `{{ value }}` prints.
    public var text: String {
        switch self {
        case .undefined: ""
        case .string(let s): s
        default: repr
        }
    }

    /// Python `repr()`, used inside printed lists and dicts.
    var repr: String {
        switch self {
        case .undefined: ""
        case .none: "None"
        case .boolean(let b): b ? "True" : "False"
        case .integer(let i): String(i)
        case .double(let d): pythonFloat(d)
        case .string(let s): pythonStringRepr(s)
        case .array(let a): "[" + a.map(\.repr).joined(separator: ", ") + "]"
        case .object(let o): "{" + o.entries.map { pythonStringRepr($0.key) + ": " + $0.value.repr }.joined(separator: ", ") + "}"
        }
    }

    /// The Jinja type name used in error messages.
    var typeName: String {
        switch self {
        case .undefined: "undefined"
        case .none: "none"
        case .boolean: "boolean"
        case .integer: "integer"
        case .double: "float"
        case .string: "string"
        case .array: "list"
        case .object: "dict"
        }
    }

    /// Member `key` of an object (`.undefined` when absent or not an object).
    public subscript(key: String) -> TemplateValue {
        if case .object(let o) = self { return o[key] ?? .undefined }
        return .undefined
    }
}

/// An insertion-ordered string-keyed dictionary (a Python dict / JSON object).
public struct TemplateObject: Sendable, Equatable {
    public private(set) var entries: [(key: String, value: TemplateValue)] = []

    public init(_ entries: [(String, TemplateValue)] = []) {
        for (k, v) in entries { self[k] = v }
    }

    public var isEmpty: Bool { entries.isEmpty }
    public var count: Int { entries.count }
    public var keys: [String] { entries.map(\.key) }

    public subscript(key: String) -> TemplateValue? {
        get { entries.first { $0.key == key }?.value }
        set {
            if let i = entries.firstIndex(where: { $0.key == key }) {
                if let newValue { entries[i].value = newValue } else { entries.remove(at: i) }
            } else if let newValue {
                entries.append((key, newValue))
            }
        }
    }

    /// Python dict equality: same keys and values, in any order.
    public static func == (lhs: TemplateObject, rhs: TemplateObject) -> Bool {
        lhs.count == rhs.count && lhs.entries.allSatisfy { rhs[$0.key] == $0.value }
    }
}

extension TemplateValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .boolean(value) }
    public init(arrayLiteral elements: TemplateValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, TemplateValue)...) { self = .object(TemplateObject(elements)) }
    public init(nilLiteral: ()) { self = .none }
}

// MARK: Python formatting

/// Python's `repr(float)`: shortest round-trip digits, always with a `.0` or an exponent.
func pythonFloat(_ d: Double) -> String {
    if d.isNaN { return "nan" }
    if d.isInfinite { return d < 0 ? "-inf" : "inf" }
    var s = "\(d)"   // Swift also prints the shortest round-trip form
    if let e = s.firstIndex(of: "e") {
        // Swift writes 1e-05 as "1e-05"; Python as "1e-05" too, but "1e+16" both; keep as is.
        let mantissa = s[..<e]
        if mantissa.hasSuffix(".0") { s = String(mantissa.dropLast(2)) + String(s[e...]) }
        return s
    }
    return s
}

/// Python's `repr(str)`: single quotes unless the string holds a single quote and no double quote.
func pythonStringRepr(_ s: String) -> String {
    let quote: Character = s.contains("'") && !s.contains("\"") ? "\"" : "'"
    var out = String(quote)
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if Character(scalar) == quote {
                out += "\\" + String(quote)
            } else if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\x" + hex(scalar.value, width: 2)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    out.append(quote)
    return out
}

func hex(_ v: UInt32, width: Int) -> String {
    let digits = String(v, radix: 16)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}

// MARK: JSON

extension TemplateValue {
    /// `json.dumps(value, ensure_ascii=False, indent=indent)`, as the `tojson` filter of HF
    /// transformers' chat-template environment prints it.
    func json(indent: Int? = nil, level: Int = 0) -> String {
        switch self {
        case .undefined, .none: return "null"
        case .boolean(let b): return b ? "true" : "false"
        case .integer(let i): return String(i)
        case .double(let d):
            if d.isNaN { return "NaN" }
            if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
            return pythonFloat(d)
        case .string(let s): return jsonString(s)
        case .array(let a):
            if a.isEmpty { return "[]" }
            guard let indent else { return "[" + a.map { $0.json() }.joined(separator: ", ") + "]" }
            let pad = String(repeating: " ", count: indent * (level + 1))
            let items = a.map { pad + $0.json(indent: indent, level: level + 1) }
            return "[\n" + items.joined(separator: ",\n") + "\n" + String(repeating: " ", count: indent * level) + "]"
        case .object(let o):
            if o.isEmpty { return "{}" }
            guard let indent else {
                return "{" + o.entries.map { jsonString($0.key) + ": " + $0.value.json() }.joined(separator: ", ") + "}"
            }
            let pad = String(repeating: " ", count: indent * (level + 1))
            let items = o.entries.map { pad + jsonString($0.key) + ": " + $0.value.json(indent: indent, level: level + 1) }
            return "{\n" + items.joined(separator: ",\n") + "\n" + String(repeating: " ", count: indent * level) + "}"
        }
    }

    /// Parses JSON text, keeping object keys in order (tool definitions print back as given).
    ///
    /// - Throws: ``TokenizerError/invalidJSON(offset:reason:)`` naming the offset of a syntax error.
    public init(json text: String) throws(TokenizerError) {
        var parser = JSONParser(bytes: Array(text.utf8))
        self = try parser.parseDocument()
    }
}

func jsonString(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\u{08}": out += "\\b"
        case "\u{0C}": out += "\\f"
        default:
            if scalar.value < 0x20 { out += "\\u" + hex(scalar.value, width: 4) } else { out.unicodeScalars.append(scalar) }
        }
    }
    return out + "\""
}

/// A small order-preserving JSON parser (RFC 8259).
private struct JSONParser {
    let bytes: [UInt8]
    var i = 0
    var depth = 0

    func fail(_ what: String) -> TokenizerError {
        .invalidJSON(offset: i, reason: what)
    }

    mutating func skipSpace() {
        while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
    }

    mutating func parseDocument() throws(TokenizerError) -> TemplateValue {
        let v = try parseValue()
        skipSpace()
        guard i == bytes.count else { throw fail("trailing characters") }
        return v
    }

    mutating func literal(_ word: String, _ value: TemplateValue) throws(TokenizerError) -> TemplateValue {
        let w = Array(word.utf8)
        guard i + w.count <= bytes.count, Array(bytes[i..<(i + w.count)]) == w else { throw fail("expected \(word)") }
        i += w.count
        return value
    }

    mutating func parseValue() throws(TokenizerError) -> TemplateValue {
        guard depth < 512 else { throw fail("nested more than 512 deep") }
        depth += 1
        defer { depth -= 1 }
        skipSpace()
        guard i < bytes.count else { throw fail("unexpected end") }
        switch bytes[i] {
        case UInt8(ascii: "{"):
            i += 1
            var object = TemplateObject()
            skipSpace()
            if i < bytes.count && bytes[i] == UInt8(ascii: "}") { i += 1; return .object(object) }
            while true {
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a key") }
                let key = try parseString()
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                i += 1
                object[key] = try parseValue()
                skipSpace()
                guard i < bytes.count else { throw fail("unterminated object") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(object) }
                throw fail("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            i += 1
            var array: [TemplateValue] = []
            skipSpace()
            if i < bytes.count && bytes[i] == UInt8(ascii: "]") { i += 1; return .array(array) }
            while true {
                array.append(try parseValue())
                skipSpace()
                guard i < bytes.count else { throw fail("unterminated array") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(array) }
                throw fail("expected ',' or ']'")
            }
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "t"): return try literal("true", .boolean(true))
        case UInt8(ascii: "f"): return try literal("false", .boolean(false))
        case UInt8(ascii: "n"): return try literal("null", .none)
        default:
            let start = i
            var isFloat = false
            while i < bytes.count, let c = Optional(bytes[i]),
                  (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+")
                    || c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") { isFloat = true }
                i += 1
            }
            let s = String(decoding: bytes[start..<i], as: UTF8.self)
            if !isFloat, let v = Int(s) { return .integer(v) }
            if let d = Double(s) { return .double(d) }
            i = start
            throw fail("unexpected character")
        }
    }

    mutating func parseString() throws(TokenizerError) -> String {
        i += 1   // opening quote
        var out: [UInt8] = []
        while i < bytes.count {
            let c = bytes[i]
            i += 1
            if c == UInt8(ascii: "\"") { return String(decoding: out, as: UTF8.self) }
            guard c == UInt8(ascii: "\\") else { out.append(c); continue }
            guard i < bytes.count else { break }
            let e = bytes[i]
            i += 1
            switch e {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "u"):
                var code = try hex4()
                if code >= 0xD800 && code < 0xDC00, i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") {
                    i += 2
                    let low = try hex4()
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                }
                out += Array(String(Unicode.Scalar(code).map(Character.init) ?? "\u{FFFD}").utf8)
            default: out.append(e)
            }
        }
        throw fail("unterminated string")
    }

    mutating func hex4() throws(TokenizerError) -> UInt32 {
        guard i + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[i..<(i + 4)], as: UTF8.self), radix: 16) else {
            throw fail("bad \\u escape")
        }
        i += 4
        return v
    }
}
