import Foundation
import ScalingCore

extension AdaptiveSelection {
    /// The sample whose text is returned and the winning class, over `seen` (classes numbered in
    /// order of first member, as `Vote.tally` needs): both nil when no sample has an answer.
    public func choose(_ seen: [StoppingObservation]) -> (sample: Int?, winner: Int?) {
        if self == .firstVerified, let first = seen.firstIndex(where: { $0.verified == true }) {
            return (first, seen[first].answerClass)
        }
        let weights = self == .confidenceWeightedVote ? seen.map { $0.confidence ?? 0 } : nil
        let tally = Vote.tally(classOf: seen.map(\.answerClass), weights: weights)
        guard let winner = tally.winner else { return (nil, nil) }
        return (tally.members[winner].first, winner)
    }
}

/// An adaptive strategy: draws samples in waves until its `StoppingPolicy` says stop, then
/// answers as the rule's `selection` says.
///
/// Each wave is one call of `wave` samples of the same prompt, so the embedded engine (and a
/// server honouring `n`) decodes a wave as one shared-prompt batch; after each wave the rule
/// sees every sample drawn so far. The evidence records every wave's decision, how many samples
/// were drawn, why sampling stopped, and the vote over the drawn samples.
public struct AdaptiveSampling: Strategy {
    public var policy: StoppingPolicy
    /// Overrides the context's grouping when set.
    public var grouping: AnswerGrouping?

    public init(policy: StoppingPolicy, grouping: AnswerGrouping? = nil) {
        self.policy = policy
        self.grouping = grouping
    }

    public var specification: String {
        var items = [policy.rule.name, "max=\(policy.maxSamples)"]
        if policy.minSamples != 1 { items.append("min=\(policy.minSamples)") }
        items += policy.rule.parameters.keys.sorted().map { "\($0)=\(policy.rule.parameters[$0]!)" }
        items.append("wave=\(policy.wave)")
        if let grouping { items.append("group=\(grouping.rawValue)") }
        return "adaptive:" + items.joined(separator: ",")
    }

    /// The most samples it may draw.
    public var sampleCount: Int? { policy.maxSamples }

    public func answer(_ prompt: ProblemPrompt, using context: StrategyContext) async throws -> StrategyResult {
        let rule = policy.rule
        if rule is VerifiedStop, context.verifier == nil || context.problem == nil {
            throw AggregationError.missingRequirement(strategy: specification, what: "a verifier and a problem to check against",
                                                      hint: "Give a reference answer (quorum ask --reference), or use another rule.")
        }
        let grouping = self.grouping ?? context.grouping
        var parameters = context.parameters
        if rule is ConfidenceStop, parameters.logprobs == nil { parameters.logprobs = 0 }
        var ledger = CallLedger(seed: context.seed)
        var completions: [Completion] = []
        var verdicts: [Bool?] = []
        var waves: [AdaptiveWave] = []
        var stop: StoppingPolicy.Stop?
        while stop == nil {
            let count = policy.nextWave(after: completions.count)
            let drawn = try await ledger.sample(context.provider, prompt, parameters, count: count, role: .proposal, step: "wave \(waves.count + 1)")
            completions += drawn
            if rule is VerifiedStop, let verifier = context.verifier, let problem = context.problem {
                for completion in drawn { verdicts.append(await verifier.verify(completion.text, for: problem).isCorrect) }
            } else {
                verdicts += drawn.map { _ in nil }
            }
            if rule is ConfidenceStop, waves.isEmpty, !drawn.contains(where: { $0.meanLogprob != nil }) {
                throw AggregationError.missingRequirement(
                    strategy: specification, what: "log-probabilities",
                    hint: "The backend \(context.provider.modelName) reported none; use adaptive:adaptive-consistency or adaptive:esc instead.")
            }
            let observations = Self.observations(completions, grouping: grouping, verdicts: verdicts)
            stop = policy.decide(observations)
            let check = stop?.check ?? (completions.count >= policy.minSamples ? rule.check(observations) : nil)
            waves.append(AdaptiveWave(samples: completions.count, statistic: check?.statistic,
                                      detail: check?.detail ?? "fewer than the minimum of \(policy.minSamples) samples"))
        }
        let observations = Self.observations(completions, grouping: grouping, verdicts: verdicts)
        let weights = rule.selection == .confidenceWeightedVote ? observations.map { $0.confidence ?? 0 } : nil
        let vote = MajorityVote.evidence(completions.map(\.text), grouping: grouping, weights: weights,
                                         weighting: weights == nil ? "count" : "exp(mean logprob)", completions: completions)
        let (chosen, winner) = rule.selection.choose(observations)
        let chosenIndex = chosen ?? 0
        let evidence = AdaptiveEvidence(
            rule: rule.name, parameters: rule.parameters, minSamples: policy.minSamples, maxSamples: policy.maxSamples,
            wave: policy.wave, samplesDrawn: completions.count, stopReason: stop!.reason.rawValue,
            stopDetail: stop!.check?.detail ?? "", waves: waves, selection: rule.selection.rawValue,
            verified: rule is VerifiedStop ? verdicts.map { $0 ?? false } : nil, chosenSample: chosenIndex, vote: vote)
        return StrategyResult(text: completions[chosenIndex].text, extractedAnswer: winner.map { vote.classes[$0].answer },
                              evidence: .adaptive(evidence), spend: ledger.finalSpend)
    }

    /// The rule's view of the completions: classes as the vote forms them, confidences, verdicts.
    static func observations(_ completions: [Completion], grouping: AnswerGrouping, verdicts: [Bool?]) -> [StoppingObservation] {
        let classes = grouping.classes(of: completions.map(\.text))
        return completions.indices.map { i in
            StoppingObservation(answerClass: classes.classOf[i], confidence: completions[i].meanLogprob.map { exp($0) },
                                verified: verdicts[i])
        }
    }
}

/// One decision of an adaptive strategy, after a wave.
public struct AdaptiveWave: Codable, Sendable, Hashable {
    /// Samples drawn so far.
    public var samples: Int
    /// The rule's statistic (posterior probability, window agreement), when it has one.
    public var statistic: Double?
    public var detail: String
}

/// An adaptive strategy's evidence: the rule, every wave's decision, how many samples it drew
/// and why it stopped, and the vote over the samples drawn.
public struct AdaptiveEvidence: Codable, Sendable, Hashable {
    public var rule: String
    public var parameters: [String: String]
    public var minSamples: Int
    public var maxSamples: Int
    public var wave: Int
    public var samplesDrawn: Int
    /// `rule` (the rule fired) or `maximum` (max samples drawn).
    public var stopReason: String
    /// The rule's last check, in words.
    public var stopDetail: String
    public var waves: [AdaptiveWave]
    /// How the answer was chosen (`AdaptiveSelection`).
    public var selection: String
    /// `verified` only: per sample, whether the verifier passed it.
    public var verified: [Bool]?
    /// The sample whose text is the response.
    public var chosenSample: Int
    /// The vote over every sample drawn (weighted by confidence for `confidence`).
    public var vote: VoteEvidence
}

extension StrategySpec {
    /// The rules `adaptive:RULE` takes, with their parameters, for help texts and errors.
    public static let stoppingRules: [(name: String, parameters: String, summary: String)] = [
        ("verified", "", "stop at the first sample the verifier passes (needs a reference answer or tests)"),
        ("adaptive-consistency", "threshold=T (0.95)", "stop when P(leader stays leader) under the Beta/Dirichlet posterior ≥ T (Aggarwal et al. 2023)"),
        ("esc", "window=W (5)", "stop when a window of W samples all agree (Li et al. 2024); waves default to W"),
        ("confidence", "threshold=T (0.95), single=S", "adaptive-consistency on exp(mean logprob)-weighted counts; stop at once if the first sample's confidence ≥ S (ReASC-style)"),
    ]

    /// The policy of an `adaptive:RULE,…` spec; `defaultSamples` is max when the spec gives none.
    func stoppingPolicy(defaultSamples: Int) throws(AggregationError) -> StoppingPolicy {
        guard let ruleName = options["rule"] else {
            throw .invalidParameter(strategy: name, parameter: "RULE", value: "",
                                    expected: "a rule first: \(Self.stoppingRules.map(\.name).joined(separator: ", ")) (adaptive:esc,max=32)")
        }
        let allowed: [String: [String]] = ["verified": [], "adaptive-consistency": ["threshold"], "esc": ["window"],
                                           "confidence": ["threshold", "single"]]
        guard let ruleOptions = allowed[ruleName] else {
            throw .invalidParameter(strategy: name, parameter: "RULE", value: ruleName,
                                    expected: "one of \(Self.stoppingRules.map(\.name).joined(separator: ", "))")
        }
        for key in ["threshold", "window", "single"] where options[key] != nil && !ruleOptions.contains(key) {
            throw .invalidParameter(strategy: name, parameter: key, value: options[key]!,
                                    expected: "no \(key) for rule \(ruleName) (it takes \(ruleOptions.isEmpty ? "none" : ruleOptions.joined(separator: ", ")))")
        }
        func probability(_ key: String) throws(AggregationError) -> Double? {
            guard let raw = options[key] else { return nil }
            guard let value = Double(raw), value > 0, value < 1 else {
                throw .invalidParameter(strategy: name, parameter: key, value: raw, expected: "a probability strictly between 0 and 1")
            }
            return value
        }
        let rule: any StoppingRule
        switch ruleName {
        case "verified": rule = VerifiedStop()
        case "adaptive-consistency": rule = AdaptiveConsistencyStop(threshold: try probability("threshold") ?? 0.95)
        case "esc": rule = EarlyStoppingWindow(window: try integer("window", minimum: 1) ?? 5)
        default: rule = ConfidenceStop(threshold: try probability("threshold") ?? 0.95, single: try probability("single"))
        }
        let maxSamples = samples ?? defaultSamples
        let minSamples = try integer("min", minimum: 1) ?? 1
        guard minSamples <= maxSamples else {
            throw .invalidParameter(strategy: name, parameter: "min", value: "\(minSamples)", expected: "at most max (\(maxSamples))")
        }
        return StoppingPolicy(rule: rule, minSamples: minSamples, maxSamples: maxSamples, wave: try integer("wave", minimum: 1))
    }
}
