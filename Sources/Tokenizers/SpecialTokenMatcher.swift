/// Finds special-token spellings in text: at each position the longest matching token wins,
/// leftmost first, as HF `tokenizers` matches added tokens.
struct SpecialTokenMatcher: Sendable {
    enum Fragment { case text(Range<Int>), special(Int32) }

    /// Tokens by first byte, longest first.
    private let byFirstByte: [[(bytes: [UInt8], id: Int32, alwaysParsed: Bool)]]

    init(tokens: [(bytes: [UInt8], id: Int32, alwaysParsed: Bool)]) {
        var table = [[(bytes: [UInt8], id: Int32, alwaysParsed: Bool)]](repeating: [], count: 256)
        for t in tokens { table[Int(t.bytes[0])].append(t) }
        byFirstByte = table.map { $0.sorted { $0.bytes.count > $1.bytes.count } }
    }

    func partition(_ text: [UInt8], parseSpecial: Bool, emit: (Fragment) -> Void) {
        var start = 0, i = 0
        outer: while i < text.count {
            for token in byFirstByte[Int(text[i])] where parseSpecial || token.alwaysParsed {
                let n = token.bytes.count
                if i + n <= text.count && text[i..<(i + n)].elementsEqual(token.bytes) {
                    if start < i { emit(.text(start..<i)) }
                    emit(.special(token.id))
                    i += n
                    start = i
                    continue outer
                }
            }
            i += 1
        }
        if start < text.count { emit(.text(start..<text.count)) }
    }
}
