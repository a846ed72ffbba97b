/// How solve rates `c / n` spread over problems: equal-width bins on `[0, 1]`, plus the
/// counts of problems never solved and always solved, which a bin hides.
public struct SolveRateHistogram: Sendable, Equatable, Codable {
    /// `bins + 1` edges from 0 to 1.
    public var edges: [Double]
    /// Problems per bin. Bins are half-open `[lo, hi)` except the last, `[lo, 1]`, as in
    /// `numpy.histogram(rates, bins, range=(0, 1))`, but decided exactly in integers: a rate
    /// that lies exactly on an edge (3/10 with 10 bins) always goes to the upper bin, where
    /// numpy's floating-point edges sometimes put it one bin lower.
    public var counts: [Int]
    /// Problems with no correct sample (`c = 0`).
    public var neverSolved: Int
    /// Problems whose every sample was correct (`c = n`).
    public var alwaysSolved: Int

    /// - Parameters:
    ///   - problems: per-problem counts.
    ///   - bins: number of equal-width bins, `>= 1`.
    public init(_ problems: [SampleCounts], bins: Int = 10) throws {
        guard bins >= 1 else {
            throw MetricsError.invalidParameter(name: "bins", value: "\(bins)", expected: "at least 1")
        }
        for (index, counts) in problems.enumerated() { try PassAtK.validate(counts, problem: index) }
        edges = (0...bins).map { Double($0) / Double(bins) }
        var counts = [Int](repeating: 0, count: bins)
        for problem in problems {
            // floor(c·bins / n) in integers; c = n belongs to the last bin.
            counts[min(bins - 1, problem.correct * bins / problem.samples)] += 1
        }
        self.counts = counts
        neverSolved = problems.filter { $0.correct == 0 }.count
        alwaysSolved = problems.filter { $0.correct == $0.samples }.count
    }
}
