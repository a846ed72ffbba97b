import Foundation

/// `log(n!)` for `0...limit`, so hypergeometric probabilities with n up to tens of
/// thousands are computed in log space without overflow (C(10000, 5000) ≈ 10^3008).
struct LogFactorials: Sendable {
    private let table: [Double]

    init(upTo limit: Int) {
        table = (0...max(limit, 1)).map { lgamma(Double($0) + 1) }
    }

    /// `log C(n, r)`; `-infinity` when `r < 0` or `r > n`.
    func logChoose(_ n: Int, _ r: Int) -> Double {
        guard r >= 0, r <= n else { return -.infinity }
        return table[n] - table[r] - table[n - r]
    }

    /// The hypergeometric probability of drawing `x` of the `marked` items when `draws`
    /// items are taken without replacement from `population`.
    func hypergeometric(_ x: Int, marked: Int, population: Int, draws: Int) -> Double {
        let log = logChoose(marked, x) + logChoose(population - marked, draws - x)
            - logChoose(population, draws)
        return log == -.infinity ? 0 : exp(log)
    }

}

/// `C(a, k) / C(total, k)` for every `a` in `0...total`: the probability that a random
/// k-subset of `total` items avoids a given `total - a` of them. Built by the product
/// `C(a-1,k)/C(a,k) = 1 - k/a`, the form human-eval's `estimate_pass_at_k` uses, so
/// it stays accurate (relative error ~ total · ε) for any size.
func subsetAvoidanceRatios(total: Int, k: Int) -> [Double] {
    var ratios = [Double](repeating: 0, count: total + 1)
    guard k <= total else { return ratios }
    ratios[total] = 1
    var a = total
    while a > k {
        ratios[a - 1] = ratios[a] * (1 - Double(k) / Double(a))
        a -= 1
    }
    return ratios
}
