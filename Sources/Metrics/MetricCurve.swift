import Foundation

/// A metric as a function of the sample budget k: per-problem values and their mean.
///
/// Every estimator in this module (pass@k, maj@k, best-of-N@k) returns one, so
/// ``Bootstrap`` and ``ScalingLawFit`` treat them alike.
public struct MetricCurve: Sendable, Equatable, Codable {
    /// The budgets, in the order the caller asked for.
    public var ks: [Int]
    /// `perProblem[p][i]`: the metric of problem `p` at budget `ks[i]`, in `[0, 1]`.
    public var perProblem: [[Double]]
    /// `mean[i]`: the average of `perProblem[p][i]` over problems.
    public var mean: [Double]
    /// Monte Carlo curves only: for each k, the standard deviation over rounds of the
    /// problem-averaged value, where round `r` uses the r-th random subset of every problem
    /// (Large Language Monkeys' "mean ± std over 100 subsets"). `nil` for exact curves.
    public var roundStandardDeviation: [Double]?

    /// Builds a curve and its mean.
    /// - Throws: ``MetricsError/mismatchedLength(field:problem:expected:found:)`` when a row of
    ///   `perProblem` (or `roundStandardDeviation`) does not have `ks.count` values.
    public init(ks: [Int], perProblem: [[Double]], roundStandardDeviation: [Double]? = nil) throws {
        if let bad = perProblem.firstIndex(where: { $0.count != ks.count }) {
            throw MetricsError.mismatchedLength(field: "perProblem", problem: bad, expected: ks.count, found: perProblem[bad].count)
        }
        if let spread = roundStandardDeviation, spread.count != ks.count {
            throw MetricsError.mismatchedLength(field: "roundStandardDeviation", problem: nil, expected: ks.count, found: spread.count)
        }
        self.ks = ks
        self.perProblem = perProblem
        self.roundStandardDeviation = roundStandardDeviation
        let problemCount = Double(max(perProblem.count, 1))
        mean = ks.indices.map { i in perProblem.reduce(0) { $0 + $1[i] } / problemCount }
    }

    /// The mean at budget `k`, or `nil` if the curve has no such k.
    public func mean(atK k: Int) -> Double? {
        ks.firstIndex(of: k).map { mean[$0] }
    }
}

/// Lists of sample budgets k for curves.
public enum KGrid {
    /// `1...maxK`.
    public static func all(upTo maxK: Int) -> [Int] {
        maxK >= 1 ? Array(1...maxK) : []
    }

    /// `count` points evenly spaced on a log scale from 1 to `maxK`, rounded to the nearest
    /// integer (ties to even) and de-duplicated, as Large Language Monkeys App. C.1 picks the
    /// points for its scaling-law fit (40 points up to 10,000). Same as numpy's
    /// `np.unique(np.rint(np.logspace(0, np.log10(maxK), count)))`.
    public static func logSpaced(upTo maxK: Int, count: Int = 40) -> [Int] {
        guard maxK >= 1, count >= 1 else { return [] }
        guard count > 1, maxK > 1 else { return [1] }
        let top = log10(Double(maxK))
        var result: [Int] = []
        for i in 0..<count {
            let exponent = top * Double(i) / Double(count - 1)
            let k = min(maxK, max(1, Int(pow(10, exponent).rounded(.toNearestOrEven))))
            if result.last != k { result.append(k) }
        }
        return result
    }

    /// `1, 2, 4, …` up to `maxK`, plus `maxK` itself if it is not a power of two.
    public static func powersOfTwo(upTo maxK: Int) -> [Int] {
        guard maxK >= 1 else { return [] }
        var result: [Int] = []
        var k = 1
        while k <= maxK { result.append(k); k *= 2 }
        if result.last != maxK { result.append(maxK) }
        return result
    }

    /// The budgets a curve over problems with these sample counts reports: `ks`, or every k up
    /// to the smallest n. Every k must be in `1...min n` (why: see ``PassAtK``).
    static func budgets(_ ks: [Int]?, sampleCounts: [Int]) throws -> [Int] {
        let minimumSamples = sampleCounts.min() ?? 0
        let budgets = ks ?? all(upTo: minimumSamples)
        guard !budgets.isEmpty else {
            throw MetricsError.invalidParameter(name: "ks", value: "[]", expected: "at least one k")
        }
        for k in budgets where k < 1 || k > minimumSamples {
            let offender = sampleCounts.firstIndex { k > $0 }
            throw MetricsError.kOutOfRange(k: k, problem: offender, samples: offender.map { sampleCounts[$0] } ?? minimumSamples)
        }
        return budgets
    }
}
