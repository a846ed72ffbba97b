import Foundation
import ScalingCore

/// Plurality vote over answer classes, optionally weighted (METHODS.md §0.2, §0.3).
public enum Vote {
    /// The tie rule, reported in every vote's evidence.
    public static let tieRule = "among classes tied for the top weight, the class whose first member came earliest in sample order wins"

    /// The outcome of a tally.
    public struct Tally: Sendable, Hashable {
        /// Per class (index as in the grouping), the total weight of its members.
        public var weights: [Double]
        /// Per class, its members in sample order.
        public var members: [[Int]]
        /// The winning class, nil when no sample voted.
        public var winner: Int?
        /// Classes tied at the top weight (more than one only when there was a tie).
        public var tied: [Int]
    }

    /// Tallies votes: sample i adds `weights[i]` (1 when `weights` is nil) to class `classOf[i]`;
    /// samples with no class do not vote. The class with the largest total wins; ties go by
    /// `tieRule`. Classes must be numbered in order of first member (as `AnswerGrouping`
    /// numbers them), so "earliest first member" is "lowest index".
    ///
    /// Weights that are not finite count as 0, so one unscored sample never poisons a class.
    public static func tally(classOf: [Int?], weights: [Double]? = nil) -> Tally {
        let classCount = (classOf.compactMap { $0 }.max() ?? -1) + 1
        var totals = [Double](repeating: 0, count: classCount)
        var members = [[Int]](repeating: [], count: classCount)
        for (i, c) in classOf.enumerated() {
            guard let c else { continue }
            let w = weights.map { $0[i].isFinite ? $0[i] : 0 } ?? 1
            totals[c] += w
            members[c].append(i)
        }
        guard let top = totals.max() else { return Tally(weights: [], members: [], winner: nil, tied: []) }
        // Exact comparison: weights that differ only by rounding are not a tie; counts are exact.
        let tied = totals.indices.filter { totals[$0] == top }
        return Tally(weights: totals, members: members, winner: tied.first, tied: tied)
    }
}

/// How a vote weighs each sample.
public enum VoteWeighting: String, Codable, Sendable, Hashable, CaseIterable {
    /// One vote per sample: self-consistency (Wang et al. 2022).
    case count
    /// `exp(mean token log-probability)`: the length-normalised sequence probability of
    /// Wang et al.'s weighted variant. Needs a backend that reports log-probabilities.
    case logprob
}

/// Self-consistency: draw n samples in one call, group their answers, return the top class.
///
/// The response returned is the full text of the winning class's first member.
public struct MajorityVote: Strategy {
    public var samples: Int
    public var weighting: VoteWeighting
    /// Overrides the context's grouping when set.
    public var grouping: AnswerGrouping?

    public init(samples: Int, weighting: VoteWeighting = .count, grouping: AnswerGrouping? = nil) {
        self.samples = samples
        self.weighting = weighting
        self.grouping = grouping
    }

    public var specification: String {
        let name = weighting == .count ? "self-consistency" : "weighted-vote"
        return "\(name):\(samples)" + (grouping.map { ",group=\($0.rawValue)" } ?? "")
    }

    public var offlineSelection: OfflineSelection? {
        weighting == .count ? .majorityVote(grouping: grouping) : .weightedVote(grouping: grouping)
    }

    public var sampleCount: Int? { samples }
    public func withSampleCount(_ count: Int) -> any Strategy {
        var copy = self
        copy.samples = count
        return copy
    }

    public func answer(_ prompt: ProblemPrompt, using context: StrategyContext) async throws -> StrategyResult {
        var ledger = CallLedger(seed: context.seed)
        var parameters = context.parameters
        if weighting == .logprob, parameters.logprobs == nil { parameters.logprobs = 0 }
        let completions = try await ledger.sample(context.provider, prompt, parameters, count: samples, role: .proposal, step: "sampling")
        let grouping = self.grouping ?? context.grouping
        let weights: [Double]?
        switch weighting {
        case .count: weights = nil
        case .logprob:
            guard completions.contains(where: { $0.meanLogprob != nil }) else {
                throw AggregationError.missingRequirement(
                    strategy: specification, what: "log-probabilities",
                    hint: "The backend \(context.provider.modelName) reported none; use self-consistency instead.")
            }
            weights = completions.map { $0.meanLogprob.map { exp($0) } ?? 0 }
        }
        let evidence = Self.evidence(completions.map(\.text), grouping: grouping, weights: weights,
                                     weighting: weighting == .count ? "count" : "exp(mean logprob)",
                                     completions: completions)
        let winner = evidence.winner.map { evidence.classes[$0] }
        let chosenIndex = winner?.members.first ?? 0
        return StrategyResult(text: completions[chosenIndex].text, extractedAnswer: winner?.answer,
                              evidence: .vote(evidence), spend: ledger.finalSpend)
    }

    /// The vote over `outputs`, as evidence. Public so offline estimators and tests can run
    /// the same grouping and tie rule over stored samples.
    ///
    /// - Parameters:
    ///   - weights: per sample, nil for one vote each.
    ///   - completions: the samples' metadata (seeds, token counts), when known.
    public static func evidence(_ outputs: [String], grouping: AnswerGrouping, weights: [Double]? = nil,
                                weighting: String = "count", completions: [Completion]? = nil) -> VoteEvidence {
        let classes = grouping.classes(of: outputs)
        let tally = Vote.tally(classOf: classes.classOf, weights: weights)
        let samples = outputs.indices.map { i in
            EvidenceSample(index: i, seed: completions?[i].seed, text: outputs[i], answer: classes.answers[i],
                           answerClass: classes.classOf[i], score: weights?[i],
                           completionTokens: completions?[i].completionTokens ?? 0,
                           finishReason: completions?[i].finishReason.rawValue ?? FinishReason.stop.rawValue)
        }
        let voteClasses = classes.representatives.indices.map { c in
            VoteClass(answer: classes.representatives[c], members: tally.members[c], weight: tally.weights[c])
        }
        return VoteEvidence(weighting: weighting, grouping: grouping, samples: samples, classes: voteClasses,
                            winner: tally.winner, tiedClasses: tally.tied.count > 1 ? tally.tied : [],
                            tieRule: Vote.tieRule, abstained: outputs.indices.filter { classes.classOf[$0] == nil })
    }
}
