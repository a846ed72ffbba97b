/// Turns tokens into text one at a time during generation, returning only whole UTF-8 characters,
/// and optionally stopping at stop strings.
///
/// A token may end in the middle of a multi-byte character (an emoji is often split over two or
/// three byte-level tokens); those bytes are held back until the character is complete, so the
/// caller never sees half a character or a U+FFFD that the next token would have fixed.
///
/// With `stopStrings`, text that could be the start of a stop string is held back too, until it
/// either completes one (then ``stopString`` is set, the stop string and everything after it are
/// dropped, and further tokens return nothing) or turns out not to (then it is released). So a
/// streaming client never receives part of a stop string.
///
/// ```swift
/// var stream = StreamingDetokenizer(tokenizer: tokenizer, stopStrings: ["\n\nUser:"])
/// for id in generatedIDs {
///     print(stream.append(id), terminator: "")
///     if stream.stopString != nil { break }
/// }
/// print(stream.finish())
/// ```
public struct StreamingDetokenizer: Sendable {
    public let tokenizer: Tokenizer
    /// Leave out control tokens (`<|im_end|>`) instead of writing their text.
    public let skipSpecial: Bool
    /// Strings that end the text; empty strings are ignored.
    public let stopStrings: [String]
    /// All text returned so far by ``append(_:)`` and ``finish()``.
    public private(set) var text: String = ""
    /// The stop string that ended the text, once one has appeared.
    public private(set) var stopString: String?
    /// Bytes of an incomplete character at the end, waiting for the next token.
    private var pending: [UInt8] = []
    /// Complete text held back because it may be the start of a stop string.
    private var held: [Unicode.Scalar] = []
    private let stops: [[Unicode.Scalar]]
    private var atStart = true

    public init(tokenizer: Tokenizer, skipSpecial: Bool = true, stopStrings: [String] = []) {
        self.tokenizer = tokenizer
        self.skipSpecial = skipSpecial
        self.stopStrings = stopStrings.filter { !$0.isEmpty }
        stops = self.stopStrings.map { Array($0.unicodeScalars) }
    }

    /// Adds one token; returns the text it completes (possibly empty).
    public mutating func append(_ id: Int) -> String {
        guard stopString == nil else { return "" }
        tokenizer.appendPiece(id, to: &pending, atStart: &atStart, skipSpecial: skipSpecial)
        let cut = Self.completePrefixLength(pending)
        guard cut > 0 else { return "" }
        let chunk = String(decoding: pending[..<cut], as: UTF8.self)
        pending.removeFirst(cut)
        return release(chunk, final: false)
    }

    /// Flushes whatever is held back (an unfinished character becomes U+FFFD).
    public mutating func finish() -> String {
        guard stopString == nil else { return "" }
        let chunk = pending.isEmpty ? "" : String(decoding: pending, as: UTF8.self)
        pending.removeAll()
        return release(chunk, final: true)
    }

    /// Bytes and characters held back: an unfinished character, or a possible stop-string start.
    public var pendingByteCount: Int { pending.count + held.reduce(0) { $0 + UTF8.width($1) } }

    /// Adds decoded text to what is held and returns what can no longer be part of a stop string.
    private mutating func release(_ chunk: String, final: Bool) -> String {
        guard !stops.isEmpty else {
            text += chunk
            return chunk
        }
        held.append(contentsOf: chunk.unicodeScalars)
        // The earliest complete stop string ends the text.
        var earliest: (start: Int, stop: Int)?
        for (s, stop) in stops.enumerated() where stop.count <= held.count {
            for start in 0...(held.count - stop.count) where held[start] == stop[0] && Array(held[start..<(start + stop.count)]) == stop {
                if earliest == nil || start < earliest!.start { earliest = (start, s) }
                break
            }
        }
        var keep = 0
        if let earliest {
            stopString = stopStrings[earliest.stop]
            held.removeSubrange(earliest.start...)
        } else if !final {
            // Hold back the longest tail that is a proper prefix of some stop string.
            for stop in stops {
                for length in stride(from: min(stop.count - 1, held.count), to: keep, by: -1)
                    where Array(held[(held.count - length)...]) == Array(stop[..<length]) {
                    keep = length
                    break
                }
            }
        }
        let out = String(String.UnicodeScalarView(held[..<(held.count - keep)]))
        held.removeFirst(held.count - keep)
        text += out
        return out
    }

    /// Length of the longest prefix of `bytes` that does not end inside a UTF-8 sequence.
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        var i = bytes.count - 1
        // Walk back over at most three continuation bytes to the lead byte.
        while i >= 0 && bytes.count - i <= 4 {
            let b = bytes[i]
            if b & 0xC0 != 0x80 {
                let needed = b < 0xC0 ? 1 : utf8Length(b)
                return bytes.count - i < needed ? i : bytes.count
            }
            i -= 1
        }
        return bytes.count   // stray continuation bytes: nothing can complete them
    }
}
