import Foundation
import Synchronization

/// The probability that the answer leading a vote is the most likely answer of the model,
/// under the posteriors of Adaptive-Consistency (Aggarwal et al., EMNLP 2023, §2).
///
/// The answers a model gives a question are draws from a categorical distribution `p` over
/// answers. With a uniform prior and observed class counts `v₁ ≥ v₂ ≥ … ≥ v_m`, the posterior
/// of `p` is `Dirichlet(v₁ + 1, …, v_m + 1)` and the quantity the stopping rule thresholds is
///
///     P(p₁ > max_{j > 1} p_j | v)
///
/// For two answers (`m = 2`) the posterior of `p₁` is `Beta(v₁ + 1, v₂ + 1)` and the quantity is
/// `P(p₁ > 1/2) = ∫_{1/2}^{1} x^{v₁} (1 − x)^{v₂} dx / B(v₁ + 1, v₂ + 1)`, the paper's Beta
/// criterion (its public code integrates exactly this ratio, with the second class's count 0
/// when only one answer was seen). For more answers the paper writes the same probability under
/// the Dirichlet; this file evaluates it exactly as a one-dimensional integral, using that a
/// Dirichlet vector is independent Gamma variables divided by their sum:
///
///     P(G₁ > max_{j > 1} G_j) = ∫₀^∞ g_{α₁}(x) ∏_{j > 1} F_{α_j}(x) dx,   G_j ~ Gamma(α_j = v_j + 1, 1)
///
/// (`g` the Gamma density, `F` its distribution function). With two classes this is the Beta
/// criterion again, so one formula serves both. Counts may be real (confidence-weighted
/// evidence, `ConfidenceStop`): the Gamma functions are then the regularized incomplete gamma.
public enum LeaderPosterior {
    /// `P(p₁ > max_{j>1} p_j)` for pseudo-counts `counts` (any order; the largest is the leader).
    /// Fewer than two classes are padded with a class of count 0, as the paper's code does.
    public static func probabilityLeaderIsBest(_ counts: [Double]) -> Double {
        precondition(counts.allSatisfy { $0 >= 0 && $0.isFinite }, "LeaderPosterior: counts must be finite and non-negative: \(counts)")
        var sorted = counts.sorted(by: >)
        while sorted.count < 2 { sorted.append(0) }
        if let known = cache.withLock({ $0[sorted] }) { return known }
        let probability: Double
        if sorted.count == 2 {
            probability = betaTailAboveHalf(leader: sorted[0], second: sorted[1])
        } else {
            probability = dirichletLeaderProbability(sorted)
        }
        cache.withLock { cache in
            if cache.count > 200_000 { cache.removeAll() }
            cache[sorted] = probability
        }
        return probability
    }

    /// Offline estimates ask the same count vectors many times (every order of every problem).
    private static let cache = Mutex<[[Double]: Double]>([:])

    /// The Dirichlet case, `counts` sorted in decreasing order, at least three of them.
    static func dirichletLeaderProbability(_ sorted: [Double]) -> Double {
        let alphas = sorted.map { $0 + 1 }
        let leader = alphas[0]
        // The integrand is negligible outside the interval that holds all but ~1e-15 of the
        // leader's Gamma density.
        let spread = 12 * sqrt(leader)
        return integrate(from: max(0, leader - spread - 10), to: leader + spread + 40, intervals: 2000) { x in
            gammaDensity(x, shape: leader) * alphas.dropFirst().reduce(1.0) { $0 * regularizedLowerGamma($1, x) }
        }
    }

    /// `P(X > 1/2)` for `X ~ Beta(leader + 1, second + 1)`: the two-answer criterion.
    public static func betaTailAboveHalf(leader: Double, second: Double) -> Double {
        1 - regularizedIncompleteBeta(0.5, leader + 1, second + 1)
    }

    /// `I_x(a, b)`, the Beta(a, b) distribution function, by the continued fraction of
    /// Numerical Recipes §6.4 (modified Lentz), on the side of the mean where it converges fast.
    static func regularizedIncompleteBeta(_ x: Double, _ a: Double, _ b: Double) -> Double {
        guard x > 0 else { return 0 }
        guard x < 1 else { return 1 }
        if x > (a + 1) / (a + b + 2) { return 1 - regularizedIncompleteBeta(1 - x, b, a) }
        let front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x)) / a
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        func step(_ numerator: Double) {
            d = 1 + numerator * d
            if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
        }
        for m in 1..<10_000 {
            let m = Double(m)
            step(m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)))
            step(-(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)))
            if abs(d * c - 1) < 1e-15 { break }
        }
        return min(1, max(0, front * h))
    }

    // MARK: - Numerics

    /// Gamma(shape, 1) density at x.
    static func gammaDensity(_ x: Double, shape: Double) -> Double {
        guard x > 0 else { return shape == 1 ? 1 : 0 }
        return exp((shape - 1) * log(x) - x - lgamma(shape))
    }

    /// P(shape, x) = γ(shape, x) / Γ(shape): the Gamma(shape, 1) distribution function.
    /// Series for x < shape + 1, continued fraction otherwise (the standard split, which keeps
    /// both converging quickly).
    static func regularizedLowerGamma(_ shape: Double, _ x: Double) -> Double {
        guard x > 0 else { return 0 }
        let logPrefix = shape * log(x) - x - lgamma(shape)
        if x < shape + 1 {
            var term = 1 / shape, sum = term, a = shape
            for _ in 0..<10_000 {
                a += 1
                term *= x / a
                sum += term
                if abs(term) < abs(sum) * 1e-16 { break }
            }
            return min(1, sum * exp(logPrefix))
        }
        // Lentz's continued fraction for the upper tail Q.
        let tiny = 1e-300
        var b = x + 1 - shape, c = 1 / tiny, d = 1 / b, h = d
        for i in 1..<10_000 {
            let an = -Double(i) * (Double(i) - shape)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return max(0, 1 - exp(logPrefix) * h)
    }

    /// Composite Simpson's rule with an even number of intervals.
    static func integrate(from lower: Double, to upper: Double, intervals: Int = 2000, _ f: (Double) -> Double) -> Double {
        let n = intervals + intervals % 2
        let h = (upper - lower) / Double(n)
        var sum = f(lower) + f(upper)
        for i in 1..<n { sum += (i % 2 == 1 ? 4 : 2) * f(lower + Double(i) * h) }
        return min(1, max(0, sum * h / 3))
    }
}
