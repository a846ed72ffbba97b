import Aggregation
import Foundation
import Metrics
import Report
import RunStore
import ScalingCore

/// Stopping rules over a run's stored samples (`StoppingSimulation`), as a `StoppingTable`:
/// every rule's accuracy and expected cost with ranges across permutation seeds, beside
/// majority vote and coverage at the same mean number of samples (both exact, from
/// `OfflineEstimator` and `PassAtK`) and majority vote over all n samples.
public struct StoppingAnalysis: Sendable {
    /// The rules of `quorum report --stopping` when none are given; `max` is the run's n.
    public static let defaultRules = [
        "adaptive:adaptive-consistency,threshold=0.8", "adaptive:adaptive-consistency,threshold=0.9",
        "adaptive:adaptive-consistency,threshold=0.95", "adaptive:adaptive-consistency,threshold=0.99",
        "adaptive:esc,window=3", "adaptive:esc,window=5", "adaptive:esc,window=8",
        "adaptive:confidence,threshold=0.9", "adaptive:confidence,threshold=0.95", "adaptive:confidence,threshold=0.99",
        "adaptive:verified",
    ]

    public var rules: [String]
    /// Random orders per problem for each seed.
    public var orders: Int
    /// Permutation seeds: each gives one estimate; the table shows their mean and range.
    public var seeds: [UInt64]

    public init(rules: [String] = defaultRules, orders: Int = 100, seeds: [UInt64] = [0, 1, 2, 3, 4]) {
        self.rules = rules
        self.orders = orders
        self.seeds = seeds
    }

    /// The table for `runID`. Problems are cut to the smallest sample count n (as `RunAnalysis`
    /// does); problems without samples are left out (a note says how many). A rule whose max is
    /// over n is an error; rules that need log-probabilities are skipped with a note when the
    /// run has none.
    public func table(runID: String, store: RunStore) throws -> StoppingTable {
        let configuration = try store.configuration(ofRun: runID)
        var byProblem: [String: [SampleRecord]] = [:]
        for record in try store.samples(runID: runID) { byProblem[record.problemID, default: []].append(record) }
        let ids = byProblem.keys.sorted()
        guard let n = ids.map({ byProblem[$0]!.count }).min(), n > 0 else {
            throw ExperimentError.invalidArgument("Run \(runID) has no samples yet; run `quorum run` first.")
        }
        var notes: [String] = []
        let unsampled = try store.unsampledProblems(runID: runID).count
        if unsampled > 0 { notes.append("\(unsampled) problems of the run have no sample and are left out.") }
        if ids.contains(where: { byProblem[$0]!.count != n }) {
            notes.append("Problems have different sample counts; every problem is cut to its first \(n) samples.")
        }
        let records = ids.map { Array(byProblem[$0]!.sorted { $0.sampleIndex < $1.sampleIndex }.prefix(n)) }
        let problems = records.map { samples in
            StoppingSimulation.ProblemSamples(
                samples: samples.map { StoredSample(text: $0.completion.text, extractedAnswer: $0.verdict.extracted,
                                                    isCorrect: $0.verdict.isCorrect, meanLogprob: $0.completion.meanLogprob) },
                completionTokens: samples.map(\.completion.completionTokens), promptTokens: samples.first?.completion.promptTokens ?? 0)
        }
        let grouping = AnswerGrouping(gradedBy: configuration.verifier)
        let ks = Array(1...n)
        let majority = try OfflineEstimator.curve(.majorityVote(grouping: grouping), problems: problems.map(\.samples), ks: ks,
                                                  defaultGrouping: grouping, seed: configuration.seed).metric.mean
        let coverage = try PassAtK.curve(records.map { SampleCounts(samples: $0.count, correct: $0.filter(\.verdict.isCorrect).count) }, ks: ks).mean
        func atSamples(_ curve: [Double], _ k: Double) -> Double {
            let lower = max(1, min(n, Int(k.rounded(.down)))), upper = max(1, min(n, Int(k.rounded(.up))))
            let fraction = k - Double(lower)
            return curve[lower - 1] + (curve[upper - 1] - curve[lower - 1]) * (upper == lower ? 0 : fraction)
        }
        let hasLogprobs = records.allSatisfy { $0.allSatisfy { $0.completion.meanLogprob != nil } }
        var rows: [StoppingTable.Row] = []
        for text in rules {
            let strategy: any Strategy
            do { strategy = try StrategySpec(parsing: text).makeStrategy(defaultSamples: n) } catch {
                throw ExperimentError.invalidArgument("Stopping rule '\(text)': \(error)")
            }
            guard let adaptive = strategy as? AdaptiveSampling else {
                throw ExperimentError.invalidArgument("'\(text)' is not an adaptive strategy; write adaptive:RULE[,max=N,…] (rules: "
                                                      + StrategySpec.stoppingRules.map(\.name).joined(separator: ", ") + ").")
            }
            guard adaptive.policy.maxSamples <= n else {
                throw ExperimentError.invalidArgument("'\(text)' may draw \(adaptive.policy.maxSamples) samples but the run stores \(n) per problem; "
                                                      + "use max=\(n) or less, or extend the run with a larger -n.")
            }
            if adaptive.policy.rule is ConfidenceStop, !hasLogprobs {
                notes.append("\(text) skipped: the run's samples have no log-probabilities.")
                continue
            }
            let estimates = seeds.map { seed in
                StoppingSimulation.estimate(adaptive.policy, problems: problems, grouping: adaptive.grouping ?? grouping,
                                            orders: orders, seed: seed)
            }
            func mean(_ value: (StoppingSimulation.Estimate) -> Double) -> Double {
                estimates.map(value).reduce(0, +) / Double(estimates.count)
            }
            func range(_ value: (StoppingSimulation.Estimate) -> Double) -> [Double] {
                [estimates.map(value).min()!, estimates.map(value).max()!]
            }
            let samples = mean(\.samples)
            rows.append(StoppingTable.Row(
                rule: adaptive.specification, accuracy: mean(\.accuracy), accuracyRange: range(\.accuracy),
                samples: samples, samplesRange: range(\.samples), completionTokens: mean(\.completionTokens),
                promptTokens: mean(\.promptTokens), calls: mean(\.calls), stoppedByRule: mean(\.stoppedByRule),
                majorityAtSameSamples: atSamples(majority, samples), coverageAtSameSamples: atSamples(coverage, samples)))
        }
        if rules.contains(where: { $0.contains("verified") }) {
            notes.append("verified uses the run's stored verdicts (its verifier with the reference answer): an oracle, so its accuracy is coverage "
                         + "at its stopping point; online it needs a verifier that exists at answer time (tests, a checker).")
        }
        let tokensAtAll = records.map { Double($0.reduce(0) { $0 + $1.completion.completionTokens }) }.reduce(0, +) / Double(records.count)
        let c = configuration
        return StoppingTable(runID: runID, label: "\(c.model) · \(c.dataset) · \(c.promptTemplate)", problemCount: records.count,
                             samplesPerProblem: n, orders: orders, seeds: seeds, majorityAtAll: majority[n - 1],
                             coverageAtAll: coverage[n - 1], completionTokensAtAll: tokensAtAll, rows: rows, notes: notes)
    }
}
