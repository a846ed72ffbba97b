/// Byte-level BPE on one pre-tokenized word: start from one token per byte, then repeatedly merge
/// the adjacent pair with the lowest merge rank, leftmost first among equal ranks. This is the order
/// of HF `tokenizers` (`Word::merge_all`) and llama.cpp (`llm_tokenizer_bpe_session`).
struct BytePairMerger: Sendable {
    /// `(left << 32 | right)` → `(rank << 32 | merged token)`.
    private let merges: [UInt64: UInt64]
    /// The single-scalar token of each byte, or -1 when the vocabulary lacks it.
    let byteTokens: [Int32]

    /// Words up to this many bytes use the quadratic scan (fewer allocations); longer ones the heap.
    static let scanLimit = 32

    init(merges: [UInt64: UInt64], byteTokens: [Int32]) {
        self.merges = merges
        self.byteTokens = byteTokens
    }

    @inline(__always)
    private func lookup(_ left: Int32, _ right: Int32) -> UInt64? {
        merges[UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))]
    }

    /// Appends the tokens of `word` (its UTF-8 bytes) to `output`.
    func encode(_ word: ArraySlice<UInt8>, into output: inout [Int32]) {
        var symbols: [Int32] = []
        symbols.reserveCapacity(word.count)
        for b in word {
            let id = byteTokens[Int(b)]
            // A vocabulary without this byte cannot spell it; llama.cpp drops it too.
            if id >= 0 { symbols.append(id) }
        }
        if symbols.count <= Self.scanLimit {
            mergeByScanning(&symbols)
        } else {
            mergeWithHeap(&symbols)
        }
        output.append(contentsOf: symbols)
    }

    /// Finds the lowest-ranked pair by scanning, merges it, and repeats.
    private func mergeByScanning(_ symbols: inout [Int32]) {
        while symbols.count > 1 {
            var best = UInt64.max
            var bestPosition = -1
            for p in 0..<(symbols.count - 1) {
                if let v = lookup(symbols[p], symbols[p + 1]), v < best {
                    // Ranks sit in the high half, so comparing whole values compares ranks.
                    best = v
                    bestPosition = p
                }
            }
            guard bestPosition >= 0 else { return }
            symbols[bestPosition] = Int32(truncatingIfNeeded: best & 0xFFFF_FFFF)
            symbols.remove(at: bestPosition + 1)
        }
    }

    /// The same merges in O(n log n): a heap of candidate pairs over a linked list of symbols.
    private func mergeWithHeap(_ symbols: inout [Int32]) {
        let n = symbols.count
        var previous = (0..<n).map { $0 - 1 }
        var next = (0..<n).map { $0 + 1 }
        var alive = [Bool](repeating: true, count: n)
        struct Candidate { var rank: UInt32; var left: Int32; var leftToken: Int32; var rightToken: Int32; var merged: Int32 }
        var heap = BinaryHeap<Candidate> { a, b in a.rank != b.rank ? a.rank < b.rank : a.left < b.left }
        func consider(_ left: Int) {
            let right = next[left]
            guard left >= 0, right < n else { return }
            if let v = lookup(symbols[left], symbols[right]) {
                heap.push(Candidate(rank: UInt32(v >> 32), left: Int32(left), leftToken: symbols[left],
                                    rightToken: symbols[right], merged: Int32(truncatingIfNeeded: v & 0xFFFF_FFFF)))
            }
        }
        for p in 0..<(n - 1) { consider(p) }
        while let candidate = heap.pop() {
            let left = Int(candidate.left)
            guard alive[left] else { continue }
            let right = next[left]
            // Skip pairs that a previous merge changed.
            guard right < n, symbols[left] == candidate.leftToken, symbols[right] == candidate.rightToken else { continue }
            symbols[left] = candidate.merged
            alive[right] = false
            next[left] = next[right]
            if next[right] < n { previous[next[right]] = left }
            if previous[left] >= 0 { consider(previous[left]) }
            consider(left)
        }
        var out: [Int32] = []
        var p = 0
        while p < n {
            out.append(symbols[p])
            p = next[p]
        }
        symbols = out
    }
}
