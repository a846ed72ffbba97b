import Aggregation
import Foundation
import ScalingCore
import Testing

/// The offline half of strategies against brute force: every k-subset of a hand-made sample
/// set, in every order, with the online selection rule (`MajorityVote.evidence`,
/// `BestOfN.best`), averaged. The offline estimators use a uniform tie-break and never
/// enumerate orders, so agreement checks both the estimator and the claim that the online
/// "first in sample order" rule has the same expected accuracy.
struct OfflineEstimatorTests {
    /// Seven samples of one problem whose reference answer is 1/2: two equivalent spellings of
    /// it, a two-sample wrong class that ties with them, a singleton, and a sample with no answer.
    static let halfProblem: [StoredSample] = [
        sample("The answer is \\boxed{\\frac{1}{2}}.", correct: true, logprob: -0.5),
        sample("So \\boxed{3}.", correct: false, logprob: -0.2),
        sample("I get \\boxed{0.5}", correct: true, logprob: -0.9),
        sample("no idea", correct: false, logprob: -0.1),
        sample("\\boxed{3}", correct: false, logprob: -0.5),
        sample("\\boxed{7}", correct: false, logprob: nil),
        sample("thus \\boxed{1/2}", correct: true, logprob: -0.5),
    ]
    /// Five samples: one correct answer against a majority of wrong ones.
    static let minorityProblem: [StoredSample] = [
        sample("\\boxed{12}", correct: false, logprob: -0.3),
        sample("\\boxed{12}", correct: false, logprob: -0.4),
        sample("\\boxed{10}", correct: true, logprob: -0.05),
        sample("\\boxed{11}", correct: false, logprob: -0.3),
        sample("\\boxed{12}", correct: false, logprob: -0.3),
    ]

    static func sample(_ text: String, correct: Bool, logprob: Double?) -> StoredSample {
        StoredSample(text: text, isCorrect: correct, meanLogprob: logprob)
    }

    /// Every ordered k-subset (k-permutation) of `0..<n`.
    static func orderedSubsets(n: Int, k: Int) -> [[Int]] {
        guard k > 0 else { return [[]] }
        return orderedSubsets(n: n, k: k - 1).flatMap { prefix in (0..<n).filter { !prefix.contains($0) }.map { prefix + [$0] } }
    }

    /// The online vote on `samples` in this order: is the returned sample correct?
    static func onlineVote(_ samples: [StoredSample], weighted: Bool) -> Bool {
        let weights = weighted ? samples.map { $0.meanLogprob.map { exp($0) } ?? 0 } : nil
        let evidence = MajorityVote.evidence(samples.map(\.text), grouping: .math, weights: weights)
        // MajorityVote returns the winning class's first member, or sample 0 when nobody voted
        // (which counts as wrong offline: no answer).
        guard let winner = evidence.winner else { return false }
        return samples[evidence.classes[winner].members[0]].isCorrect
    }

    static func bruteForce(_ samples: [StoredSample], k: Int, rule: ([StoredSample]) -> Bool) -> Double {
        let orders = orderedSubsets(n: samples.count, k: k)
        return Double(orders.filter { rule($0.map { samples[$0] }) }.count) / Double(orders.count)
    }

    @Test func majorityVoteMatchesTheOnlineRuleOverEverySubsetAndOrder() throws {
        for problem in [Self.halfProblem, Self.minorityProblem] {
            // Up to k = 5: 3,619 ordered subsets of the seven samples, each grouped with MathEquivalence.
            let ks = Array(1...min(problem.count, 5))
            let offline = try OfflineEstimator.curve(.majorityVote(grouping: .math), problems: [problem], ks: ks)
            #expect(offline.estimation == "exact")
            for (i, k) in ks.enumerated() {
                let expected = Self.bruteForce(problem, k: k) { Self.onlineVote($0, weighted: false) }
                #expect(abs(offline.metric.mean[i] - expected) < 1e-9, "k = \(k): offline \(offline.metric.mean[i]) vs brute force \(expected)")
            }
        }
    }

    @Test func equivalentAnswersVoteTogether() throws {
        // All seven samples: {1/2, 0.5, \frac12} has three votes against two for 3.
        let all = try OfflineEstimator.curve(.majorityVote(grouping: .math), problems: [Self.halfProblem], ks: [7])
        #expect(all.metric.mean == [1])
        #expect(all.tiedProblemsAtAllSamples == 0)
        // Compared as strings, each spelling of 1/2 is its own class and 3 wins with two votes.
        let strings = try OfflineEstimator.curve(.majorityVote(grouping: .extracted), problems: [Self.halfProblem], ks: [7])
        #expect(strings.metric.mean == [0])
    }

    @Test func bestOfNByLogprobMatchesTheOnlineRuleOverEverySubsetAndOrder() throws {
        let problem = Self.halfProblem   // equal scores (-0.5 three times) and an unscored sample
        let offline = try OfflineEstimator.curve(.bestOfNByLogprob, problems: [problem], ks: Array(1...problem.count))
        for k in 1...problem.count {
            let expected = Self.bruteForce(problem, k: k) { ordered in ordered[BestOfN.best(ordered.map(\.meanLogprob))].isCorrect }
            #expect(abs(offline.metric.mean[k - 1] - expected) < 1e-9, "k = \(k)")
        }
    }

    @Test func weightedVoteMonteCarloIsWithinItsErrorOfBruteForce() throws {
        for problem in [Self.halfProblem, Self.minorityProblem] {
            let ks = [2, 3, 4]
            let offline = try OfflineEstimator.curve(.weightedVote(grouping: .math), problems: [problem], ks: ks)
            #expect(offline.estimation.hasPrefix("Monte Carlo"))
            for (i, k) in ks.enumerated() {
                let expected = Self.bruteForce(problem, k: k) { Self.onlineVote($0, weighted: true) }
                // Each subset's value lies in [0, 1], so the mean of S subsets is within 4·0.5/√S with
                // probability far above 99.99%.
                let tolerance = 4 * 0.5 / Double(OfflineEstimator.monteCarloSubsets).squareRoot()
                #expect(abs(offline.metric.mean[i] - expected) <= tolerance, "k = \(k): \(offline.metric.mean[i]) vs \(expected)")
            }
        }
        // At k = n there is one subset: the Monte Carlo value is exact. In the minority problem the
        // correct 10 has weight e^-0.05 ≈ 0.95 against 12's three samples (≈ 2.16): 12 wins.
        let full = try OfflineEstimator.curve(.weightedVote(grouping: .math), problems: [Self.minorityProblem], ks: [5])
        #expect(full.metric.mean == [0])
    }

    @Test func bestOfNByVerifierIsPassAtK() throws {
        let problems = [Self.halfProblem, Self.minorityProblem]
        let ks = [1, 2, 3, 4, 5]
        let offline = try OfflineEstimator.curve(.bestOfNByVerifier, problems: problems, ks: ks)
        func choose(_ n: Int, _ k: Int) -> Double { k < 0 || k > n ? 0 : (0..<k).reduce(1.0) { $0 * Double(n - $1) / Double($1 + 1) } }
        for (i, k) in ks.enumerated() {
            let passAtK = problems.map { p -> Double in
                let c = p.filter(\.isCorrect).count
                return 1 - choose(p.count - c, k) / choose(p.count, k)
            }.reduce(0, +) / 2
            #expect(abs(offline.metric.mean[i] - passAtK) < 1e-12)
        }
    }

    @Test func singleSampleIsTheSolveRate() throws {
        let offline = try OfflineEstimator.curve(.single, problems: [Self.halfProblem, Self.minorityProblem], ks: [1, 2])
        #expect(offline.metric.ks == [1])
        let solveRate: Double = (3.0 / 7 + 1.0 / 5) / 2
        #expect(abs(offline.metric.mean[0] - solveRate) < 1e-12)
    }

    @Test func tieRateIsWithinItsErrorOfTheEnumeratedShare() throws {
        let problem = Self.halfProblem
        let offline = try OfflineEstimator.curve(.majorityVote(grouping: .math), problems: [problem], ks: [2, 4])
        for (i, k) in [2, 4].enumerated() {
            let orders = Self.orderedSubsets(n: problem.count, k: k)
            let tied = orders.filter { order in
                !MajorityVote.evidence(order.map { problem[$0].text }, grouping: .math).tiedClasses.isEmpty
            }.count
            let share = Double(tied) / Double(orders.count)
            let tieRate = try #require(offline.tieRate?[i])
            #expect(abs(tieRate - share) <= 4 * (share * (1 - share) / 200).squareRoot() + 1e-9, "k = \(k): \(tieRate) vs \(share)")
        }
        // The minority problem's full vote (three 12s) is not tied; {12, 12, 10, 10} would be.
        let tied = try OfflineEstimator.curve(.majorityVote(grouping: .math),
                                              problems: [[Self.minorityProblem[0], Self.minorityProblem[1], Self.minorityProblem[2], Self.minorityProblem[2]]],
                                              ks: [4])
        #expect(tied.tiedProblemsAtAllSamples == 1)
        #expect(abs(tied.metric.mean[0] - 0.5) < 1e-12)
        #expect(tied.tieRate == [1])
    }

    @Test func strategiesSayWhetherTheyNeedCalls() throws {
        func selection(_ spec: String) throws -> OfflineSelection? { try StrategySpec(parsing: spec).makeStrategy().offlineSelection }
        #expect(try selection("self-consistency:8") == .majorityVote(grouping: nil))
        #expect(try selection("majority-vote:8,group=text") == .majorityVote(grouping: .text))
        #expect(try selection("weighted-vote:4") == .weightedVote(grouping: nil))
        #expect(try selection("best-of-n:4,score=logprob") == .bestOfNByLogprob)
        #expect(try selection("best-of-n:4,score=verifier") == .bestOfNByVerifier)
        #expect(try selection("single") == .single)
        for spec in ["best-of-n:4,score=judge", "moa", "self-moa:4", "self-moa-seq:8,window=2"] {
            #expect(try selection(spec) == nil, "\(spec) needs model calls")
        }
    }

    @Test func missingLogprobsAreAnErrorThatSaysWhatToDo() {
        let bare = [[StoredSample(text: "\\boxed{1}", isCorrect: true)]]
        #expect(throws: AggregationError.self) { try OfflineEstimator.curve(.bestOfNByLogprob, problems: bare, ks: [1]) }
        #expect(throws: AggregationError.self) { try OfflineEstimator.curve(.weightedVote(grouping: nil), problems: bare, ks: [1]) }
    }
}
