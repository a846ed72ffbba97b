import Aggregation
import Foundation
import ScalingCore
import Testing

/// The posterior of Adaptive-Consistency against exact binomial sums and Monte Carlo draws of
/// the same Dirichlet; each rule on sequences worked out by hand; the policy's waves and bounds.
struct StoppingRuleTests {
    // MARK: - The posterior

    /// `P(Bin(a + b + 1, 1/2) ≤ a)`: for integer counts, `P(X > 1/2)` with `X ~ Beta(a + 1, b + 1)`
    /// equals this binomial sum (the identity `I_x(α, β) = P(Bin(α + β − 1, x) ≥ α)`).
    static func binomialReference(leader a: Int, second b: Int) -> Double {
        let trials = a + b + 1
        var sum = 0.0
        for k in 0...a { sum += exp(lgamma(Double(trials + 1)) - lgamma(Double(k + 1)) - lgamma(Double(trials - k + 1)) - Double(trials) * log(2.0)) }
        return sum
    }

    @Test func betaCriterionMatchesHandComputedValues() {
        // One answer seen a times: 1 − 2^−(a+1). Three agreeing samples do not reach 0.95, four do.
        #expect(abs(LeaderPosterior.probabilityLeaderIsBest([3]) - 15.0 / 16) < 1e-9)
        #expect(abs(LeaderPosterior.probabilityLeaderIsBest([4]) - 31.0 / 32) < 1e-9)
        // 5 against 1: P(Bin(7, 1/2) ≤ 5) = 1 − (7 + 1)/128 = 0.9375.
        #expect(abs(LeaderPosterior.probabilityLeaderIsBest([1, 5]) - 0.9375) < 1e-9)
        // A tie is a coin flip.
        #expect(abs(LeaderPosterior.probabilityLeaderIsBest([6, 6]) - 0.5) < 1e-9)
    }

    @Test(arguments: [(0, 0), (1, 0), (2, 1), (7, 3), (12, 2), (20, 11), (31, 1), (40, 24)])
    func betaCriterionMatchesTheBinomialSum(_ counts: (Int, Int)) {
        let computed = LeaderPosterior.betaTailAboveHalf(leader: Double(counts.0), second: Double(counts.1))
        #expect(abs(computed - Self.binomialReference(leader: counts.0, second: counts.1)) < 1e-9, "counts \(counts)")
    }

    /// Monte Carlo of the same posterior: Dirichlet draws as independent Gamma variables
    /// (Marsaglia and Tsang's method), counting how often the leader's share is the largest.
    static func monteCarlo(_ counts: [Double], draws: Int, seed: UInt64) -> Double {
        var generator = TestGenerator(seed: seed)
        var wins = 0
        for _ in 0..<draws {
            let gammas = counts.map { gammaVariate(shape: $0 + 1, &generator) }
            if gammas[0] > gammas.dropFirst().max()! { wins += 1 }
        }
        return Double(wins) / Double(draws)
    }

    static func gammaVariate(shape: Double, _ generator: inout TestGenerator) -> Double {
        let d = shape - 1.0 / 3, c = 1 / sqrt(9 * d)
        while true {
            var x: Double, v: Double
            repeat {
                // Box-Muller normal.
                let u1 = Double.random(in: Double.ulpOfOne..<1, using: &generator), u2 = Double.random(in: 0..<1, using: &generator)
                x = sqrt(-2 * log(u1)) * cos(2 * .pi * u2)
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = Double.random(in: Double.ulpOfOne..<1, using: &generator)
            if log(u) < 0.5 * x * x + d - d * v + d * log(v) { return d * v }
        }
    }

    @Test(arguments: [[3.0, 2, 1], [5, 2, 2, 1], [2, 2, 1], [9, 4, 3, 1, 1, 1], [2.6, 1.3, 0.7], [6.2, 2.9, 2.4, 0.5]])
    func dirichletCriterionMatchesMonteCarlo(_ counts: [Double]) {
        let draws = 200_000
        let estimate = Self.monteCarlo(counts, draws: draws, seed: 7)
        let computed = LeaderPosterior.probabilityLeaderIsBest(counts)
        let sigma = sqrt(max(computed * (1 - computed), 1e-4) / Double(draws))
        #expect(abs(computed - estimate) < 4.5 * sigma, "counts \(counts): integral \(computed), Monte Carlo \(estimate)")
        // More competitors can only lower the leader's chance: below the Beta of the top two.
        #expect(computed <= LeaderPosterior.betaTailAboveHalf(leader: counts[0], second: counts[1]) + 1e-9)
    }

    // MARK: - The rules

    static func observations(_ classes: [Int?], confidence: [Double]? = nil, verified: [Bool]? = nil) -> [StoppingObservation] {
        classes.indices.map { StoppingObservation(answerClass: classes[$0], confidence: confidence?[$0], verified: verified?[$0]) }
    }

    @Test func adaptiveConsistencyStopsWhenThePosteriorReachesTheThreshold() {
        let rule = AdaptiveConsistencyStop(threshold: 0.95)
        #expect(!rule.check(Self.observations([0, 0, 0])).stop)              // 15/16 = 0.9375
        #expect(rule.check(Self.observations([0, 0, 0, 0])).stop)            // 31/32 = 0.969
        #expect(!rule.check(Self.observations([0, 1, 0, 0, 0, 0])).stop)     // 5 vs 1: 0.9375
        #expect(rule.check(Self.observations([0, 1, 0, 0, 0, 0, 0])).stop)   // 6 vs 1: P(Bin(8) ≤ 6) = 1 − 9/256
        // Samples without an answer neither count for nor against.
        #expect(rule.check(Self.observations([nil, 0, nil, 0, 0, 0])).stop)
        #expect(!rule.check(Self.observations([nil, nil])).stop)
        // A looser threshold stops earlier.
        #expect(AdaptiveConsistencyStop(threshold: 0.9).check(Self.observations([0, 0, 0])).stop)
    }

    @Test func escNeedsAWholeWindowOfOneAnswer() {
        let rule = EarlyStoppingWindow(window: 3)
        #expect(!rule.check(Self.observations([0, 0])).stop)
        #expect(rule.check(Self.observations([1, 0, 0, 0])).stop)
        #expect(!rule.check(Self.observations([0, 0, 1])).stop)
        #expect(!rule.check(Self.observations([nil, nil, nil])).stop)
        #expect(rule.check(Self.observations([0, 1, 1, 1])).statistic == 1)
        #expect(rule.check(Self.observations([0, 1, 1])).statistic == 2.0 / 3)
    }

    @Test func verifiedStopsAtTheFirstPass() {
        let rule = VerifiedStop()
        #expect(!rule.check(Self.observations([0, 1], verified: [false, false])).stop)
        let check = rule.check(Self.observations([0, 1, 2], verified: [false, true, false]))
        #expect(check.stop && check.detail.contains("sample 1"))
        let (chosen, winner) = rule.selection.choose(Self.observations([0, 0, 1], verified: [false, false, true]))
        #expect(chosen == 2 && winner == 1)   // the verified sample, not the majority
    }

    @Test func confidenceWeighsEvidenceAndCanStopOnOneSample() {
        // With every confidence 1 it is adaptive-consistency.
        let ones = Self.observations([0, 0, 0, 0], confidence: [1, 1, 1, 1])
        #expect(ConfidenceStop().check(ones).stop)
        #expect(ConfidenceStop().check(ones).statistic == LeaderPosterior.probabilityLeaderIsBest([4]))
        // Four agreeing but unconfident samples (sum 2) are not enough: 1 − 2^−3 = 0.875.
        let unsure = Self.observations([0, 0, 0, 0], confidence: [0.5, 0.5, 0.5, 0.5])
        #expect(!ConfidenceStop().check(unsure).stop)
        #expect(abs(ConfidenceStop().check(unsure).statistic! - 0.875) < 1e-9)
        // Stage 1: a confident first sample settles it.
        let single = ConfidenceStop(threshold: 0.95, single: 0.9)
        #expect(single.check(Self.observations([0], confidence: [0.93])).stop)
        #expect(!single.check(Self.observations([0], confidence: [0.6])).stop)
        // The answer is the confidence-weighted vote: one confident sample outweighs two unsure ones.
        let (chosen, winner) = ConfidenceStop().selection.choose(Self.observations([0, 1, 1], confidence: [0.9, 0.3, 0.3]))
        #expect(chosen == 0 && winner == 0)
    }

    // MARK: - The policy

    @Test func policyAsksAfterEachWaveWithinMinAndMax() {
        let unanimous = Self.observations(Array(repeating: 0, count: 12))
        let policy = StoppingPolicy(rule: AdaptiveConsistencyStop(), minSamples: 1, maxSamples: 10, wave: 4)
        let first = policy.stoppingPoint(unanimous)
        #expect(first.samples == 4 && first.reason == .rule && first.check == policy.rule.check(Array(unanimous.prefix(4))))
        // A minimum of 6 moves the first decision to the second wave.
        #expect(StoppingPolicy(rule: AdaptiveConsistencyStop(), minSamples: 6, maxSamples: 10, wave: 4).stoppingPoint(unanimous).samples == 8)
        // Never settled: waves of 4, 4, then the 2 left to the maximum.
        let diverse = Self.observations(Array(0..<12))
        let stop = policy.stoppingPoint(diverse)
        #expect(stop.samples == 10 && stop.reason == .maximum)
        // Fewer stored than max: the samples run out.
        #expect(StoppingPolicy(rule: AdaptiveConsistencyStop(), maxSamples: 16, wave: 4).stoppingPoint(Array(diverse.prefix(6))).reason == .exhausted)
        // ESC's waves default to its window.
        #expect(StoppingPolicy(rule: EarlyStoppingWindow(window: 5), maxSamples: 40).wave == 5)
    }

    // MARK: - Specs

    @Test func adaptiveSpecsParseAndPrintBack() throws {
        let spec = try StrategySpec(parsing: "adaptive:ESC,max=32,window=4")
        #expect(spec.samples == 32 && spec.options["rule"] == "esc")
        #expect(spec.description == "adaptive:esc,max=32,window=4")
        let strategy = try #require(try spec.makeStrategy() as? AdaptiveSampling)
        #expect(strategy.policy.maxSamples == 32 && strategy.policy.wave == 4)
        #expect(strategy.specification == "adaptive:esc,max=32,window=4,wave=4")
        #expect(try StrategySpec(parsing: strategy.specification).makeStrategy().specification == strategy.specification)
        let ac = try #require(try StrategySpec(parsing: "adaptive:adaptive-consistency,threshold=0.99,min=2").makeStrategy(defaultSamples: 16) as? AdaptiveSampling)
        #expect(ac.policy.maxSamples == 16 && ac.policy.minSamples == 2 && (ac.policy.rule as? AdaptiveConsistencyStop)?.threshold == 0.99)
        #expect(try StrategySpec(parsing: "adaptive:esc,max=32,wave=8").worstCaseSpend(defaultSamples: 8) == (4, 32))
    }

    @Test(arguments: [
        ("adaptive", "a rule first"), ("adaptive:majority", "one of verified"), ("adaptive:esc,threshold=0.9", "no threshold for rule esc"),
        ("adaptive:adaptive-consistency,threshold=1.5", "strictly between 0 and 1"), ("adaptive:esc,max=4,min=8", "at most max"),
        ("adaptive:esc,max=0", "at least 1"), ("adaptive:esc,colour=red", "one of: N"),
    ])
    func badAdaptiveSpecsSayWhatIsWrong(_ example: (String, String)) {
        do {
            _ = try StrategySpec(parsing: example.0).makeStrategy()
            Issue.record("\(example.0) was accepted")
        } catch {
            #expect(error.description.contains(example.1), "\(example.0): \(error.description)")
        }
    }
}

/// SplitMix64 for the tests' Monte Carlo draws.
struct TestGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The offline simulation on problems whose expectations are worked out by hand.
struct StoppingSimulationTests {
    static func problem(_ answers: [String?], correct: [Bool], tokens: Int = 10) -> StoppingSimulation.ProblemSamples {
        StoppingSimulation.ProblemSamples(
            samples: answers.indices.map { StoredSample(text: "", extractedAnswer: answers[$0], isCorrect: correct[$0]) },
            completionTokens: Array(repeating: tokens, count: answers.count), promptTokens: 50)
    }

    @Test func unanimousProblemsStopAfterTheFirstWave() {
        let problem = Self.problem(Array(repeating: "4", count: 8), correct: Array(repeating: true, count: 8))
        let estimate = StoppingSimulation.estimate(StoppingPolicy(rule: AdaptiveConsistencyStop(), maxSamples: 8, wave: 4),
                                                   problems: [problem], grouping: .math, orders: 10, seed: 0)
        #expect(estimate.accuracy == 1 && estimate.samples == 4 && estimate.completionTokens == 40)
        #expect(estimate.promptTokens == 50 && estimate.calls == 1 && estimate.stoppedByRule == 1)
    }

    @Test func verifiedStopsAtTheExpectedFirstSuccess() {
        // One correct sample of 4: in a random order it comes at (4 + 1)/(1 + 1) = 2.5 on average.
        let problem = Self.problem(["1", "2", "3", "4"], correct: [false, false, true, false])
        let estimate = StoppingSimulation.estimate(StoppingPolicy(rule: VerifiedStop(), maxSamples: 4, wave: 1),
                                                   problems: [problem], grouping: .math, orders: 8000, seed: 3)
        #expect(estimate.accuracy == 1)
        #expect(abs(estimate.samples - 2.5) < 0.05, "\(estimate.samples)")
        #expect(abs(estimate.calls - estimate.samples) < 1e-12)
    }

    @Test func aRuleThatNeverFiresIsTheVoteOverAllSamples() {
        // 3 votes for the correct answer against 2: the vote over all 5 is right in every order.
        let problem = Self.problem(["a", "b", "a", "b", "a"], correct: [true, false, true, false, true])
        let policy = StoppingPolicy(rule: AdaptiveConsistencyStop(threshold: 0.999999), maxSamples: 5, wave: 2)
        let estimate = StoppingSimulation.estimate(policy, problems: [problem], grouping: .extracted, orders: 200, seed: 1)
        #expect(estimate.accuracy == 1 && estimate.samples == 5 && estimate.calls == 3 && estimate.stoppedByRule == 0)
        // A tie (2 against 2) is broken by order: right half the time.
        let tied = Self.problem(["a", "b", "a", "b"], correct: [true, false, true, false])
        let half = StoppingSimulation.estimate(StoppingPolicy(rule: AdaptiveConsistencyStop(threshold: 0.999999), maxSamples: 4),
                                               problems: [tied], grouping: .extracted, orders: 8000, seed: 2)
        #expect(abs(half.accuracy - 0.5) < 0.03, "\(half.accuracy)")
    }

    @Test func theSameSeedGivesTheSameEstimate() {
        let problem = Self.problem(["1", "2", "1", "3", "1", "1", "2", "1"], correct: [true, false, true, false, true, true, false, true])
        let policy = StoppingPolicy(rule: EarlyStoppingWindow(window: 2), maxSamples: 8)
        let first = StoppingSimulation.estimate(policy, problems: [problem], grouping: .math, orders: 50, seed: 9)
        #expect(first == StoppingSimulation.estimate(policy, problems: [problem], grouping: .math, orders: 50, seed: 9))
    }
}
