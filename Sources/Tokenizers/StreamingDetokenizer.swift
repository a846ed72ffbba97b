/// Turns tokens into text one at a time during generation, returning only whole UTF-8 characters.
///
/// A token may end in the middle of a multi-byte character (an emoji is often split over two or
/// three byte-level tokens); those bytes are held back until the character is complete, so the
/// caller never sees half a character or a U+FFFD that the next token would have fixed.
/// ``text`` keeps everything returned so far, so a caller checking stop strings can search its tail.
///
/// ```swift
/// var stream = StreamingDetokenizer(tokenizer: tokenizer)
/// for id in generatedIDs { print(stream.append(id), terminator: "") }
/// print(stream.finish())
/// ```
public struct StreamingDetokenizer: Sendable {
    public let tokenizer: Tokenizer
    /// Leave out control tokens (`<|im_end|>`) instead of writing their text.
    public let skipSpecial: Bool
    /// All text returned so far by ``append(_:)`` and ``finish()``.
    public private(set) var text: String = ""
    /// Bytes of an incomplete character at the end, waiting for the next token.
    private var pending: [UInt8] = []
    private var atStart = true

    public init(tokenizer: Tokenizer, skipSpecial: Bool = true) {
        self.tokenizer = tokenizer
        self.skipSpecial = skipSpecial
    }

    /// Adds one token; returns the text it completes (possibly empty).
    public mutating func append(_ id: Int) -> String {
        tokenizer.appendPiece(id, to: &pending, atStart: &atStart, skipSpecial: skipSpecial)
        let cut = Self.completePrefixLength(pending)
        guard cut > 0 else { return "" }
        let chunk = String(decoding: pending[..<cut], as: UTF8.self)
        pending.removeFirst(cut)
        text += chunk
        return chunk
    }

    /// Flushes whatever is held back (an unfinished character becomes U+FFFD).
    public mutating func finish() -> String {
        guard !pending.isEmpty else { return "" }
        let chunk = String(decoding: pending, as: UTF8.self)
        pending.removeAll()
        text += chunk
        return chunk
    }

    /// Bytes held back because they start a character that is not complete yet.
    public var pendingByteCount: Int { pending.count }

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
