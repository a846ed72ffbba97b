/// SentencePiece BPE (`tokenizer.ggml.model = llama`) on one text fragment whose spaces are already
/// `▁`: start from one symbol per character, repeatedly merge the adjacent pair whose concatenation is
/// the vocabulary piece with the highest score (leftmost first on ties), then spell each final symbol
/// as its piece, or as `<0xXX>` byte tokens when there is none. Mirrors sentencepiece's
/// `bpe_model.cc` `Model::Encode` and llama.cpp's `llm_tokenizer_spm_session`.
struct SentencePieceMerger: Sendable {
    /// Pieces that merging may produce (normal, user-defined and unused tokens, as sentencepiece's
    /// `pieces_`), keyed by their UTF-8 bytes.
    let pieces: [[UInt8]: Int32]
    let scores: [Float]
    /// Unused pieces take part in merging but are spelled by the pair that formed them.
    let unused: Set<Int32>
    /// `<0xXX>` token of each byte, or -1.
    let byteTokens: [Int32]
    let unknownToken: Int32

    private struct Symbol { var start: Int; var length: Int; var previous: Int; var next: Int }
    private struct Candidate { var score: Float; var left: Int; var right: Int; var length: Int }

    func encode(_ text: [UInt8], into output: inout [Int32]) {
        guard !text.isEmpty else { return }
        var symbols: [Symbol] = []
        var offset = 0
        while offset < text.count {
            let length = min(utf8Length(text[offset]), text.count - offset)
            symbols.append(Symbol(start: offset, length: length, previous: symbols.count - 1,
                                  next: offset + length == text.count ? -1 : symbols.count + 1))
            offset += length
        }
        var heap = BinaryHeap<Candidate> { a, b in a.score != b.score ? a.score > b.score : a.left < b.left }
        // Pieces formed by merging, remembered so unused ones can be split back (sentencepiece's rev_merge).
        var formedBy: [[UInt8]: (Int, Int)] = [:]

        func consider(_ left: Int, _ right: Int) {
            guard left >= 0, right >= 0 else { return }
            let start = symbols[left].start
            let length = symbols[left].length + symbols[right].length
            let bytes = Array(text[start..<(start + length)])
            guard let id = pieces[bytes] else { return }
            heap.push(Candidate(score: scores[Int(id)], left: left, right: right, length: length))
            if unused.contains(id) { formedBy[bytes] = (left, right) }
        }
        for i in 1..<symbols.count { consider(i - 1, i) }

        while let candidate = heap.pop() {
            let left = symbols[candidate.left], right = symbols[candidate.right]
            // Skip pairs whose symbols changed since they were queued.
            guard left.length > 0, right.length > 0, left.next == candidate.right,
                  left.length + right.length == candidate.length else { continue }
            symbols[candidate.left].length += right.length
            symbols[candidate.right].length = 0
            symbols[candidate.left].next = right.next
            if right.next >= 0 { symbols[right.next].previous = candidate.left }
            consider(left.previous, candidate.left)
            consider(candidate.left, right.next)
        }

        func spell(_ index: Int) {
            let symbol = symbols[index]
            let bytes = Array(text[symbol.start..<(symbol.start + symbol.length)])
            if let id = pieces[bytes], !unused.contains(id) {
                output.append(id)
            } else if let (left, right) = formedBy[bytes] {
                spell(left)
                spell(right)
            } else {
                for b in bytes {
                    let id = byteTokens[Int(b)]
                    output.append(id >= 0 ? id : unknownToken)
                }
            }
        }
        var i = 0
        while i != -1 {
            spell(i)
            i = symbols[i].next
        }
    }
}

/// Bytes in the UTF-8 sequence that `lead` starts (1 for a stray continuation byte).
@inline(__always)
func utf8Length(_ lead: UInt8) -> Int {
    switch lead {
    case 0xF0...: 4
    case 0xE0...: 3
    case 0xC0...: 2
    default: 1
    }
}
