import Foundation
import Metrics

/// One stored sample, as the offline half of a strategy sees it.
public struct StoredSample: Sendable, Hashable {
    /// The sample's full text.
    public var text: String
    /// The final answer the run's verifier extracted, when it stored one; otherwise the
    /// grouping extracts it from `text`.
    public var extractedAnswer: String?
    /// The run's verdict: whether the sample is correct.
    public var isCorrect: Bool
    /// Mean token log-probability, when the backend reported it.
    public var meanLogprob: Double?

    public init(text: String, extractedAnswer: String? = nil, isCorrect: Bool, meanLogprob: Double? = nil) {
        self.text = text
        self.extractedAnswer = extractedAnswer
        self.isCorrect = isCorrect
        self.meanLogprob = meanLogprob
    }
}

/// How a strategy picks one of k stored samples without new model calls: the offline half
/// of `Strategy` (`Strategy.offlineSelection`).
public enum OfflineSelection: Sendable, Hashable, CustomStringConvertible {
    /// One sample: accuracy is pass@1 (k = 1 only).
    case single
    /// Majority vote over answer classes (nil grouping: the run's, see `OfflineEstimator`).
    case majorityVote(grouping: AnswerGrouping?)
    /// Vote weighted by `exp(mean logprob)`, as `MajorityVote` with `.logprob` weighs online.
    case weightedVote(grouping: AnswerGrouping?)
    /// The sample with the highest mean log-probability.
    case bestOfNByLogprob
    /// The first sample the run's verifier accepts (with the run's oracle verifier: pass@k).
    case bestOfNByVerifier
    /// The sample with the highest score given per sample by the caller (judge scores
    /// recorded in a run); unscored samples rank last.
    case bestOfNByScore(name: String)

    public var description: String {
        switch self {
        case .single: "single sample"
        case .majorityVote(let grouping): "majority vote" + (grouping.map { " (\($0.rawValue))" } ?? "")
        case .weightedVote(let grouping): "vote weighted by exp(mean logprob)" + (grouping.map { " (\($0.rawValue))" } ?? "")
        case .bestOfNByLogprob: "best-of-N by mean log-probability"
        case .bestOfNByVerifier: "best-of-N by verifier (first passing)"
        case .bestOfNByScore(let name): "best-of-N by \(name)"
        }
    }
}

/// An offline strategy curve: accuracy against k, how it was estimated, and how often votes tied.
public struct OfflineCurve: Sendable, Equatable {
    public var metric: MetricCurve
    /// `exact` (the expectation over all k-subsets) or `Monte Carlo, S subsets per k`.
    public var estimation: String
    /// Votes only: per k (as `metric.ks`), the fraction of random k-subsets whose vote had more
    /// than one answer class at the top, averaged over problems (Monte Carlo, 200 subsets).
    public var tieRate: [Double]?
    /// Votes only: problems whose vote over all their stored samples is tied.
    public var tiedProblemsAtAllSamples: Int?
}

/// Estimates a strategy's accuracy at budget k from the samples stored in a run, without new
/// sampling: the mean, over problems, of the strategy's accuracy on a uniformly random
/// k-subset of the problem's n samples (METHODS.md §0.3: Large Language Monkeys evaluates
/// selection at budget k on random subsets of its samples).
///
/// Exact where `Metrics.VoteEstimator` has a closed form (majority vote, best-of-N by any
/// score, best-of-N by verifier), Monte Carlo otherwise (weighted vote; majority vote when the
/// exact computation is too large).
///
/// **Tie rule** (``tieRule``): a tie counts as the mean correctness of the tied answers or
/// samples, i.e. a uniform random tie-break. Online, ties go to the answer (or sample) that
/// comes first in sample order. The two agree in expectation: samples are i.i.d., so every
/// order of a subset is equally likely, and tied vote classes have equal counts (tied
/// best-of-N samples are single samples), so the first-seen one is uniform among them. The
/// tests check this by running the online rule on every subset in every order. (A weighted
/// vote can tie classes of different sizes only when sums of real-valued weights are exactly
/// equal; `tieRate` shows how rare that is.)
public enum OfflineEstimator {
    public static let tieRule = """
        ties count as the mean correctness of the tied answers (a uniform random tie-break); \
        this equals the expected accuracy of the online rule (first in sample order wins) for i.i.d. samples
        """

    /// Monte Carlo subsets per problem and k, where no exact form exists.
    public static let monteCarloSubsets = 200

    /// The curve of `selection` over `problems` (each problem's stored samples).
    ///
    /// - Parameters:
    ///   - ks: budgets, each in `1...min n` (`.single`: only k = 1 is computed).
    ///   - defaultGrouping: the grouping when the selection names none (the run's verifier's:
    ///     `.math` for math, `.extracted` otherwise).
    ///   - scores: `.bestOfNByScore` only: per problem, per sample, the score (nil: unscored).
    public static func curve(
        _ selection: OfflineSelection, problems: [[StoredSample]], ks: [Int], defaultGrouping: AnswerGrouping = .math,
        scores: [[Double?]]? = nil, seed: UInt64 = 0
    ) throws -> OfflineCurve {
        switch selection {
        case .single:
            // A uniform pick of one sample: best-of-N with all scores equal, at k = 1.
            let outcomes = problems.map { $0.map { SampleOutcome(answer: nil, isCorrect: $0.isCorrect, score: 0) } }
            return OfflineCurve(metric: try VoteEstimator.curve(outcomes, method: .bestOfN, ks: [1]), estimation: "exact")
        case .majorityVote(let grouping), .weightedVote(let grouping):
            let grouping = grouping ?? defaultGrouping
            let weighted: Bool
            if case .weightedVote = selection { weighted = true } else { weighted = false }
            if weighted, !problems.contains(where: { $0.contains { $0.meanLogprob != nil } }) {
                throw AggregationError.missingRequirement(
                    strategy: "weighted-vote", what: "log-probabilities in the stored samples",
                    hint: "Sample the run with a backend that reports log-probabilities, or use self-consistency.")
            }
            let classOfs = problems.map { Self.classes($0, grouping: grouping).classOf }
            let outcomes = zip(problems, classOfs).map { samples, classOf in
                samples.indices.map { i in
                    SampleOutcome(answer: classOf[i].map(AnswerKey.integer), isCorrect: samples[i].isCorrect,
                                  // Online weights: exp(mean logprob), 0 without one.
                                  score: weighted ? (samples[i].meanLogprob.map { exp($0) } ?? 0) : nil)
                }
            }
            let method: SelectionMethod = weighted ? .weightedMajorityVote : .majorityVote
            var estimation = "exact"
            let metric: MetricCurve
            if weighted {
                metric = try VoteEstimator.curve(outcomes, method: method, ks: ks,
                                                 estimation: .monteCarlo(subsets: monteCarloSubsets, seed: seed))
                estimation = "Monte Carlo, \(monteCarloSubsets) subsets per k"
            } else {
                do {
                    metric = try VoteEstimator.curve(outcomes, method: method, ks: ks, estimation: .exact)
                } catch MetricsError.exactComputationTooLarge {
                    metric = try VoteEstimator.curve(outcomes, method: method, ks: ks,
                                                     estimation: .monteCarlo(subsets: monteCarloSubsets, seed: seed))
                    estimation = "Monte Carlo, \(monteCarloSubsets) subsets per k (exact too large)"
                }
            }
            let tieRate = try ks.map { k in
                try outcomes.reduce(0.0) { $0 + (try VoteEstimator.tieRate($1, method: method, k: k, seed: seed)) } / Double(max(outcomes.count, 1))
            }
            let tiedAtAll = zip(outcomes, classOfs).filter { problem, classOf in
                Vote.tally(classOf: classOf, weights: weighted ? problem.map { $0.score ?? 0 } : nil).tied.count > 1
            }.count
            return OfflineCurve(metric: metric, estimation: estimation, tieRate: tieRate, tiedProblemsAtAllSamples: tiedAtAll)
        case .bestOfNByLogprob:
            guard problems.contains(where: { $0.contains { $0.meanLogprob != nil } }) else {
                throw AggregationError.missingRequirement(
                    strategy: "best-of-n:score=logprob", what: "log-probabilities in the stored samples",
                    hint: "Sample the run with a backend that reports log-probabilities, or score by verifier or judge.")
            }
            return try bestOfN(problems: problems, scores: problems.map { $0.map(\.meanLogprob) }, ks: ks)
        case .bestOfNByScore(let name):
            guard let scores, scores.count == problems.count,
                  zip(scores, problems).allSatisfy({ $0.count == $1.count }) else {
                throw AggregationError.missingRequirement(strategy: "best-of-n:\(name)", what: "one score per stored sample",
                                                          hint: "Score every stored sample first (StrategyEvaluation does).")
            }
            return try bestOfN(problems: problems, scores: scores, ks: ks)
        case .bestOfNByVerifier:
            let outcomes = problems.map { $0.map { SampleOutcome(answer: nil, isCorrect: $0.isCorrect) } }
            let perProblem = try zip(outcomes, problems).map { outcome, samples in
                try ks.map { try VoteEstimator.bestOfNByVerifierExact(outcome, accepted: samples.map(\.isCorrect), k: $0) }
            }
            return OfflineCurve(metric: try MetricCurve(ks: ks, perProblem: perProblem), estimation: "exact")
        }
    }

    /// Best-of-N by per-sample scores; an unscored sample ranks below every scored one (as
    /// `BestOfN.best` ranks it online), so it gets a score below the problem's lowest.
    static func bestOfN(problems: [[StoredSample]], scores: [[Double?]], ks: [Int]) throws -> OfflineCurve {
        let outcomes = zip(problems, scores).map { samples, scores in
            let floor = (scores.compactMap { $0 }.filter(\.isFinite).min() ?? 0) - 1
            return zip(samples, scores).map { sample, score in
                SampleOutcome(answer: nil, isCorrect: sample.isCorrect, score: score.flatMap { $0.isFinite ? $0 : nil } ?? floor)
            }
        }
        return OfflineCurve(metric: try VoteEstimator.curve(outcomes, method: .bestOfN, ks: ks), estimation: "exact")
    }

    /// The samples' answer classes, as the online vote forms them: the stored extracted answer
    /// when there is one (not for `.text`, which compares whole outputs), else the grouping's.
    public static func classes(_ samples: [StoredSample], grouping: AnswerGrouping) -> AnswerGrouping.Classes {
        grouping.classes(ofAnswers: samples.map { sample in
            grouping == .text ? grouping.answer(of: sample.text) : (sample.extractedAnswer ?? grouping.answer(of: sample.text))
        })
    }
}
