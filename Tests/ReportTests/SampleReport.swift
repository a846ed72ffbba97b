import Foundation
import Report

/// Realistic synthetic report inputs for the tests: problems with Beta-like success
/// probabilities, solve counts drawn from them, coverage by the unbiased pass@k estimator
/// (Chen et al. 2021), maj@k and best-of-N@k that level off below coverage, normal-approximation
/// intervals, and a log-log line fit of the law. Deterministic (seeded).
enum SampleReport {
    /// Two runs on 30 problems: a small model with k up to 16 and a larger one with k up to 1024.
    static func twoRuns() -> ReportInput {
        ReportInput(
            title: "GSM8K: repeated sampling, SmolLM2-135M vs Qwen2.5-0.5B",
            generatedAt: Date(timeIntervalSince1970: 1_795_000_000),
            runs: [
                run(id: "r1-smollm", label: "SmolLM2-135M · gsm8k · cot-4shot", model: "SmolLM2-135M-Instruct Q4_1",
                    samples: 16, seed: 7, skill: 0.35, flopsPerSample: 2.1e11),
                run(id: "r2-qwen", label: "Qwen2.5-0.5B · gsm8k · cot-4shot", model: "Qwen2.5-0.5B-Instruct Q8_0",
                    samples: 1024, seed: 11, skill: 0.9, flopsPerSample: 7.9e11),
            ],
            notes: ["Intervals: 95% normal approximation over problems (synthetic data for tests)."])
    }

    static func run(id: String, label: String, model: String, samples n: Int, seed: UInt64, skill: Double, flopsPerSample: Double) -> RunReport {
        var generator = SeededGenerator(seed: seed)
        let problems = 30
        // Success probability per problem: a skewed spread with some never-solvable problems.
        let probabilities = (0..<problems).map { index -> Double in
            if index % 7 == 3 { return 0 }
            let u = Double.random(in: 0..<1, using: &generator)
            return min(1, pow(u, 2.5 / skill) * 0.95)
        }
        let correct = probabilities.map { p in (0..<n).filter { _ in Double.random(in: 0..<1, using: &generator) < p }.count }
        let ks = KPowers.upTo(n)
        func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }
        func interval(_ value: Double) -> (Double, Double) {
            let half = 1.96 * (value * (1 - value) / Double(problems)).squareRoot()
            return (max(0, value - half), min(1, value + half))
        }
        let coverage = ks.map { k in mean(correct.map { passAtK(n: n, c: $0, k: k) }) }
        let majority = ks.map { k in mean(probabilities.map { p in p + ((p > 0.3 ? 1 : 0) - p) * (1 - exp(-Double(k - 1) / 6)) }) }
        let bestOfN = ks.map { k in mean(probabilities.map { p in p + ((p > 0.2 ? 0.9 : p) - p) * (1 - exp(-Double(k - 1) / 10)) }) }
        func curve(_ name: String, _ kind: CurveKind, _ values: [Double]) -> Curve {
            Curve(name: name, kind: kind, points: zip(ks, values).map { k, value in
                let (lower, upper) = interval(value)
                return CurvePoint(k: k, value: value, lower: lower, upper: upper)
            })
        }
        // The law through the log-log line log(-log c) = log(-a) + b log k over 0 < c < 1.
        let usable = zip(ks, coverage).filter { $0.1 > 0 && $0.1 < 1 }
        let xs = usable.map { log(Double($0.0)) }, ys = usable.map { log(-log($0.1)) }
        let mx = mean(xs), my = mean(ys)
        let covariance: Double = zip(xs, ys).map { (x: Double, y: Double) -> Double in (x - mx) * (y - my) }.reduce(0, +)
        let variance: Double = xs.map { (x: Double) -> Double in (x - mx) * (x - mx) }.reduce(0, +)
        let b = covariance / variance
        let a = -exp(my - b * mx)
        func needed(_ target: Double) -> CoverageTarget {
            CoverageTarget(target: target, k: exp(a) >= target ? 1 : (b < 0 ? pow(log(target) / a, 1 / b) : nil))
        }
        let completionTokens = correct.count * n * 180
        return RunReport(
            id: id, label: label, model: model, dataset: "gsm8k",
            configuration: ["temperature": "0.6", "top_p": "0.95", "template": "cot-4shot", "seed": String(seed)],
            problemCount: problems, samplesPerProblem: n,
            curves: [curve("coverage", .coverage, coverage), curve("maj@k", .majority, majority),
                     curve("best-of-N@k (mean logprob)", .bestOfN, bestOfN)],
            solveRates: correct.map { Double($0) / Double(n) },
            fit: ScalingFit(a: a, b: b, rSquared: 0.991, rootMeanSquareError: 0.012, targets: [needed(0.5), needed(0.9)]),
            cost: Cost(promptTokens: problems * 610, completionTokens: completionTokens, seconds: Double(n) * 1.7,
                       flops: flopsPerSample * Double(problems * n), dollars: nil),
            notes: ["Synthetic data for the report tests."])
    }

    /// Unbiased pass@k: `1 − C(n−c, k) / C(n, k)`, as a running product.
    static func passAtK(n: Int, c: Int, k: Int) -> Double {
        if n - c < k { return 1 }
        var failAll = 1.0
        for i in 0..<k { failAll *= Double(n - c - i) / Double(n - i) }
        return 1 - failAll
    }
}

/// 1, 2, 4, … up to n, plus n.
enum KPowers {
    static func upTo(_ n: Int) -> [Int] {
        var ks: [Int] = []
        var k = 1
        while k <= n { ks.append(k); k *= 2 }
        if ks.last != n { ks.append(n) }
        return ks
    }
}

/// SplitMix64 (Steele et al. 2014), for reproducible synthetic data.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
