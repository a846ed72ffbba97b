#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ScalingCore

/// A token and its log-probability under the model.
public struct TokenProbability: Sendable, Equatable {
    public let token: Int
    /// Natural log.
    public let logprob: Double
    public init(token: Int, logprob: Double) {
        self.token = token
        self.logprob = logprob
    }
}

/// Log-probabilities reported for one generated position.
///
/// They describe the model's own distribution — log-softmax of the raw logits,
/// before penalties, truncation and temperature (as vLLM reports by default) — so
/// they are comparable across sampling settings and sum to a sequence likelihood.
public struct PositionLogprobs: Sendable, Equatable {
    public let chosen: TokenProbability
    /// The most likely tokens, most likely first (may include the chosen one).
    public let alternatives: [TokenProbability]
}

/// The sampler chain of one sample: penalties → top-k → top-p → min-p →
/// temperature → draw (see `GenerationOptions`), with its own seeded generator.
public struct Sampler: Sendable {
    public let parameters: GenerationOptions
    public private(set) var generator: SplitMix64

    public init(parameters: GenerationOptions, seed: UInt64) {
        self.parameters = parameters
        generator = SplitMix64(seed: seed)
    }

    /// The truncation and temperature stages, in chain order.
    public var stages: [any SamplingStage] {
        [TopKStage(k: parameters.topK), TopPStage(p: parameters.topP), MinPStage(p: parameters.minP),
         TemperatureStage(temperature: parameters.temperature)]
    }

    /// Applies the penalties to `logits` for the context `history` (prompt and
    /// completion so far; only the last `penaltyWindow` tokens count).
    public static func penalize(_ logits: inout TokenCandidates, history: ArraySlice<Int>, parameters p: GenerationOptions) {
        guard p.penaltyWindow > 0, p.repetitionPenalty != 1 || p.frequencyPenalty != 0 || p.presencePenalty != 0 else { return }
        var counts: [Int: Int] = [:]
        for token in history.suffix(p.penaltyWindow) { counts[token, default: 0] += 1 }
        // Candidates are still in vocabulary order here (penalties run first), so
        // index == token id; fall back to a search otherwise.
        let direct = !logits.isSortedDescending && logits.count > 0 && logits.tokens.last == logits.count - 1
        for (token, count) in counts {
            guard let i = direct ? (token < logits.count ? token : nil) : logits.tokens.firstIndex(of: token) else { continue }
            var logit = Double(logits.logits[i])
            if p.repetitionPenalty != 1 {
                logit = logit > 0 ? logit / p.repetitionPenalty : logit * p.repetitionPenalty
            }
            logit -= Double(count) * p.frequencyPenalty + p.presencePenalty
            logits.logits[i] = Float(logit)
        }
    }

    /// The candidates and probabilities the draw would use: penalties, truncation,
    /// temperature applied. For greedy parameters, the single best token with probability 1.
    public func finalDistribution(logits: UnsafeBufferPointer<Float>, history: ArraySlice<Int>) -> (candidates: TokenCandidates, probabilities: [Double]) {
        let p = parameters
        let penalized = p.penaltyWindow > 0 && (p.repetitionPenalty != 1 || p.frequencyPenalty != 0 || p.presencePenalty != 0)
        if !penalized && logits.count > 0 {
            // Without penalties the first stage can read the logits in place instead of
            // copying the vocabulary (49k tokens per sample per step): the same result.
            if p.temperature == 0 {
                var best = 0
                for i in 0..<logits.count where logits[i] > logits[best] { best = i }
                return (TokenCandidates(tokens: [best], logits: [logits[best]], isSortedDescending: true), [1])
            }
            if p.topK > 0 && p.topK < logits.count {
                var candidates = TokenCandidates(topK: p.topK, of: logits)
                for stage in stages.dropFirst() { stage.apply(to: &candidates) }
                return (candidates, candidates.probabilities())
            }
        }
        var candidates = TokenCandidates(logits: logits)
        Self.penalize(&candidates, history: history, parameters: parameters)
        if parameters.temperature == 0 {
            var best = 0
            for i in 0..<candidates.count where candidates.logits[i] > candidates.logits[best] { best = i }
            return (TokenCandidates(tokens: [candidates.tokens[best]], logits: [candidates.logits[best]], isSortedDescending: true), [1])
        }
        for stage in stages { stage.apply(to: &candidates) }
        return (candidates, candidates.probabilities())
    }

    /// Picks the next token.
    public mutating func sample(logits: UnsafeBufferPointer<Float>, history: ArraySlice<Int>) -> Int {
        let (candidates, probabilities) = finalDistribution(logits: logits, history: history)
        if candidates.count == 1 { return candidates.tokens[0] }
        let u = generator.nextUnit()
        var cumulative = 0.0
        for i in 0..<probabilities.count {
            cumulative += probabilities[i]
            if u < cumulative { return candidates.tokens[i] }
        }
        return candidates.tokens[candidates.count - 1]   // u within rounding of 1
    }

    /// The log-probability of `chosen` and the `top` most likely tokens under the
    /// model's raw distribution.
    public static func logprobs(logits: UnsafeBufferPointer<Float>, chosen: Int, top: Int) -> PositionLogprobs {
        var maximum = -Float.infinity
        for logit in logits where logit > maximum { maximum = logit }
        var sum = 0.0
        for logit in logits { sum += exp(Double(logit - maximum)) }
        let logNormaliser = Double(maximum) + log(sum)
        var best: [Int] = []   // token ids, most likely first
        if top > 0 {
            for token in 0..<logits.count {
                if best.count == top, logits[token] <= logits[best[top - 1]] { continue }
                var i = best.count
                while i > 0 && logits[best[i - 1]] < logits[token] { i -= 1 }
                best.insert(token, at: i)
                if best.count > top { best.removeLast() }
            }
        }
        return PositionLogprobs(
            chosen: TokenProbability(token: chosen, logprob: Double(logits[chosen]) - logNormaliser),
            alternatives: best.map { TokenProbability(token: $0, logprob: Double(logits[$0]) - logNormaliser) })
    }
}
