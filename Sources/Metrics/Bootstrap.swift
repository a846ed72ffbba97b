import ScalingCore

/// A point estimate with a confidence interval.
public struct ConfidenceInterval: Sendable, Equatable, Codable {
    /// The statistic on the original problems.
    public var estimate: Double
    public var lower: Double
    public var upper: Double
    /// The nominal coverage, e.g. 0.95.
    public var confidence: Double

    public init(estimate: Double, lower: Double, upper: Double, confidence: Double) {
        self.estimate = estimate
        self.lower = lower
        self.upper = upper
        self.confidence = confidence
    }

    public var width: Double { upper - lower }
}

/// Percentile bootstrap over problems: resample the problems with replacement, recompute the
/// statistic, and take the `(1 - confidence)/2` and `(1 + confidence)/2` percentiles of the
/// resampled values (linear interpolation between order statistics, numpy's default).
///
/// Problems are the unit of resampling because they are the independent draws; the samples
/// of one problem are not. A whole curve is resampled jointly (the same problems for every
/// k), so its intervals are consistent across k. The same seed gives the same intervals.
///
/// ```swift
/// let curve = try PassAtK.curve(counts, ks: KGrid.logSpaced(upTo: 100))
/// let intervals = try Bootstrap(resamples: 1000, confidence: 0.95, seed: 7).intervals(curve)
/// ```
public struct Bootstrap: Sendable, Hashable {
    public var resamples: Int
    public var confidence: Double
    public var seed: UInt64

    public init(resamples: Int = 1000, confidence: Double = 0.95, seed: UInt64 = 0) {
        self.resamples = resamples
        self.confidence = confidence
        self.seed = seed
    }

    /// Interval for the mean of per-problem values (e.g. pass@k of each problem at one k).
    public func interval(_ perProblem: [Double]) throws -> ConfidenceInterval {
        try intervals(rows: perProblem.map { [$0] })[0]
    }

    /// Intervals for every k of a curve, from joint resamples of its problems.
    public func intervals(_ curve: MetricCurve) throws -> [ConfidenceInterval] {
        try intervals(rows: curve.perProblem)
    }

    /// Interval for any statistic of the problems (a fitted parameter, samples needed for a
    /// coverage): `statistic` receives the indices of one resample (with repeats) and returns
    /// its value; the estimate is `statistic(0..<problemCount)`.
    public func interval(problemCount: Int, statistic: ([Int]) throws -> Double) throws -> ConfidenceInterval {
        try validate(problemCount: problemCount)
        var generator = SplitMix64(seed: seed)
        var values: [Double] = []
        values.reserveCapacity(resamples)
        for _ in 0..<resamples {
            let indices = (0..<problemCount).map { _ in Int.random(in: 0..<problemCount, using: &generator) }
            values.append(try statistic(indices))
        }
        return try makeInterval(estimate: statistic(Array(0..<problemCount)), values: &values)
    }

    private func intervals(rows: [[Double]]) throws -> [ConfidenceInterval] {
        try validate(problemCount: rows.count)
        for (p, row) in rows.enumerated() {
            if let bad = row.firstIndex(where: { !$0.isFinite }) {
                throw MetricsError.nonFinite(field: "value", problem: p, index: bad)
            }
        }
        let problemCount = rows.count, width = rows[0].count
        var generator = SplitMix64(seed: seed)
        var resampled = [[Double]](repeating: [], count: width)   // resampled[i][b]
        for i in 0..<width { resampled[i].reserveCapacity(resamples) }
        var sums = [Double](repeating: 0, count: width)
        for _ in 0..<resamples {
            for i in 0..<width { sums[i] = 0 }
            for _ in 0..<problemCount {
                let row = rows[Int.random(in: 0..<problemCount, using: &generator)]
                for i in 0..<width { sums[i] += row[i] }
            }
            for i in 0..<width { resampled[i].append(sums[i] / Double(problemCount)) }
        }
        return try (0..<width).map { i in
            let estimate = rows.reduce(0) { $0 + $1[i] } / Double(problemCount)
            return try makeInterval(estimate: estimate, values: &resampled[i])
        }
    }

    private func validate(problemCount: Int) throws {
        guard problemCount >= 1 else { throw MetricsError.noProblems(metric: "a bootstrap interval") }
        guard resamples >= 2 else {
            throw MetricsError.invalidParameter(name: "resamples", value: "\(resamples)", expected: "at least 2 (1000 is usual)")
        }
        guard confidence > 0, confidence < 1 else {
            throw MetricsError.invalidParameter(name: "confidence", value: "\(confidence)", expected: "in (0, 1), e.g. 0.95")
        }
    }

    private func makeInterval(estimate: Double, values: inout [Double]) throws -> ConfidenceInterval {
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw MetricsError.nonFinite(field: "bootstrap statistic", problem: nil, index: bad)
        }
        values.sort()
        let tail = (1 - confidence) / 2
        return ConfidenceInterval(
            estimate: estimate, lower: Self.percentile(sorted: values, tail),
            upper: Self.percentile(sorted: values, 1 - tail), confidence: confidence)
    }

    /// numpy's default (`method="linear"`): position `q·(n−1)` between order statistics.
    static func percentile(sorted values: [Double], _ q: Double) -> Double {
        let position = q * Double(values.count - 1)
        let below = Int(position.rounded(.down))
        let above = min(below + 1, values.count - 1)
        let fraction = position - Double(below)
        return values[below] + fraction * (values[above] - values[below])
    }
}
