import Foundation

/// The answer to "how many samples for X% coverage?" under a fitted law.
public enum SamplesNeeded: Sendable, Equatable, Codable {
    /// The law reaches the target at budget `k` (continuous, at least 1).
    case reachable(k: Double)
    /// The law never reaches the target; `supremum` is the highest coverage it predicts for k ≥ 1.
    case unreachable(supremum: Double)

    /// Whole samples to draw (`ceil(k)`), or `nil` when unreachable.
    public var samples: Int? {
        if case .reachable(let k) = self { return Int(min(k.rounded(.up), Double(Int.max / 2))) }
        return nil
    }
}

/// The scaling law of coverage against the number of samples k from Large Language Monkeys
/// (Eq. 2–3): `log(coverage) ≈ a·k^b`, i.e. `coverage ≈ exp(a·k^b)`, with `a < 0` and `b < 0`
/// for curves that rise toward 1.
///
/// **Fit** (as in their App. C.1): points `(k, coverage)`, usually ``KGrid/logSpaced(upTo:count:)``
/// with 40 points, are fitted by nonlinear least squares on the coverage itself (not its log),
/// the objective of `scipy.optimize.curve_fit`. The minimiser is Levenberg–Marquardt with
/// Marquardt's diagonal scaling and analytic Jacobian, started from the log-log line
/// `log(−log c) = log(−a) + b·log k` and from a few fixed exponents `b` (each with the
/// log-space least-squares `a`); the lowest residual wins.
///
/// ```swift
/// let fit = try ScalingLawFit.fit(counts)          // 40 log-spaced k up to min n
/// let needed = try fit.samplesNeeded(forCoverage: 0.9)   // .reachable(k:) or .unreachable(supremum:)
/// ```
public struct ScalingLawFit: Sendable, Equatable, Codable {
    /// Scale: `log coverage` at k = 1.
    public var a: Double
    /// Exponent of k.
    public var b: Double
    /// `1 − SS_residual / SS_total` on the coverage values fitted.
    public var rSquared: Double
    /// `sqrt(SS_residual / points)`, in coverage units.
    public var rootMeanSquareError: Double
    /// Points the fit used.
    public var pointCount: Int

    public init(a: Double, b: Double, rSquared: Double, rootMeanSquareError: Double, pointCount: Int) {
        self.a = a
        self.b = b
        self.rSquared = rSquared
        self.rootMeanSquareError = rootMeanSquareError
        self.pointCount = pointCount
    }

    /// Predicted coverage at budget k (k ≥ 1).
    public func coverage(atK k: Double) -> Double { exp(a * pow(k, b)) }

    /// The law's coverage as k → ∞: 1 when `b < 0`, `exp(a)` when `b = 0`, 0 or ∞ when `b > 0`.
    public var limit: Double {
        if b < 0 { return 1 }
        if b == 0 { return exp(a) }
        return a < 0 ? 0 : .infinity
    }

    /// The smallest k at which the law predicts coverage `target`.
    /// - Parameter target: a coverage in `(0, 1)`.
    /// - Returns: ``SamplesNeeded/reachable(k:)`` (at least 1) or, when the law's highest
    ///   value over k ≥ 1 is below the target, ``SamplesNeeded/unreachable(supremum:)``.
    public func samplesNeeded(forCoverage target: Double) throws -> SamplesNeeded {
        guard target > 0, target < 1 else {
            throw MetricsError.invalidParameter(name: "target coverage", value: "\(target)", expected: "in (0, 1)")
        }
        let atOne = exp(a)
        if atOne >= target { return .reachable(k: 1) }
        let increasing = a * b > 0
        let supremum = increasing ? limit : atOne
        guard increasing, supremum > target else { return .unreachable(supremum: supremum) }
        // exp(a·k^b) = target  ⇔  k = (log target / a)^(1/b)
        return .reachable(k: max(1, pow(log(target) / a, 1 / b)))
    }

    /// Fits the law to the mean coverage of `problems` at `pointCount` log-spaced k from 1 to
    /// the smallest n (Large Language Monkeys App. C.1: 40 points, integer k de-duplicated).
    public static func fit(_ problems: [SampleCounts], pointCount: Int = 40) throws -> ScalingLawFit {
        guard let minimumSamples = problems.map(\.samples).min() else {
            throw MetricsError.noProblems(metric: "the scaling-law fit")
        }
        let curve = try PassAtK.curve(problems, ks: KGrid.logSpaced(upTo: max(1, minimumSamples), count: pointCount))
        return try fit(curve)
    }

    /// Fits the law to a curve's mean values at its ks.
    public static func fit(_ curve: MetricCurve) throws -> ScalingLawFit {
        try fit(ks: curve.ks.map(Double.init), coverage: curve.mean)
    }

    /// Fits `coverage ≈ exp(a·k^b)` by least squares.
    /// - Parameters:
    ///   - ks: budgets, each ≥ 1.
    ///   - coverage: values in `[0, 1]`, same length; at least 3 points, not all equal.
    public static func fit(ks: [Double], coverage: [Double]) throws -> ScalingLawFit {
        guard ks.count == coverage.count else {
            throw MetricsError.mismatchedLength(field: "coverage", problem: nil, expected: ks.count, found: coverage.count)
        }
        guard ks.count >= 3 else {
            throw MetricsError.fitFailed(reason: "\(ks.count) points; need at least 3 for two parameters. Use more k values.")
        }
        for (i, k) in ks.enumerated() where !k.isFinite || k < 1 {
            throw MetricsError.invalidParameter(name: "ks[\(i)]", value: "\(k)", expected: "a finite budget ≥ 1")
        }
        for (i, c) in coverage.enumerated() where !c.isFinite || c < 0 || c > 1 {
            throw MetricsError.invalidParameter(name: "coverage[\(i)]", value: "\(c)", expected: "a value in [0, 1]")
        }
        let meanCoverage = coverage.mean
        let totalSquares = coverage.reduce(0) { $0 + ($1 - meanCoverage) * ($1 - meanCoverage) }
        guard totalSquares > 0 else {
            throw MetricsError.fitFailed(reason: "coverage is the same (\(meanCoverage)) at every k; there is no curve to fit.")
        }
        let problem = LeastSquares(logK: ks.map { log($0) }, target: coverage)

        var best: (a: Double, b: Double, residual: Double)?
        for start in problem.startingPoints() {
            let candidate = problem.levenbergMarquardt(a: start.a, b: start.b)
            if candidate.residual.isFinite, candidate.residual < (best?.residual ?? .infinity) { best = candidate }
        }
        guard let best else { throw MetricsError.fitFailed(reason: "no starting point gave a finite residual.") }
        return ScalingLawFit(
            a: best.a, b: best.b, rSquared: 1 - best.residual / totalSquares,
            rootMeanSquareError: (best.residual / Double(ks.count)).squareRoot(), pointCount: ks.count)
    }
}

/// `Σ (y_i − exp(a·e^{b·u_i}))²` with `u = log k`, and its minimisation.
private struct LeastSquares {
    let logK: [Double]
    let target: [Double]

    func residual(a: Double, b: Double) -> Double {
        var sum = 0.0
        for i in logK.indices {
            let difference = target[i] - exp(a * exp(b * logK[i]))
            sum += difference * difference
        }
        return sum.isFinite ? sum : .infinity
    }

    /// The log-log line through points with 0 < c < 1, and fixed exponents with their
    /// log-space least-squares scale `a = Σ x·log c / Σ x²` (x = k^b).
    func startingPoints() -> [(a: Double, b: Double)] {
        var starts: [(a: Double, b: Double)] = []
        let usable = logK.indices.filter { target[$0] > 0 && target[$0] < 1 }
        if usable.count >= 2 {
            let xs = usable.map { logK[$0] }, ys = usable.map { log(-log(target[$0])) }
            let mx = xs.mean, my = ys.mean
            let sxx = xs.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
            if sxx > 0 {
                let slope = zip(xs, ys).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) } / sxx
                starts.append((-exp(my - slope * mx), slope))
            }
        }
        let logTarget = target.map { log(max($0, 1e-12)) }
        for b in [-0.05, -0.2, -0.5, -1.0, -2.0, 0.2] {
            let xs = logK.map { exp(b * $0) }
            let a = zip(xs, logTarget).reduce(0) { $0 + $1.0 * $1.1 } / xs.reduce(0) { $0 + $1 * $1 }
            starts.append((a, b))
        }
        return starts.filter { $0.a.isFinite && $0.b.isFinite }
    }

    /// Levenberg–Marquardt (Marquardt 1963: damping `λ·diag(JᵀJ)`), analytic Jacobian
    /// `∂f/∂a = f·x`, `∂f/∂b = f·a·x·u` with `f = exp(a·x)`, `x = e^{b·u}`.
    func levenbergMarquardt(a startA: Double, b startB: Double) -> (a: Double, b: Double, residual: Double) {
        var a = startA, b = startB
        var current = residual(a: a, b: b)
        guard current.isFinite else { return (a, b, .infinity) }
        var damping = 1e-3
        for _ in 0..<1000 {
            var jaa = 0.0, jab = 0.0, jbb = 0.0, ga = 0.0, gb = 0.0
            for i in logK.indices {
                let x = exp(b * logK[i]), f = exp(a * x)
                let da = f * x, db = f * a * x * logK[i]
                let r = target[i] - f
                jaa += da * da; jab += da * db; jbb += db * db
                ga += da * r; gb += db * r
            }
            var improved = false
            while damping < 1e16 {
                let maa = jaa + damping * max(jaa, 1e-300), mbb = jbb + damping * max(jbb, 1e-300)
                let determinant = maa * mbb - jab * jab
                guard determinant != 0, determinant.isFinite else { damping *= 10; continue }
                let stepA = (mbb * ga - jab * gb) / determinant
                let stepB = (maa * gb - jab * ga) / determinant
                let trial = residual(a: a + stepA, b: b + stepB)
                if trial < current {
                    let converged = abs(stepA) <= 1e-13 * (abs(a) + 1e-13) && abs(stepB) <= 1e-13 * (abs(b) + 1e-13)
                        || current - trial <= 1e-16 * current
                    a += stepA; b += stepB; current = trial
                    damping = max(damping / 10, 1e-15)
                    improved = true
                    if converged { return (a, b, current) }
                    break
                }
                damping *= 10
            }
            if !improved { break }   // no step lowers the residual: at a minimum to machine precision
        }
        return (a, b, current)
    }
}
