import Foundation
import Testing
import Metrics

struct VoteEstimatorTests {
    let fixture: SelectionFixture

    init() throws { fixture = try Fixtures.load("selection.json") }

    @Test func exactValuesMatchEnumerationOfAllSubsets() throws {
        // Python enumerates every k-subset and applies the literal rules (ties uniform,
        // the winning answer represented by a uniform pick among its samples in the subset).
        #expect(fixture.small.count >= 20)
        for problem in fixture.small {
            let samples = problem.samples.map(\.outcome)
            let accepted = problem.samples.map { $0.accepted ?? false }
            for k in 1...samples.count {
                let majority = try VoteEstimator.majorityVoteExact(samples, k: k)
                let best = try VoteEstimator.bestOfNExact(samples, k: k)
                let verifier = try VoteEstimator.bestOfNByVerifierExact(samples, accepted: accepted, k: k)
                #expect(isClose(majority, problem.expected.majorityVote[k - 1]), "\(problem.name) maj@\(k): \(majority)")
                #expect(isClose(best, problem.expected.bestOfN[k - 1]), "\(problem.name) BoN@\(k): \(best)")
                #expect(isClose(verifier, problem.expected.bestOfNByVerifier[k - 1]), "\(problem.name) verifier@\(k)")
            }
        }
    }

    @Test func exactValuesMatchCountVectorEnumeration() throws {
        // n = 30…60: Python sums over every vector of per-class counts with exact rationals.
        for problem in fixture.moderate {
            let samples = problem.samples.map(\.outcome)
            let majority = try VoteEstimator.curve([samples], method: .majorityVote, ks: problem.ks)
            let best = try VoteEstimator.curve([samples], method: .bestOfN, ks: problem.ks)
            for i in problem.ks.indices {
                #expect(isClose(majority.mean[i], problem.majorityVote[i], relative: 1e-10, absolute: 1e-12),
                        "\(problem.name) maj@\(problem.ks[i]): \(majority.mean[i]) vs \(problem.majorityVote[i])")
                #expect(isClose(best.mean[i], problem.bestOfN[i], relative: 1e-10, absolute: 1e-12),
                        "\(problem.name) BoN@\(problem.ks[i])")
            }
        }
    }

    @Test func oracleVerifierGivesPassAtK() throws {
        let problems = fixture.small.map { ($0.name, $0.samples) } + fixture.moderate.map { ($0.name, $0.samples) }
        for (name, rows) in problems {
            let samples = rows.map(\.outcome)
            let correct = samples.filter(\.isCorrect).count
            for k in 1...samples.count {
                let viaVerifier = try VoteEstimator.bestOfNByVerifierExact(samples, accepted: samples.map(\.isCorrect), k: k)
                let passAtK = try PassAtK.estimate(n: samples.count, correct: correct, k: k)
                #expect(isClose(viaVerifier, passAtK, relative: 1e-10, absolute: 1e-12), "\(name) k=\(k)")
            }
        }
    }

    @Test func monteCarloConvergesToEnumeratedValues() throws {
        // 4,000 random subsets: the mean must lie within 5 standard errors (+1e-9) of the exact value.
        for problem in fixture.small where problem.samples.count >= 4 {
            let samples = problem.samples.map(\.outcome)
            for k in [1, samples.count / 2, samples.count - 1] {
                let expected: [(SelectionMethod, Double)] = [
                    (.majorityVote, problem.expected.majorityVote[k - 1]),
                    (.bestOfN, problem.expected.bestOfN[k - 1]),
                    (.weightedMajorityVote, problem.expected.weightedMajorityVote[k - 1]),
                ]
                for (method, exact) in expected {
                    let estimate = try VoteEstimator.monteCarlo(samples, method: method, k: k, subsets: 4000, seed: 17)
                    #expect(abs(estimate.mean - exact) <= 5 * estimate.standardError + 1e-9,
                            "\(problem.name) \(method)@\(k): MC \(estimate.mean) ± \(estimate.standardError) vs exact \(exact)")
                }
            }
        }
    }

    @Test func exactMajorityAtScaleAgreesWithMonteCarlo() throws {
        // n = 3,000 with a realistic long tail: the exact programme must run and agree with
        // 3,000 random subsets within 5 standard errors.
        let samples = Self.longTailProblem(size: 3000)
        for k in [1, 7, 40, 300, 2500] {
            let exact = try VoteEstimator.majorityVoteExact(samples, k: k)
            let estimate = try VoteEstimator.monteCarlo(samples, method: .majorityVote, k: k, subsets: 3000, seed: 3)
            #expect(abs(estimate.mean - exact) <= 5 * estimate.standardError + 1e-9,
                    "maj@\(k): exact \(exact) vs MC \(estimate.mean) ± \(estimate.standardError)")
            let bestExact = try VoteEstimator.bestOfNExact(samples, k: k)
            let best = try VoteEstimator.monteCarlo(samples, method: .bestOfN, k: k, subsets: 3000, seed: 3)
            #expect(abs(best.mean - bestExact) <= 5 * best.standardError + 1e-9, "BoN@\(k)")
        }
    }

    @Test func monteCarloIsDeterministicForASeed() throws {
        let problems = fixture.moderate.map { $0.samples.map(\.outcome) }
        let first = try VoteEstimator.curve(problems, method: .weightedMajorityVote, ks: [1, 5, 20], estimation: .monteCarlo(subsets: 100, seed: 9))
        let again = try VoteEstimator.curve(problems, method: .weightedMajorityVote, ks: [20, 5], estimation: .monteCarlo(subsets: 100, seed: 9))
        let other = try VoteEstimator.curve(problems, method: .weightedMajorityVote, ks: [1, 5, 20], estimation: .monteCarlo(subsets: 100, seed: 10))
        #expect(first.perProblem.map { [$0[2], $0[1]] } == again.perProblem)   // independent of which ks are asked
        #expect(first.perProblem != other.perProblem)
        #expect(first.roundStandardDeviation?.count == 3)
    }

    @Test func rejectsBadInput() throws {
        let samples = [SampleOutcome(answer: "a", isCorrect: true, score: nil), SampleOutcome(answer: nil, isCorrect: false, score: 1)]
        #expect(throws: MetricsError.missingScore(problem: nil, sample: 0)) { try VoteEstimator.bestOfNExact(samples, k: 1) }
        #expect(throws: MetricsError.noExactForm(method: "Weighted majority vote")) {
            try VoteEstimator.estimate(samples, method: .weightedMajorityVote, k: 1)
        }
        #expect(throws: MetricsError.kOutOfRange(k: 3, problem: nil, samples: 2)) { try VoteEstimator.majorityVoteExact(samples, k: 3) }
        #expect(throws: MetricsError.nonFinite(field: "score", problem: nil, index: 0)) {
            try VoteEstimator.bestOfNExact([SampleOutcome(answer: 1, isCorrect: true, score: .nan)], k: 1)
        }
        #expect(throws: MetricsError.mismatchedLength(field: "accepted", problem: nil, expected: 2, found: 1)) {
            try VoteEstimator.bestOfNByVerifierExact(samples, accepted: [true], k: 1)
        }
        let uneven = [Array(samples), Array(repeating: SampleOutcome(answer: "a", isCorrect: true, score: 0), count: 5)]
        #expect(throws: MetricsError.kOutOfRange(k: 3, problem: 0, samples: 2)) {
            try VoteEstimator.curve(uneven, method: .majorityVote, ks: [1, 3])
        }
        // 100 equal classes of 100: the exact programme would be far too slow, so it refuses.
        let flat = (0..<10_000).map { SampleOutcome(answer: .integer($0 % 100), isCorrect: $0 % 100 == 0) }
        let error = #expect(throws: MetricsError.self) { try VoteEstimator.majorityVoteExact(flat, k: 5000) }
        guard case .exactComputationTooLarge(_, 5000, let operations, let budget) = error else {
            Issue.record("expected exactComputationTooLarge, got \(String(describing: error))"); return
        }
        #expect(operations > budget)
    }

    /// Correct answer ~30%, one strong distractor ~20%, a tail of rarer wrong answers, 5% unparsed.
    static func longTailProblem(size: Int) -> [SampleOutcome] {
        var state: UInt64 = 12345
        func uniform() -> Double {   // a plain LCG so the test does not depend on the library's RNG
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        return (0..<size).map { _ in
            let u = uniform()
            if u < 0.05 { return SampleOutcome(answer: nil, isCorrect: false, score: uniform()) }
            if u < 0.35 { return SampleOutcome(answer: "right", isCorrect: true, score: uniform()) }
            if u < 0.55 { return SampleOutcome(answer: "distractor", isCorrect: false, score: uniform()) }
            let tail = Int(-log(max(uniform(), 1e-12)) * 15)
            return SampleOutcome(answer: .integer(tail), isCorrect: false, score: uniform() * 0.9)
        }
    }
}
