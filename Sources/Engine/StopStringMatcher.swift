/// Finds stop strings in streamed text and decides how much text is safe to emit.
///
/// Text that could be the start of a stop string is held back until the next token
/// shows whether the stop string completes; a completed stop string ends the text
/// just before it. Works on UTF-8 bytes; stop strings are whole characters, so every
/// cut falls on a character boundary.
public struct StopStringMatcher: Sendable {
    public let stopStrings: [[UInt8]]
    /// Everything appended so far.
    public private(set) var bytes: [UInt8] = []
    /// Bytes already returned by `append`.
    public private(set) var emittedCount = 0
    /// Set once a stop string has been found; the text ends before it.
    public private(set) var stopped = false

    public init(stopStrings: [String]) {
        self.stopStrings = stopStrings.map { Array($0.utf8) }.filter { !$0.isEmpty }
    }

    /// The text before any stop string (all of it when none occurred).
    public var text: String { String(decoding: bytes[..<(stopped ? emittedCount : bytes.count)], as: UTF8.self) }

    /// Adds a piece of text; returns the part that can be shown now.
    public mutating func append(_ piece: String) -> String {
        guard !stopped else { return "" }
        bytes.append(contentsOf: piece.utf8)
        let longest = stopStrings.map(\.count).max() ?? 0
        // A new match must end in the new bytes, so it starts at most `longest - 1` before them.
        let searchStart = max(0, bytes.count - piece.utf8.count - longest + 1)
        var earliest: Int?
        for stop in stopStrings where stop.count <= bytes.count {
            var start = max(searchStart, 0)
            while start + stop.count <= bytes.count {
                if bytes[start] == stop[0] && bytes[start ..< start + stop.count].elementsEqual(stop) {
                    earliest = min(earliest ?? start, start)
                    break
                }
                start += 1
            }
        }
        if let earliest {
            stopped = true
            return emit(upTo: max(earliest, emittedCount))
        }
        // Hold back the longest suffix that is a proper prefix of a stop string.
        var held = 0
        for stop in stopStrings {
            var length = min(stop.count - 1, bytes.count)
            while length > held {
                if bytes[(bytes.count - length)...].elementsEqual(stop[..<length]) { held = length; break }
                length -= 1
            }
        }
        return emit(upTo: bytes.count - held)
    }

    /// The held-back text, when generation ends without a stop string.
    public mutating func finish() -> String {
        stopped ? "" : emit(upTo: bytes.count)
    }

    private mutating func emit(upTo end: Int) -> String {
        guard end > emittedCount else { return "" }
        let piece = String(decoding: bytes[emittedCount..<end], as: UTF8.self)
        emittedCount = end
        return piece
    }
}
