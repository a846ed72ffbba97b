// Metrics: unbiased pass@k, maj@k and best-of-N@k estimators, bootstrap intervals,
// the scaling-law fit of coverage against k, and compute cost. Pure Swift + Foundation.

import Foundation

/// Everything that can go wrong when computing a metric. Every case names the
/// offending input (problem index, sample index, field) and says what to do.
public enum MetricsError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// A metric over problems was asked for with no problems at all.
    case noProblems(metric: String)
    /// A problem's counts are impossible (negative, or more correct than samples, or no samples).
    case invalidCounts(problem: Int?, samples: Int, correct: Int)
    /// `k` is outside `1...n` for a problem with `n` samples.
    case kOutOfRange(k: Int, problem: Int?, samples: Int)
    /// A per-sample or per-problem list has the wrong length.
    case mismatchedLength(field: String, problem: Int?, expected: Int, found: Int)
    /// A best-of-N or weighted vote needs a score on every sample.
    case missingScore(problem: Int?, sample: Int)
    /// A number that must be finite is NaN or infinite.
    case nonFinite(field: String, problem: Int?, index: Int)
    /// A parameter is outside its domain.
    case invalidParameter(name: String, value: String, expected: String)
    /// The selection method has no closed form; use Monte Carlo.
    case noExactForm(method: String)
    /// The exact maj@k dynamic programme would take too long for this problem and k.
    case exactComputationTooLarge(problem: Int?, k: Int, operations: Double, budget: Double)
    /// The least-squares fit could not be carried out or did not converge.
    case fitFailed(reason: String)

    public var description: String {
        func at(_ problem: Int?) -> String { problem.map { " in problem \($0)" } ?? "" }
        switch self {
        case .noProblems(let metric):
            return "No problems to compute \(metric) over. Pass at least one problem."
        case .invalidCounts(let problem, let samples, let correct):
            return "Invalid counts\(at(problem)): \(correct) correct of \(samples) samples. "
                + "Need samples >= 1 and 0 <= correct <= samples."
        case .kOutOfRange(let k, let problem, let samples):
            return "k = \(k) is out of range\(at(problem)), which has \(samples) samples. "
                + "Need 1 <= k <= n; report k only up to the smallest n over problems."
        case .mismatchedLength(let field, let problem, let expected, let found):
            return "'\(field)'\(at(problem)) has \(found) entries, expected \(expected). "
                + "Give one entry per sample (or per problem)."
        case .missingScore(let problem, let sample):
            return "Sample \(sample)\(at(problem)) has no score. Best-of-N and weighted voting need "
                + "a score on every sample; score it or use majority vote."
        case .nonFinite(let field, let problem, let index):
            return "'\(field)'[\(index)]\(at(problem)) is NaN or infinite. Replace it with a finite number."
        case .invalidParameter(let name, let value, let expected):
            return "Parameter '\(name)' = \(value) is invalid: expected \(expected)."
        case .noExactForm(let method):
            return "\(method) has no exact closed form here. Use Monte Carlo estimation (random k-subsets)."
        case .exactComputationTooLarge(let problem, let k, let operations, let budget):
            return "Exact maj@\(k)\(at(problem)) needs about \(String(format: "%.2g", operations)) steps "
                + "(budget \(String(format: "%.2g", budget))). Use Monte Carlo estimation, or raise the budget."
        case .fitFailed(let reason):
            return "Scaling-law fit failed: \(reason)"
        }
    }

    public var errorDescription: String? { description }
}
