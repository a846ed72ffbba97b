import Foundation

/// Everything a report shows: one or more runs, already reduced to numbers.
///
/// The `Report` module computes nothing about samples: `Metrics` estimates the curves, the
/// intervals and the fit, and the caller copies them here. Every output (``HTMLReport``,
/// ``ReportTables``, ``TerminalTable``) is a pure function of this value, and the JSON output
/// is this value encoded, so a report can be re-rendered from its own JSON.
///
/// ```swift
/// let input = ReportInput(title: "SmolLM2 on GSM8K", generatedAt: Date(), runs: [run])
/// try ReportFiles.write(input, to: URL(fileURLWithPath: "reports/gsm8k"))
/// ```
public struct ReportInput: Sendable, Equatable, Codable {
    /// The page title.
    public var title: String
    /// When the report was made (shown in the header; JSON as ISO 8601).
    public var generatedAt: Date
    /// The runs, in the order they are listed and coloured.
    public var runs: [RunReport]
    /// Lines about method shown under the charts, e.g. how intervals were computed.
    public var notes: [String]

    public init(title: String, generatedAt: Date, runs: [RunReport], notes: [String] = []) {
        self.title = title
        self.generatedAt = generatedAt
        self.runs = runs
        self.notes = notes
    }
}

/// One run: a model sampled `samplesPerProblem` times on each of `problemCount` problems.
public struct RunReport: Sendable, Equatable, Codable {
    /// The run's identifier in the run store (CSV `run` column).
    public var id: String
    /// The legend label, e.g. "SmolLM2-135M · gsm8k · cot-4shot".
    public var label: String
    /// Model name or path.
    public var model: String
    /// Data set name.
    public var dataset: String
    /// Settings worth showing (temperature, top-p, template, seed, ...), shown sorted by key.
    public var configuration: [String: String]
    /// Problems the curves are over: every problem of the data set, unsampled ones counting
    /// as unsolved, unless `unsampledCountAsUnsolved` is false (then only the sampled ones).
    public var problemCount: Int
    /// Samples drawn per problem (n); the largest k any curve can have.
    public var samplesPerProblem: Int
    /// The metric curves against k: coverage, maj@k, best-of-N@k, ...
    public var curves: [Curve]
    /// Per-problem solve rate `c / n` in `[0, 1]`, one value per problem.
    public var solveRates: [Double]
    /// The scaling-law fit of coverage against k, when one was made.
    public var fit: ScalingFit?
    /// What the run cost.
    public var cost: Cost
    /// Free-text remarks shown with the run (e.g. "12 samples failed to parse").
    public var notes: [String]
    /// Problems of the data set no sample could be drawn for, with why (shown with the run in
    /// every output, so a score never silently leaves a problem out).
    public var unsampledProblems: [UnsampledProblemNote]
    /// Whether the curves count `unsampledProblems` as unsolved (true, the default) or exclude them.
    public var unsampledCountAsUnsolved: Bool

    public init(
        id: String, label: String, model: String, dataset: String, configuration: [String: String] = [:],
        problemCount: Int, samplesPerProblem: Int, curves: [Curve], solveRates: [Double] = [],
        fit: ScalingFit? = nil, cost: Cost = Cost(), notes: [String] = [],
        unsampledProblems: [UnsampledProblemNote] = [], unsampledCountAsUnsolved: Bool = true
    ) {
        self.id = id
        self.label = label
        self.model = model
        self.dataset = dataset
        self.configuration = configuration
        self.problemCount = problemCount
        self.samplesPerProblem = samplesPerProblem
        self.curves = curves
        self.solveRates = solveRates
        self.fit = fit
        self.cost = cost
        self.notes = notes
        self.unsampledProblems = unsampledProblems
        self.unsampledCountAsUnsolved = unsampledCountAsUnsolved
    }

    /// Reads reports written before unsampled problems were recorded (they had none listed).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        label = try c.decode(String.self, forKey: .label)
        model = try c.decode(String.self, forKey: .model)
        dataset = try c.decode(String.self, forKey: .dataset)
        configuration = try c.decode([String: String].self, forKey: .configuration)
        problemCount = try c.decode(Int.self, forKey: .problemCount)
        samplesPerProblem = try c.decode(Int.self, forKey: .samplesPerProblem)
        curves = try c.decode([Curve].self, forKey: .curves)
        solveRates = try c.decode([Double].self, forKey: .solveRates)
        fit = try c.decodeIfPresent(ScalingFit.self, forKey: .fit)
        cost = try c.decode(Cost.self, forKey: .cost)
        notes = try c.decode([String].self, forKey: .notes)
        unsampledProblems = try c.decodeIfPresent([UnsampledProblemNote].self, forKey: .unsampledProblems) ?? []
        unsampledCountAsUnsolved = try c.decodeIfPresent(Bool.self, forKey: .unsampledCountAsUnsolved) ?? true
    }

    /// Problems of the data set: those the curves are over plus any they exclude.
    public var datasetProblemCount: Int {
        problemCount + (unsampledCountAsUnsolved ? 0 : unsampledProblems.count)
    }

    /// One sentence on the problems without samples, nil when every problem was sampled:
    /// how many, whether a retry can help, how the scores treat them, and which (with the
    /// reason, the first `listed` of them).
    public func unsampledSummary(listed: Int = 5) -> String? {
        guard !unsampledProblems.isEmpty else { return nil }
        let count = unsampledProblems.count
        let permanent = unsampledProblems.filter(\.permanent).count
        var text = "\(count) of \(datasetProblemCount) problems have no sample"
        if permanent > 0 { text += " (\(permanent) failed permanently: a retry cannot help)" }
        text += unsampledCountAsUnsolved
            ? "; every score counts them as unsolved"
            : "; every score EXCLUDES them (it is over the \(problemCount) sampled problems only)"
        text += ": " + unsampledProblems.prefix(listed).map { "\($0.id) (\($0.reason))" }.joined(separator: "; ")
        if count > listed { text += "; and \(count - listed) more (report.json lists all)" }
        return text + "."
    }

    /// The first curve of a kind, if any.
    public func curve(_ kind: CurveKind) -> Curve? {
        curves.first { $0.kind == kind }
    }
}

/// A problem of a run's data set that has no sample, and why.
public struct UnsampledProblemNote: Sendable, Equatable, Codable {
    public var id: String
    /// The last failure recorded for it, or why none was ("not sampled yet").
    public var reason: String
    /// Whether the failure is one no retry can fix (the prompt is longer than the context).
    public var permanent: Bool

    public init(id: String, reason: String, permanent: Bool) {
        self.id = id
        self.reason = reason
        self.permanent = permanent
    }
}

/// What a curve measures; decides which chart shows it and how it is drawn.
public enum CurveKind: String, Sendable, Equatable, Codable, CaseIterable {
    /// pass@k: the chance that at least one of k samples is correct.
    case coverage
    /// maj@k: the chance that the most common answer among k samples is correct.
    case majority
    /// best-of-N@k: the chance that the sample a scorer ranks first among k is correct.
    case bestOfN
    /// Any other selection method (e.g. a weighted vote); drawn with the selection curves.
    case other
}

/// A metric as a function of the sample budget k.
public struct Curve: Sendable, Equatable, Codable {
    /// The legend and column name, e.g. "coverage", "maj@k", "best-of-N@k (mean logprob)".
    public var name: String
    public var kind: CurveKind
    /// Points in any order; the renderers sort them by k.
    public var points: [CurvePoint]
    /// How the curve was estimated and any rule worth stating (exact or Monte Carlo, the
    /// tie rule, ties seen), shown with the strategy table; nil for none.
    public var details: String?

    public init(name: String, kind: CurveKind, points: [CurvePoint], details: String? = nil) {
        self.name = name
        self.kind = kind
        self.points = points
        self.details = details
    }

    /// The point with the largest k, if any.
    public var last: CurvePoint? { points.max { $0.k < $1.k } }

    /// The point at budget `k`, if the curve has one.
    public func point(atK k: Int) -> CurvePoint? { points.first { $0.k == k } }
}

/// One value of a curve: the metric at budget `k`, with an optional interval and cost.
public struct CurvePoint: Sendable, Equatable, Codable {
    /// The sample budget, at least 1.
    public var k: Int
    /// The metric, a fraction in `[0, 1]` (shown as a percentage).
    public var value: Double
    /// Lower end of the confidence interval, same units as `value`.
    public var lower: Double?
    /// Upper end of the confidence interval.
    public var upper: Double?
    /// Inference FLOPs spent to draw k samples for every problem. When `nil`, the FLOPs
    /// chart uses the run's total FLOPs scaled by `k / samplesPerProblem`.
    public var flops: Double?
    /// What reaching this point cost over all problems (model calls, tokens, time, FLOPs),
    /// so strategies can be compared at equal compute; nil when unknown.
    public var cost: Cost?
    /// Votes only: the fraction of k-subsets whose vote was tied at the top.
    public var tieRate: Double?

    public init(k: Int, value: Double, lower: Double? = nil, upper: Double? = nil, flops: Double? = nil,
                cost: Cost? = nil, tieRate: Double? = nil) {
        self.k = k
        self.value = value
        self.lower = lower
        self.upper = upper
        self.flops = flops
        self.cost = cost
        self.tieRate = tieRate
    }
}

/// The scaling law of coverage against k, `coverage ≈ exp(a·k^b)` (Large Language Monkeys,
/// Eq. 3), as `Metrics.ScalingLawFit` fits it.
public struct ScalingFit: Sendable, Equatable, Codable {
    /// Log coverage at k = 1.
    public var a: Double
    /// Exponent of k (negative for a curve rising toward 1).
    public var b: Double
    /// Coefficient of determination on the fitted points.
    public var rSquared: Double
    /// Root mean square error of the fit, in coverage units.
    public var rootMeanSquareError: Double
    /// Budgets the law predicts for target coverages (e.g. 0.5 and 0.9).
    public var targets: [CoverageTarget]

    public init(a: Double, b: Double, rSquared: Double, rootMeanSquareError: Double, targets: [CoverageTarget] = []) {
        self.a = a
        self.b = b
        self.rSquared = rSquared
        self.rootMeanSquareError = rootMeanSquareError
        self.targets = targets
    }

    /// The law's coverage at budget k (k > 0).
    public func coverage(atK k: Double) -> Double { exp(a * pow(k, b)) }

    /// The law's answer for one target coverage.
    public func target(_ coverage: Double) -> CoverageTarget? {
        targets.first { $0.target == coverage }
    }
}

/// The budget at which the fitted law reaches a target coverage (named apart from
/// `Metrics.SamplesNeeded`, which the caller converts from).
public struct CoverageTarget: Sendable, Equatable, Codable {
    /// Target coverage, a fraction in `(0, 1)`.
    public var target: Double
    /// Samples per problem the law needs (continuous, at least 1); `nil` when the law never
    /// reaches the target.
    public var k: Double?

    public init(target: Double, k: Double?) {
        self.target = target
        self.k = k
    }
}

/// What a run cost. Every field is optional because backends report different things.
public struct Cost: Sendable, Equatable, Codable {
    /// Prompt tokens processed.
    public var promptTokens: Int?
    /// Completion tokens decoded, over all samples.
    public var completionTokens: Int?
    /// Wall-clock seconds of sampling.
    public var seconds: Double?
    /// Inference FLOPs for all samples of all problems.
    public var flops: Double?
    /// Dollars, for priced APIs.
    public var dollars: Double?
    /// Model calls (requests; one request may carry many samples). A mean over random
    /// subsets can be fractional.
    public var modelCalls: Double?

    public init(promptTokens: Int? = nil, completionTokens: Int? = nil, seconds: Double? = nil, flops: Double? = nil,
                dollars: Double? = nil, modelCalls: Double? = nil) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.seconds = seconds
        self.flops = flops
        self.dollars = dollars
        self.modelCalls = modelCalls
    }

    /// Prompt plus completion tokens, when both are known.
    public var totalTokens: Int? {
        guard let promptTokens, let completionTokens else { return nil }
        return promptTokens + completionTokens
    }
}
