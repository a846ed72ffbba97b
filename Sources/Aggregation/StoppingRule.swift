import Foundation

/// One sample as a stopping rule sees it, in draw order.
public struct StoppingObservation: Sendable, Hashable {
    /// Its answer class, by the grouping the vote uses (`AnswerGrouping`, classes numbered in
    /// order of first member); nil when it has no answer and does not vote.
    public var answerClass: Int?
    /// `exp(mean token log-probability)`, in (0, 1]: the weight of `weighted-vote`. Nil when the
    /// backend reported no log-probabilities.
    public var confidence: Double?
    /// The verifier's verdict on it; nil when no verifier checked it.
    public var verified: Bool?

    public init(answerClass: Int?, confidence: Double? = nil, verified: Bool? = nil) {
        self.answerClass = answerClass
        self.confidence = confidence
        self.verified = verified
    }
}

/// What a rule concluded from the samples seen so far.
public struct StoppingCheck: Sendable, Hashable, Codable {
    public var stop: Bool
    /// The number compared with the rule's threshold (a posterior probability, the agreeing
    /// share of a window), when the rule has one.
    public var statistic: Double?
    /// One line on what the rule saw, for evidence.
    public var detail: String
}

/// How an adaptive strategy picks its answer among the samples it drew.
public enum AdaptiveSelection: String, Sendable, Hashable, Codable {
    /// Plurality of answer classes (`Vote.tieRule` for ties).
    case majorityVote = "majority vote"
    /// Classes weighted by the samples' confidences (`weighted-vote`'s weights).
    case confidenceWeightedVote = "vote weighted by exp(mean logprob)"
    /// The first sample the verifier passed; a majority vote when none passed.
    case firstVerified = "first verified sample, else majority vote"
}

/// A rule that says, from the answers (and confidences, verdicts) drawn so far for one
/// question, whether drawing more is worth it. Rules are pure functions of what they are
/// shown, so the same rule runs online (`AdaptiveSampling`) and offline over stored samples in
/// random orders (`StoppingSimulation`), and both stop at the same sample for the same draws.
/// Minimum and maximum counts and waves are the `StoppingPolicy`'s, not the rule's.
public protocol StoppingRule: Sendable {
    /// `verified`, `adaptive-consistency`, `esc` or `confidence`.
    var name: String { get }
    /// The rule's own parameters as `key=value` pairs, for specs and evidence.
    var parameters: [String: String] { get }
    /// How the answer is chosen once the rule stops.
    var selection: AdaptiveSelection { get }
    /// The wave size that matches the rule's definition (ESC: its window), nil for no preference.
    var preferredWave: Int? { get }
    /// Whether `seen` (every sample drawn, in order; never empty) is enough.
    func check(_ seen: [StoppingObservation]) -> StoppingCheck
}

extension StoppingRule {
    public var preferredWave: Int? { nil }
}

/// `verified`: stop at the first sample the verifier passes (where a verifier exists: a
/// reference answer, tests). With the run's oracle verifier this reaches coverage@max at the
/// expected cost of the first success.
public struct VerifiedStop: StoppingRule {
    public init() {}
    public var name: String { "verified" }
    public var parameters: [String: String] { [:] }
    public var selection: AdaptiveSelection { .firstVerified }

    public func check(_ seen: [StoppingObservation]) -> StoppingCheck {
        if let first = seen.firstIndex(where: { $0.verified == true }) {
            return StoppingCheck(stop: true, statistic: nil, detail: "sample \(first) passed the verifier")
        }
        return StoppingCheck(stop: false, statistic: nil, detail: "none of \(seen.count) samples passed the verifier")
    }
}

/// `adaptive-consistency` (Aggarwal et al., EMNLP 2023): stop once the posterior probability
/// that the leading answer is the model's most likely answer reaches `threshold`
/// (`LeaderPosterior`: Beta over the top two answers when two were seen, Dirichlet over all
/// observed answers when more were). Samples without an answer do not count. The paper's
/// default threshold is 0.95.
public struct AdaptiveConsistencyStop: StoppingRule {
    public var threshold: Double

    public init(threshold: Double = 0.95) { self.threshold = threshold }
    public var name: String { "adaptive-consistency" }
    public var parameters: [String: String] { ["threshold": Self.format(threshold)] }
    public var selection: AdaptiveSelection { .majorityVote }

    public func check(_ seen: [StoppingObservation]) -> StoppingCheck {
        let counts = classWeights(seen) { _ in 1 }
        guard !counts.isEmpty else { return StoppingCheck(stop: false, statistic: 0, detail: "no sample has an answer yet") }
        let probability = LeaderPosterior.probabilityLeaderIsBest(counts)
        let shown = counts.sorted(by: >).map { String(Int($0)) }.joined(separator: ", ")
        return StoppingCheck(stop: probability >= threshold, statistic: probability,
                             detail: "P(leader stays leader) = \(Self.format(probability)) with answer counts \(shown) "
                                 + (probability >= threshold ? "≥" : "<") + " \(Self.format(threshold))")
    }

    static func format(_ value: Double) -> String { String(format: "%.4g", value) }
}

/// `esc`, Early-Stopping Self-Consistency (Li et al., ICLR 2024): stop when the last `window`
/// samples all have the same answer (zero entropy in the window). Li et al. cut the sampling
/// into consecutive windows of w samples and test each; an adaptive strategy with wave = w (the
/// default for this rule) asks after every window, so it is exactly their procedure. Their
/// example and main setting use w = 5.
public struct EarlyStoppingWindow: StoppingRule {
    public var window: Int

    public init(window: Int = 5) {
        precondition(window >= 1, "EarlyStoppingWindow: window must be at least 1")
        self.window = window
    }
    public var name: String { "esc" }
    public var parameters: [String: String] { ["window": String(window)] }
    public var selection: AdaptiveSelection { .majorityVote }
    public var preferredWave: Int? { window }

    public func check(_ seen: [StoppingObservation]) -> StoppingCheck {
        guard seen.count >= window else {
            return StoppingCheck(stop: false, statistic: nil, detail: "\(seen.count) samples, fewer than the window of \(window)")
        }
        // The statistic: the share of the window held by its most common answer.
        var counts: [Int: Int] = [:]
        for case let c? in seen.suffix(window).map(\.answerClass) { counts[c, default: 0] += 1 }
        let agree = counts.values.max() ?? 0
        let unanimous = agree == window
        return StoppingCheck(stop: unanimous, statistic: Double(agree) / Double(window),
                             detail: unanimous ? "the last \(window) samples all have the same answer"
                                 : "the last \(window) samples disagree (or lack an answer)")
    }
}

/// `confidence`, after ReASC (Kim et al., 2026: reliability-aware adaptive self-consistency):
/// evidence is weighed by each sample's confidence instead of counted.
///
/// Quorum's definition: a sample's confidence is `c = exp(mean token log-probability)` in
/// (0, 1] (the weight `weighted-vote` uses; ReASC's own confidence measure differs). Stage 1:
/// when `single` is set and the first sample has an answer and `c ≥ single`, stop. Stage 2: the
/// classes' summed confidences `W₁ ≥ W₂ ≥ …` replace the counts of `adaptive-consistency`, and
/// the rule stops when `P(leader stays leader)` under `Dirichlet(W + 1)` (Beta for two answers,
/// `LeaderPosterior`) reaches `threshold`. A confident answer therefore needs fewer samples
/// than an unconfident one; with every `c = 1` this is `adaptive-consistency`. Samples without
/// log-probabilities weigh 0. The answer is the confidence-weighted vote.
public struct ConfidenceStop: StoppingRule {
    public var threshold: Double
    public var single: Double?

    public init(threshold: Double = 0.95, single: Double? = nil) {
        self.threshold = threshold
        self.single = single
    }
    public var name: String { "confidence" }
    public var parameters: [String: String] {
        var p = ["threshold": AdaptiveConsistencyStop.format(threshold)]
        if let single { p["single"] = AdaptiveConsistencyStop.format(single) }
        return p
    }
    public var selection: AdaptiveSelection { .confidenceWeightedVote }

    public func check(_ seen: [StoppingObservation]) -> StoppingCheck {
        if let single, let first = seen.first, first.answerClass != nil, let c = first.confidence, c >= single {
            return StoppingCheck(stop: true, statistic: c,
                                 detail: "the first sample's confidence \(AdaptiveConsistencyStop.format(c)) ≥ \(AdaptiveConsistencyStop.format(single))")
        }
        let weights = classWeights(seen) { $0.confidence.map { $0.isFinite ? $0 : 0 } ?? 0 }
        guard weights.contains(where: { $0 > 0 }) else {
            return StoppingCheck(stop: false, statistic: 0, detail: "no answered sample has a confidence yet")
        }
        let shown = weights.sorted(by: >).map { AdaptiveConsistencyStop.format($0) }.joined(separator: ", ")
        // Real-valued sums never repeat, so the Dirichlet integral is not cached; beating every
        // other class is at most as likely as beating the runner-up (the Beta of the top two),
        // so when that bound is under the threshold the integral cannot reach it.
        let sorted = weights.sorted(by: >)
        if sorted.count > 2 {
            let bound = LeaderPosterior.betaTailAboveHalf(leader: sorted[0], second: sorted[1])
            if bound < threshold {
                return StoppingCheck(stop: false, statistic: bound,
                                     detail: "P(leader beats the runner-up) = \(AdaptiveConsistencyStop.format(bound)) with confidence sums \(shown) "
                                         + "< \(AdaptiveConsistencyStop.format(threshold)) (an upper bound of P(leader stays leader))")
            }
        }
        let probability = LeaderPosterior.probabilityLeaderIsBest(weights)
        return StoppingCheck(stop: probability >= threshold, statistic: probability,
                             detail: "P(leader stays leader) = \(AdaptiveConsistencyStop.format(probability)) with confidence sums \(shown) "
                                 + (probability >= threshold ? "≥" : "<") + " \(AdaptiveConsistencyStop.format(threshold))")
    }
}

/// Per answer class, the summed `weight` of its samples (samples without an answer skipped).
func classWeights(_ seen: [StoppingObservation], weight: (StoppingObservation) -> Double) -> [Double] {
    var totals: [Int: Double] = [:]
    for observation in seen {
        guard let c = observation.answerClass else { continue }
        totals[c, default: 0] += weight(observation)
    }
    return totals.keys.sorted().map { totals[$0]! }
}

/// A rule with its bounds: at least `minSamples`, at most `maxSamples`, drawn `wave` at a time;
/// the rule is asked after each wave once `minSamples` are drawn.
public struct StoppingPolicy: Sendable {
    public var rule: any StoppingRule
    public var minSamples: Int
    public var maxSamples: Int
    public var wave: Int

    /// Why sampling ended.
    public enum StopReason: String, Sendable, Hashable, Codable {
        /// The rule fired.
        case rule
        /// `maxSamples` were drawn without the rule firing.
        case maximum
        /// Offline only: the stored samples ran out before either (fewer stored than `maxSamples`).
        case exhausted
    }

    public struct Stop: Sendable, Hashable {
        public var samples: Int
        public var reason: StopReason
        public var check: StoppingCheck?
    }

    public init(rule: any StoppingRule, minSamples: Int = 1, maxSamples: Int, wave: Int? = nil) {
        precondition(1 <= minSamples && minSamples <= maxSamples, "StoppingPolicy: need 1 ≤ min ≤ max, got \(minSamples), \(maxSamples)")
        self.rule = rule
        self.minSamples = minSamples
        self.maxSamples = maxSamples
        self.wave = max(1, min(wave ?? rule.preferredWave ?? 4, maxSamples))
    }

    /// After a wave: stop (why) or nil to draw the next wave.
    public func decide(_ seen: [StoppingObservation]) -> Stop? {
        let check = seen.count >= minSamples && !seen.isEmpty ? rule.check(seen) : nil
        if let check, check.stop { return Stop(samples: seen.count, reason: .rule, check: check) }
        if seen.count >= maxSamples { return Stop(samples: seen.count, reason: .maximum, check: check) }
        return nil
    }

    /// How many samples the next wave draws after `drawn`.
    public func nextWave(after drawn: Int) -> Int { min(wave, maxSamples - drawn) }

    /// Where the policy stops on samples drawn in the order of `observations` (all the samples
    /// there are, in draw order): the same decisions, at the same wave boundaries, as online.
    public func stoppingPoint(_ observations: [StoppingObservation]) -> Stop {
        var drawn = 0
        while true {
            drawn = min(drawn + nextWave(after: drawn), observations.count)
            if let stop = decide(Array(observations.prefix(drawn))) { return stop }
            if drawn == observations.count {
                return Stop(samples: drawn, reason: .exhausted, check: drawn > 0 ? rule.check(observations) : nil)
            }
        }
    }
}
