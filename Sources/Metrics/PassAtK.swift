import Foundation

/// How many samples one problem got and how many of them were correct.
public struct SampleCounts: Sendable, Hashable, Codable {
    /// `n`: samples drawn for the problem.
    public var samples: Int
    /// `c`: samples judged correct.
    public var correct: Int

    public init(samples: Int, correct: Int) {
        self.samples = samples
        self.correct = correct
    }

    /// `c / n`, the problem's solve rate (= pass@1).
    public var solveRate: Double { samples > 0 ? Double(correct) / Double(samples) : 0 }
}

/// The unbiased pass@k estimator of Chen et al. (2021), "coverage" in Large Language
/// Monkeys (Eq. 1): with `n` samples of which `c` are correct,
/// `pass@k = 1 - C(n-c, k) / C(n, k)`, the probability that a random k-subset of the
/// n samples holds at least one correct sample. Averaged over problems it estimates
/// the chance that k fresh samples solve a random problem.
///
/// The ratio of binomials is evaluated as human-eval's product
/// `prod(1 - k / arange(n-c+1, n+1))` (`human_eval/evaluation.py::estimate_pass_at_k`),
/// summed in log space with `log1p`/`expm1`, so n = 10,000 or more neither overflows nor
/// loses the small values of pass@k near k = 1.
///
/// **Problems with different n.** pass@k of one problem is defined only for `k <= n`.
/// The average over problems is reported only for `k <= min n` (``mean(_:k:)`` throws
/// otherwise): dropping the problems with too few samples would change the population
/// the average describes and bias the curve upward or downward without warning.
///
/// ```swift
/// let p = try PassAtK.estimate(n: 200, correct: 3, k: 10)   // 0.1433…
/// let curve = try PassAtK.curve([SampleCounts(samples: 100, correct: 4)], ks: [1, 10, 100])
/// ```
public enum PassAtK {
    /// pass@k of one problem.
    /// - Parameters:
    ///   - n: samples drawn, `n >= 1`.
    ///   - correct: correct samples, `0...n`.
    ///   - k: budget, `1...n`.
    /// - Returns: a probability in `[0, 1]`; `c / n` at `k = 1`, 0 when `c = 0`, 1 when `n - c < k`.
    /// - Throws: ``MetricsError/invalidCounts(problem:samples:correct:)`` or
    ///   ``MetricsError/kOutOfRange(k:problem:samples:)``.
    public static func estimate(n: Int, correct: Int, k: Int) throws -> Double {
        try validate(SampleCounts(samples: n, correct: correct), problem: nil)
        guard k >= 1, k <= n else { throw MetricsError.kOutOfRange(k: k, problem: nil, samples: n) }
        if correct == 0 { return 0 }
        if n - correct < k { return 1 }
        // log C(n-c,k)/C(n,k) has two exact product forms; take the one with fewer terms.
        var logRatio = 0.0
        if correct <= k {
            for i in (n - correct + 1)...n { logRatio += log1p(-Double(k) / Double(i)) }   // human-eval's
        } else {
            for j in 0..<k { logRatio += log1p(-Double(correct) / Double(n - j)) }
        }
        return -expm1(logRatio)
    }

    /// pass@k of one problem for every `k` in `1...maxK` (index `k - 1`), in `O(maxK)`.
    /// Uses `C(n-c,k)/C(n,k) = C(n-c,k-1)/C(n,k-1) · (1 - c/(n-k+1))`.
    /// - Parameter maxK: largest k wanted, `1...n`; defaults to n.
    public static func allK(n: Int, correct: Int, upTo maxK: Int? = nil) throws -> [Double] {
        try validate(SampleCounts(samples: n, correct: correct), problem: nil)
        let last = maxK ?? n
        guard last >= 1, last <= n else { throw MetricsError.kOutOfRange(k: last, problem: nil, samples: n) }
        var values = [Double](repeating: 1, count: last)
        if correct == 0 { return [Double](repeating: 0, count: last) }
        var logRatio = 0.0
        for k in 1...last {
            if k > n - correct { break }   // every k-subset holds a correct sample: 1 from here on
            logRatio += log1p(-Double(correct) / Double(n - k + 1))
            values[k - 1] = -expm1(logRatio)
        }
        return values
    }

    /// pass@k averaged over problems.
    /// - Throws: ``MetricsError/kOutOfRange(k:problem:samples:)`` naming the first problem with
    ///   fewer than k samples; ``MetricsError/noProblems(metric:)`` for an empty list.
    public static func mean(_ problems: [SampleCounts], k: Int) throws -> Double {
        try curve(problems, ks: [k]).mean[0]
    }

    /// The coverage curve: pass@k per problem and averaged, for each k in `ks`.
    /// - Parameters:
    ///   - problems: per-problem counts.
    ///   - ks: budgets to report, each in `1...min n`; `nil` means every k in `1...min n`.
    ///     ``KGrid`` builds log-spaced or power-of-two lists.
    /// - Returns: a ``MetricCurve`` whose `perProblem[p][i]` is pass@`ks[i]` of problem p.
    public static func curve(_ problems: [SampleCounts], ks: [Int]? = nil) throws -> MetricCurve {
        guard !problems.isEmpty else { throw MetricsError.noProblems(metric: "pass@k") }
        for (index, counts) in problems.enumerated() { try validate(counts, problem: index) }
        let budgets = try KGrid.budgets(ks, sampleCounts: problems.map(\.samples))
        let maxK = budgets.max()!
        let perProblem = try problems.map { counts in
            let all = try allK(n: counts.samples, correct: counts.correct, upTo: maxK)
            return budgets.map { all[$0 - 1] }
        }
        return try MetricCurve(ks: budgets, perProblem: perProblem)
    }

    /// Per-problem solve rates `c / n` (pass@1), in the order given.
    public static func solveRates(_ problems: [SampleCounts]) throws -> [Double] {
        for (index, counts) in problems.enumerated() { try validate(counts, problem: index) }
        return problems.map(\.solveRate)
    }

    static func validate(_ counts: SampleCounts, problem: Int?) throws {
        guard counts.samples >= 1, counts.correct >= 0, counts.correct <= counts.samples else {
            throw MetricsError.invalidCounts(problem: problem, samples: counts.samples, correct: counts.correct)
        }
    }
}
