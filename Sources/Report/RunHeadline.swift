import Foundation

/// The headline numbers of one run, derived from its curves the same way for the HTML table
/// and the terminal table. (A run's progress as the run store lists it is RunStore's `RunSummary`.)
public struct RunHeadline: Sendable, Equatable {
    /// Coverage at k = 1 (pass@1), if the coverage curve has k = 1.
    public var passAtOne: CurvePoint?
    /// Coverage at the curve's largest k.
    public var coverageAtMaxK: CurvePoint?
    /// The first maj@k curve's value at its largest k.
    public var majorityAtMaxK: CurvePoint?
    /// The first best-of-N curve's value at its largest k, and the curve's name.
    public var bestOfNAtMaxK: (name: String, point: CurvePoint)?
    /// Problems no sample solved (solve rate 0).
    public var neverSolved: Int
    /// Problems every sample solved (solve rate 1).
    public var alwaysSolved: Int

    public init(_ run: RunReport) {
        let coverage = run.curve(.coverage)?.plottable ?? []
        passAtOne = coverage.first { $0.k == 1 }
        coverageAtMaxK = coverage.last
        majorityAtMaxK = run.curve(.majority)?.plottable.last
        if let curve = run.curve(.bestOfN), let last = curve.plottable.last { bestOfNAtMaxK = (curve.name, last) }
        neverSolved = run.solveRates.filter { $0 == 0 }.count
        alwaysSolved = run.solveRates.filter { $0 == 1 }.count
    }

    public static func == (lhs: RunHeadline, rhs: RunHeadline) -> Bool {
        lhs.passAtOne == rhs.passAtOne && lhs.coverageAtMaxK == rhs.coverageAtMaxK && lhs.majorityAtMaxK == rhs.majorityAtMaxK
            && lhs.bestOfNAtMaxK?.name == rhs.bestOfNAtMaxK?.name && lhs.bestOfNAtMaxK?.point == rhs.bestOfNAtMaxK?.point
            && lhs.neverSolved == rhs.neverSolved && lhs.alwaysSolved == rhs.alwaysSolved
    }

    /// The budgets worth a table row: the powers of two present in the run's curves (1, 2, 4, …)
    /// plus the largest k; when the curves have fewer than two powers of two (e.g. log-spaced
    /// budgets), up to `limit` budgets spread evenly on a log scale.
    public static func tableKs(_ run: RunReport, limit: Int = 12) -> [Int] {
        let all = Set(run.curves.flatMap { $0.plottable.map(\.k) }).sorted()
        guard let largest = all.last else { return [] }
        let powers = all.filter { $0 & ($0 - 1) == 0 }
        if powers.count >= 2 {
            var ks = powers
            if ks.last != largest { ks.append(largest) }
            if ks.count > limit {   // e.g. k up to 2²⁰: keep every other power of two, and the ends
                ks = ks.enumerated().filter { $0.offset % 2 == 0 || $0.offset == ks.count - 1 }.map(\.element)
            }
            return ks
        }
        guard all.count > limit else { return all }
        let step = Double(all.count - 1) / Double(limit - 1)
        return Array(Set((0..<limit).map { all[Int((Double($0) * step).rounded())] })).sorted()
    }
}

extension Curve {
    /// The points a chart or table can show: k ≥ 1 and a finite value, sorted by k, one per k
    /// (the first given wins).
    public var plottable: [CurvePoint] {
        var seen = Set<Int>()
        return points.filter { $0.k >= 1 && $0.value.isFinite && seen.insert($0.k).inserted }.sorted { $0.k < $1.k }
    }
}

extension CurvePoint {
    /// Both interval ends, when both are given and finite.
    public var interval: (lower: Double, upper: Double)? {
        guard let lower, let upper, lower.isFinite, upper.isFinite else { return nil }
        return (min(lower, upper), max(lower, upper))
    }
}
