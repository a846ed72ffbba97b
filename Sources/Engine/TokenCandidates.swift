#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The tokens still in the running at one sampling step, with their logits.
///
/// Stages remove tokens and rescale logits; `isSortedDescending` records whether the
/// order is by logit, highest first (ties by lower token id), so later stages need
/// not sort again.
public struct TokenCandidates: Sendable, Equatable {
    public var tokens: [Int]
    public var logits: [Float]
    public var isSortedDescending: Bool

    public init(tokens: [Int], logits: [Float], isSortedDescending: Bool = false) {
        precondition(tokens.count == logits.count)
        self.tokens = tokens
        self.logits = logits
        self.isSortedDescending = isSortedDescending
    }

    /// All tokens of a vocabulary, in id order.
    public init(logits: UnsafeBufferPointer<Float>) {
        tokens = Array(0..<logits.count)
        self.logits = Array(logits)
        isSortedDescending = false
    }

    /// The `k` highest logits of a vocabulary, sorted (ties by lower token id): the same
    /// candidates as `TokenCandidates(logits:)` followed by `TopKStage(k: k)`, without
    /// copying the whole vocabulary (0 < k < logits.count).
    public init(topK k: Int, of logits: UnsafeBufferPointer<Float>) {
        precondition(k > 0 && k < logits.count)
        let threshold = Self.kthLargest(k, of: logits)
        tokens = []
        self.logits = []
        tokens.reserveCapacity(k + 8)
        self.logits.reserveCapacity(k + 8)
        for i in 0..<logits.count where logits[i] >= threshold {
            tokens.append(i)
            self.logits.append(logits[i])
        }
        isSortedDescending = false
        sortDescending()
        tokens.removeSubrange(k...)
        self.logits.removeSubrange(k...)
    }

    /// The k-th largest value (a bounded min-heap of the k largest; values that cannot
    /// enter it are skipped with one comparison).
    static func kthLargest(_ k: Int, of values: UnsafeBufferPointer<Float>) -> Float {
        var heap = MinHeap(capacity: k)
        for i in 0..<min(k, values.count) { heap.offer(values[i]) }
        var minimum = heap.minimum
        var i = min(k, values.count)
        // Most values cannot enter the heap: test 16 at a time and skip those groups.
        let raw = UnsafeRawPointer(values.baseAddress!)
        while i + 16 <= values.count {
            let group = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            if any(group .> SIMD16(repeating: minimum)) {
                for j in i..<i + 16 where values[j] > minimum {
                    heap.offer(values[j])
                    minimum = heap.minimum
                }
            }
            i += 16
        }
        for j in i..<values.count where values[j] > minimum {
            heap.offer(values[j])
            minimum = heap.minimum
        }
        return heap.minimum
    }

    public var count: Int { tokens.count }

    /// The largest logit.
    public var maximumLogit: Float {
        isSortedDescending ? logits[0] : (logits.max() ?? -.infinity)
    }

    /// Softmax of the logits, in candidate order (Double for stable cumulative sums).
    public func probabilities() -> [Double] {
        let maximum = Double(maximumLogit)
        var result = logits.map { exp(Double($0) - maximum) }
        let sum = result.reduce(0, +)
        for i in result.indices { result[i] /= sum }
        return result
    }

    /// Keeps the candidates at `indices` (in that order).
    mutating func keep(_ indices: [Int], sorted: Bool) {
        tokens = indices.map { tokens[$0] }
        logits = indices.map { logits[$0] }
        isSortedDescending = sorted
    }

    /// Orders by logit, highest first; equal logits by lower token id.
    public mutating func sortDescending() {
        guard !isSortedDescending else { return }
        let order = tokens.indices.sorted { a, b in
            logits[a] != logits[b] ? logits[a] > logits[b] : tokens[a] < tokens[b]
        }
        keep(order, sorted: true)
    }

    /// Keeps (sorted) only candidates whose logit is at least `threshold`.
    mutating func keepSorted(atLeast threshold: Float) {
        let indices = tokens.indices.filter { logits[$0] >= threshold }
        keep(indices, sorted: false)
        sortDescending()
    }
}
