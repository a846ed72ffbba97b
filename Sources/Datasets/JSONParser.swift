import ScalingCore

/// A strict RFC 8259 JSON parser from UTF-8 bytes to `JSONValue`.
///
/// Why not Foundation's `JSONDecoder`: its errors say only "The given data was not
/// valid JSON", with no position, and it accepts trailing commas. Data set errors must
/// say where and what is wrong, so this parser reports the byte offset and what it
/// expected. It also skips Codable's per-value overhead. Input must be valid UTF-8
/// (the reader checks that first). Duplicate keys keep the last value, as Python does.
struct JSONParser {
    /// Why parsing stopped, at `offset` bytes from the start of the input.
    struct Failure: Error {
        var offset: Int
        var message: String
    }

    /// Nesting deeper than this is refused instead of risking the stack.
    static let maximumDepth = 512

    private let bytes: UnsafeBufferPointer<UInt8>
    private var position = 0
    private var depth = 0

    private init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// Parses exactly one JSON value, with only whitespace around it.
    static func parse(_ input: ArraySlice<UInt8>) throws(Failure) -> JSONValue {
        let result: Result<JSONValue, Failure> = input.withUnsafeBufferPointer { buffer in
            var parser = JSONParser(buffer)
            do throws(Failure) {
                parser.skipSpace()
                let value = try parser.parseValue()
                parser.skipSpace()
                if parser.position < buffer.count {
                    throw parser.failure("unexpected \(parser.describeCurrent()) after the end of the JSON value")
                }
                return .success(value)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private mutating func skipSpace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    private func failure(_ message: String) -> Failure {
        Failure(offset: position, message: message)
    }

    /// The byte at the current position, quoted, or "the end of the input".
    private func describeCurrent() -> String {
        guard position < bytes.count else { return "end of input" }
        let byte = bytes[position]
        if byte >= 0x20 && byte < 0x7F { return "`\(Character(Unicode.Scalar(byte)))`" }
        return "byte 0x\(String(byte, radix: 16, uppercase: true))"
    }

    private mutating func parseValue() throws(Failure) -> JSONValue {
        guard position < bytes.count else { throw failure("expected a value, found the end of input") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectWord("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectWord("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectWord("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw failure("expected a value, found \(describeCurrent())")
        }
    }

    private mutating func expectWord(_ word: StaticString) throws(Failure) {
        let start = position
        let count = word.utf8CodeUnitCount
        let matches = position + count <= bytes.count
            && (0..<count).allSatisfy { bytes[position + $0] == word.utf8Start[$0] }
        guard matches else {
            throw Failure(offset: start, message: "expected a value, found \(describeCurrent()) (not `\(word)`)")
        }
        position += count
    }

    private mutating func enter() throws(Failure) {
        depth += 1
        if depth > Self.maximumDepth { throw failure("nesting deeper than \(Self.maximumDepth) levels") }
    }

    private mutating func parseObject() throws(Failure) -> JSONValue {
        try enter()
        position += 1   // {
        var members: [String: JSONValue] = [:]
        skipSpace()
        if position < bytes.count && bytes[position] == UInt8(ascii: "}") {
            position += 1
            depth -= 1
            return .object(members)
        }
        while true {
            skipSpace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                throw failure("expected a member name in double quotes, found \(describeCurrent())")
            }
            let key = try parseString()
            skipSpace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else {
                throw failure("expected `:` after member name \"\(key)\", found \(describeCurrent())")
            }
            position += 1
            skipSpace()
            members[key] = try parseValue()
            skipSpace()
            guard position < bytes.count else { throw failure("expected `,` or `}` in an object, found end of input") }
            switch bytes[position] {
            case UInt8(ascii: ","):
                position += 1
            case UInt8(ascii: "}"):
                position += 1
                depth -= 1
                return .object(members)
            default:
                throw failure("expected `,` or `}` after member \"\(key)\", found \(describeCurrent())")
            }
        }
    }

    private mutating func parseArray() throws(Failure) -> JSONValue {
        try enter()
        position += 1   // [
        var elements: [JSONValue] = []
        skipSpace()
        if position < bytes.count && bytes[position] == UInt8(ascii: "]") {
            position += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            skipSpace()
            elements.append(try parseValue())
            skipSpace()
            guard position < bytes.count else { throw failure("expected `,` or `]` in an array, found end of input") }
            switch bytes[position] {
            case UInt8(ascii: ","):
                position += 1
            case UInt8(ascii: "]"):
                position += 1
                depth -= 1
                return .array(elements)
            default:
                throw failure("expected `,` or `]` after array element \(elements.count - 1), found \(describeCurrent())")
            }
        }
    }

    /// A string starting at the opening quote. Runs without escapes are copied as
    /// they are; escapes follow RFC 8259 section 7, with UTF-16 surrogate pairs.
    private mutating func parseString() throws(Failure) -> String {
        let opening = position
        position += 1
        var result = ""
        var runStart = position
        while true {
            guard position < bytes.count else {
                throw Failure(offset: opening, message: "string starting here has no closing quote")
            }
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "\""):
                result += String(decoding: UnsafeBufferPointer(rebasing: bytes[runStart..<position]), as: UTF8.self)
                position += 1
                return result
            case UInt8(ascii: "\\"):
                result += String(decoding: UnsafeBufferPointer(rebasing: bytes[runStart..<position]), as: UTF8.self)
                position += 1
                result.unicodeScalars.append(try parseEscape())
                runStart = position
            case 0..<0x20:
                throw failure("control character \(describeCurrent()) inside a string (write it as an escape such as \\n)")
            default:
                position += 1
            }
        }
    }

    /// The scalar of an escape whose backslash was just consumed.
    private mutating func parseEscape() throws(Failure) -> Unicode.Scalar {
        guard position < bytes.count else { throw failure("unfinished escape at end of input") }
        let byte = bytes[position]
        position += 1
        switch byte {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            let unit = try parseHex4()
            if (0xD800..<0xDC00).contains(unit) {
                // A high surrogate must be followed by an escaped low surrogate.
                if position + 1 < bytes.count && bytes[position] == UInt8(ascii: "\\") && bytes[position + 1] == UInt8(ascii: "u") {
                    position += 2
                    let low = try parseHex4()
                    if (0xDC00..<0xE000).contains(low) {
                        return Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))!
                    }
                }
                return "\u{FFFD}"   // a lone surrogate: Swift strings cannot hold one, so it is replaced
            }
            return Unicode.Scalar(unit) ?? "\u{FFFD}"
        default:
            position -= 1
            throw failure("unknown escape `\\\(Character(Unicode.Scalar(byte)))` in a string")
        }
    }

    private mutating func parseHex4() throws(Failure) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard position < bytes.count else { throw failure("unfinished \\u escape at end of input") }
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw failure("expected 4 hex digits after \\u, found \(describeCurrent())")
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    /// A number per the JSON grammar: `-? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?`.
    private mutating func parseNumber() throws(Failure) -> Double {
        let start = position
        func digits(_ parser: inout JSONParser) -> Int {
            let from = parser.position
            while parser.position < parser.bytes.count,
                  (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(parser.bytes[parser.position]) {
                parser.position += 1
            }
            return parser.position - from
        }
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) else {
            throw failure("expected a digit in a number, found \(describeCurrent())")
        }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
        } else {
            _ = digits(&self)
        }
        if position < bytes.count && bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard digits(&self) > 0 else { throw failure("expected a digit after the decimal point, found \(describeCurrent())") }
        }
        if position < bytes.count && (bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E")) {
            position += 1
            if position < bytes.count && (bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-")) {
                position += 1
            }
            guard digits(&self) > 0 else { throw failure("expected a digit in the exponent, found \(describeCurrent())") }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        guard let value = Double(text) else { throw Failure(offset: start, message: "number `\(text)` is out of range") }
        return value
    }
}
