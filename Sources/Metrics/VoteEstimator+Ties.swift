import ScalingCore

extension VoteEstimator {
    /// How often a vote over a random k-subset is tied: the fraction of `subsets` random
    /// k-subsets (drawn as ``monteCarlo(_:method:k:subsets:seed:)`` draws them, so the same
    /// seed sees the same subsets) in which more than one answer class has the top vote.
    ///
    /// Reported beside maj@k so a reader sees how much the tie rule matters: the estimators
    /// count a tie as the mean correctness of the tied answers (a uniform tie-break).
    /// - Parameters:
    ///   - method: `.majorityVote` (one vote per sample) or `.weightedMajorityVote` (score
    ///     sums; every sample needs a score). Best-of-N ties are ties of equal scores, not
    ///     of classes, and are not counted here.
    /// - Returns: a fraction in `[0, 1]`; 0 when no subset has an answer.
    public static func tieRate(
        _ samples: [SampleOutcome], method: SelectionMethod = .majorityVote, k: Int, subsets: Int = 200, seed: UInt64 = 0
    ) throws -> Double {
        guard method != .bestOfN else {
            throw MetricsError.invalidParameter(name: "method", value: method.rawValue, expected: "majorityVote or weightedMajorityVote")
        }
        guard subsets >= 1 else {
            throw MetricsError.invalidParameter(name: "subsets", value: "\(subsets)", expected: "at least 1")
        }
        let table = try AnswerTable(samples, problem: nil)
        try table.checkK(k, problem: nil)
        let weights: [Double] = method == .majorityVote ? [] : try table.requireScores(problem: nil)
        var generator = SplitMix64(seed: seed, streams: 0, k)
        var order = Array(0..<table.count)
        var votes = [Double](repeating: 0, count: table.classSizes.count)
        var ties = 0
        for _ in 0..<subsets {
            for position in 0..<k {
                order.swapAt(position, Int.random(in: position..<table.count, using: &generator))
            }
            var touched: [Int] = []
            for position in 0..<k {
                let c = table.classOfSample[order[position]]
                guard c >= 0 else { continue }
                if votes[c] == 0 && !touched.contains(c) { touched.append(c) }
                votes[c] += method == .majorityVote ? 1 : weights[order[position]]
            }
            if let top = touched.map({ votes[$0] }).max(), touched.filter({ votes[$0] == top }).count > 1 { ties += 1 }
            for c in touched { votes[c] = 0 }
        }
        return Double(ties) / Double(subsets)
    }
}

/// Seeded random k-subsets, drawn as the Monte Carlo estimators draw them.
public enum RandomSubset {
    /// `k` distinct indices from `0..<n` (a partial Fisher–Yates shuffle), in draw order; the
    /// same seed and streams give the same subset, whatever else is drawn.
    /// - Parameter streams: what the subset is for (problem, k, draw), mixed into the seed.
    public static func indices(n: Int, k: Int, seed: UInt64, streams: [Int]) -> [Int] {
        var generator = SplitMix64(seed: seed, streamList: streams)
        var order = Array(0..<n)
        let size = min(max(k, 0), n)
        for position in 0..<size {
            order.swapAt(position, Int.random(in: position..<n, using: &generator))
        }
        return Array(order.prefix(size))
    }
}
