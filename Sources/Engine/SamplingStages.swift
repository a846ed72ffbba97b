#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One step of the sampler chain: narrows or reshapes the candidates.
public protocol SamplingStage: Sendable {
    func apply(to candidates: inout TokenCandidates)
}

/// Keeps the `k` highest logits (ties by lower token id). Mirrors llama.cpp's
/// `llama_sampler_top_k`.
public struct TopKStage: SamplingStage {
    public let k: Int
    public init(k: Int) { self.k = k }

    public func apply(to candidates: inout TokenCandidates) {
        guard k > 0, k < candidates.count else { return }
        if !candidates.isSortedDescending {
            // Select before sorting: the k-th largest logit bounds the survivors, so
            // only about k of the 50k candidates get sorted.
            let threshold = candidates.logits.withUnsafeBufferPointer { TokenCandidates.kthLargest(k, of: $0) }
            candidates.keepSorted(atLeast: threshold)
        }
        candidates.tokens.removeSubrange(k...)
        candidates.logits.removeSubrange(k...)
    }
}

/// Keeps the smallest prefix of the most likely tokens whose probabilities (at
/// temperature 1, renormalised over the candidates) sum to at least `p`. Mirrors
/// llama.cpp's `llama_sampler_top_p`.
public struct TopPStage: SamplingStage {
    public let p: Double
    public init(p: Double) { self.p = p }

    public func apply(to candidates: inout TokenCandidates) {
        guard p < 1, candidates.count > 1 else { return }
        let maximum = Double(candidates.maximumLogit)
        var normaliser = 0.0
        for logit in candidates.logits { normaliser += exp(Double(logit) - maximum) }
        if !candidates.isSortedDescending {
            // The nucleus is a prefix of the sorted order, so when the tokens within 20
            // nats of the best already hold mass p, sorting those alone is exact.
            let threshold = Float(maximum - 20)
            var mass = 0.0
            for logit in candidates.logits where logit >= threshold { mass += exp(Double(logit) - maximum) }
            if mass / normaliser >= p {
                candidates.keepSorted(atLeast: threshold)
            } else {
                candidates.sortDescending()
            }
        }
        var cumulative = 0.0
        var end = candidates.count
        for i in 0..<candidates.count {
            cumulative += exp(Double(candidates.logits[i]) - maximum) / normaliser
            if cumulative >= p {
                end = i + 1
                break
            }
        }
        candidates.tokens.removeSubrange(end...)
        candidates.logits.removeSubrange(end...)
    }
}

/// Drops tokens whose probability is below `p` × the most likely token's
/// (Nguyen et al. 2024, "min-p sampling"; llama.cpp's `llama_sampler_min_p`).
public struct MinPStage: SamplingStage {
    public let p: Double
    public init(p: Double) { self.p = p }

    public func apply(to candidates: inout TokenCandidates) {
        guard p > 0, candidates.count > 1 else { return }
        // prob_i ≥ p · prob_max  ⇔  logit_i ≥ logit_max + ln p.
        let threshold = Double(candidates.maximumLogit) + log(p)
        let indices = candidates.tokens.indices.filter { Double(candidates.logits[$0]) >= threshold }
        candidates.keep(indices, sorted: candidates.isSortedDescending)
    }
}

/// Divides the logits by the temperature (> 0).
public struct TemperatureStage: SamplingStage {
    public let temperature: Double
    public init(temperature: Double) { self.temperature = temperature }

    public func apply(to candidates: inout TokenCandidates) {
        guard temperature != 1 else { return }
        let inverse = Float(1 / temperature)
        for i in candidates.logits.indices { candidates.logits[i] *= inverse }
    }
}

/// A bounded min-heap of floats: the `capacity` largest values offered.
struct MinHeap {
    private var values: [Float] = []
    let capacity: Int
    init(capacity: Int) {
        self.capacity = capacity
        values.reserveCapacity(capacity)
    }
    var minimum: Float { values.first ?? -.infinity }

    mutating func offer(_ value: Float) {
        if values.count < capacity {
            values.append(value)
            var i = values.count - 1
            while i > 0 {
                let parent = (i - 1) / 2
                if values[parent] <= values[i] { break }
                values.swapAt(parent, i)
                i = parent
            }
        } else if value > values[0] {
            values[0] = value
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var smallest = i
                if l < values.count && values[l] < values[smallest] { smallest = l }
                if r < values.count && values[r] < values[smallest] { smallest = r }
                if smallest == i { break }
                values.swapAt(i, smallest)
                i = smallest
            }
        }
    }
}
