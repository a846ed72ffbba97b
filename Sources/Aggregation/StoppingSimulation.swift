import Foundation
import ScalingCore

/// Estimates what an adaptive strategy would have done on a run's stored samples: for each
/// problem, many random orders of its n samples (seeded); in each order the `StoppingPolicy`
/// draws wave after wave exactly as online (`StoppingPolicy.stoppingPoint`), the rule's
/// selection picks the answer among the samples drawn, and the draw is scored by the stored
/// verdict of the chosen sample. Averaged over orders and then problems: the accuracy and the
/// expected samples, generated tokens, calls and prompt tokens per problem.
///
/// Stored samples are i.i.d. draws, so a uniformly random order of them is distributed as a
/// fresh online draw of n samples; the estimate is that of the online strategy with
/// `max ≤ n`. Answer classes are formed once per problem, by the grouping the run's votes use
/// (`OfflineEstimator.classes`), then renumbered by first appearance in each order, so the
/// vote's tie rule (earliest first member) follows the order as it does online. The
/// `verified` rule uses the stored verdicts (with the run's reference-answer verifier: the
/// oracle).
public enum StoppingSimulation {
    /// One problem's stored samples and their cost.
    public struct ProblemSamples: Sendable {
        public var samples: [StoredSample]
        /// Generated tokens of each sample, in `samples` order.
        public var completionTokens: [Int]
        /// The prompt's tokens: paid once per call (a wave is one call).
        public var promptTokens: Int

        public init(samples: [StoredSample], completionTokens: [Int], promptTokens: Int) {
            precondition(samples.count == completionTokens.count, "one token count per sample")
            self.samples = samples
            self.completionTokens = completionTokens
            self.promptTokens = promptTokens
        }
    }

    /// Means per problem over problems and orders.
    public struct Estimate: Sendable, Hashable, Codable {
        public var accuracy: Double
        public var samples: Double
        public var completionTokens: Double
        public var promptTokens: Double
        public var calls: Double
        /// Share of (problem, order) draws that the rule stopped before the maximum.
        public var stoppedByRule: Double
    }

    /// The estimate over `orders` random orders per problem, seeded by `seed` (each problem's
    /// orders come from its own stream, so adding problems leaves the others' draws alone).
    /// `policy.maxSamples` must not exceed any problem's sample count.
    public static func estimate(_ policy: StoppingPolicy, problems: [ProblemSamples], grouping: AnswerGrouping,
                                orders: Int, seed: UInt64) -> Estimate {
        precondition(orders >= 1, "at least one order")
        precondition(problems.allSatisfy { $0.samples.count >= policy.maxSamples },
                     "StoppingSimulation: max \(policy.maxSamples) is more than a problem's stored samples")
        var total = Estimate(accuracy: 0, samples: 0, completionTokens: 0, promptTokens: 0, calls: 0, stoppedByRule: 0)
        let usesVerdicts = policy.rule is VerifiedStop
        for (p, problem) in problems.enumerated() {
            let classOf = OfflineEstimator.classes(problem.samples, grouping: grouping).classOf
            let confidence = problem.samples.map { $0.meanLogprob.map { exp($0) } }
            var generator = SplitMix64(seed: seed ^ (UInt64(p) &* 0x9E37_79B9_7F4A_7C15))
            var order = Array(problem.samples.indices)
            for _ in 0..<orders {
                order.shuffle(using: &generator)
                // Renumber classes by first appearance in this order.
                var renumbered: [Int: Int] = [:]
                let observations = order.map { i -> StoppingObservation in
                    let c = classOf[i].map { original in
                        if let known = renumbered[original] { return known }
                        renumbered[original] = renumbered.count
                        return renumbered.count - 1
                    }
                    return StoppingObservation(answerClass: c, confidence: confidence[i],
                                               verified: usesVerdicts ? problem.samples[i].isCorrect : nil)
                }
                let stop = policy.stoppingPoint(observations)
                let (chosen, _) = policy.rule.selection.choose(Array(observations.prefix(stop.samples)))
                let correct = chosen.map { problem.samples[order[$0]].isCorrect } ?? false
                let calls = (stop.samples + policy.wave - 1) / policy.wave
                total.accuracy += correct ? 1 : 0
                total.samples += Double(stop.samples)
                total.completionTokens += Double(order.prefix(stop.samples).reduce(0) { $0 + problem.completionTokens[$1] })
                total.calls += Double(calls)
                total.promptTokens += Double(calls * problem.promptTokens)
                total.stoppedByRule += stop.reason == .rule ? 1 : 0
            }
        }
        let draws = Double(max(1, problems.count * orders))
        return Estimate(accuracy: total.accuracy / draws, samples: total.samples / draws,
                        completionTokens: total.completionTokens / draws, promptTokens: total.promptTokens / draws,
                        calls: total.calls / draws, stoppedByRule: total.stoppedByRule / draws)
    }
}
