import Metrics
import Testing

/// The tie rate of votes over random k-subsets, and the subsets themselves.
struct TieRateTests {
    /// Every k-subset of `0..<n` (unordered).
    static func subsets(_ n: Int, _ k: Int, from start: Int = 0) -> [[Int]] {
        guard k > 0 else { return [[]] }
        guard start < n else { return [] }
        return (start..<n).flatMap { first in subsets(n, k - 1, from: first + 1).map { [first] + $0 } }
    }

    @Test func tieRateIsWithinItsErrorOfEnumeration() throws {
        // Answers a a b b c - (no answer) d: ties are common at small k.
        let answers: [AnswerKey?] = ["a", "a", "b", "b", "c", nil, "d"]
        let samples = answers.map { SampleOutcome(answer: $0, isCorrect: $0 == "a", score: 1) }
        for k in 1...7 {
            let all = Self.subsets(7, k)
            let tied = all.filter { subset in
                var counts: [AnswerKey: Int] = [:]
                for i in subset { if let a = answers[i] { counts[a, default: 0] += 1 } }
                guard let top = counts.values.max() else { return false }
                return counts.values.filter { $0 == top }.count > 1
            }.count
            let share = Double(tied) / Double(all.count)
            let subsetCount = 400
            let rate = try VoteEstimator.tieRate(samples, k: k, subsets: subsetCount, seed: 5)
            #expect(abs(rate - share) <= 4 * (share * (1 - share) / Double(subsetCount)).squareRoot() + 1e-9,
                    "k = \(k): \(rate) vs \(share)")
            // With equal weights the weighted vote ties exactly when the plain vote does.
            #expect(try VoteEstimator.tieRate(samples, method: .weightedMajorityVote, k: k, subsets: subsetCount, seed: 5) == rate)
        }
        #expect(throws: MetricsError.self) { try VoteEstimator.tieRate(samples, method: .bestOfN, k: 2) }
        #expect(throws: MetricsError.self) { try VoteEstimator.tieRate(samples, k: 8) }
    }

    @Test func randomSubsetsAreDistinctReproducibleAndUniform() {
        let a = RandomSubset.indices(n: 10, k: 4, seed: 1, streams: [3, 4, 0])
        #expect(a == RandomSubset.indices(n: 10, k: 4, seed: 1, streams: [3, 4, 0]))
        #expect(Set(a).count == 4 && a.allSatisfy { (0..<10).contains($0) })
        #expect(RandomSubset.indices(n: 3, k: 5, seed: 0, streams: []).sorted() == [0, 1, 2])
        // Each index is in a 4-of-10 subset with probability 0.4: over 2,000 draws the counts
        // stay within 5 standard deviations (sd = √(2000·0.4·0.6) ≈ 21.9).
        var counts = [Int](repeating: 0, count: 10)
        for draw in 0..<2000 {
            for i in RandomSubset.indices(n: 10, k: 4, seed: 9, streams: [draw]) { counts[i] += 1 }
        }
        #expect(counts.allSatisfy { abs($0 - 800) < 110 }, "\(counts)")
    }
}
