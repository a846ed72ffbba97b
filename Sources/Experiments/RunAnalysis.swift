import Aggregation
import Foundation
import Metrics
import Report
import RunStore
import ScalingCore
import Verifiers

/// Turns a run's stored samples into the numbers of a report: coverage (pass@k) with
/// bootstrap intervals and the scaling-law fit, majority vote and best-of-N curves, the
/// solve-rate distribution, and cost.
public struct RunAnalysis: Sendable {
    /// The model's shape, for FLOPs (nil: FLOPs are not reported).
    public var modelShape: ModelShape?
    public var price: TokenPrice?
    public var bootstrapResamples: Int
    /// Coverage levels to extrapolate the fit to.
    public var coverageTargets: [Double]
    /// Problems of the run with no sample count as unsolved (true: scores are over the whole
    /// data set) or are left out (false: scores over the sampled problems, and the report says so).
    public var countUnsampledAsUnsolved: Bool

    public init(modelShape: ModelShape? = nil, price: TokenPrice? = nil, bootstrapResamples: Int = 1000,
                coverageTargets: [Double] = [0.5, 0.9], countUnsampledAsUnsolved: Bool = true) {
        self.modelShape = modelShape
        self.price = price
        self.bootstrapResamples = bootstrapResamples
        self.coverageTargets = coverageTargets
        self.countUnsampledAsUnsolved = countUnsampledAsUnsolved
    }

    /// The k values reported: every k up to 64, then about 40 log-spaced values.
    public static func budgets(upTo n: Int) -> [Int] {
        n <= 64 ? KGrid.all(upTo: n) : KGrid.logSpaced(upTo: n)
    }

    /// Analyses one run. Problems with more samples than the smallest count are cut to it,
    /// so every k is an estimate over the same problems (a note says so). Problems of the run
    /// with no sample at all (`RunStore.unsampledProblems`) are listed with why, and count as
    /// unsolved (n samples, none correct) unless `countUnsampledAsUnsolved` is false.
    public func report(runID: String, store: RunStore) throws -> RunReport {
        let configuration = try store.configuration(ofRun: runID)
        let records = try store.samples(runID: runID)
        var byProblem: [String: [SampleRecord]] = [:]
        for r in records { byProblem[r.problemID, default: []].append(r) }
        let problemIDs = byProblem.keys.sorted()
        let unsampled = try store.unsampledProblems(runID: runID).map { problem in
            UnsampledProblemNote(id: problem.problemID, reason: problem.error ?? "not sampled yet (the run was stopped before it)",
                                 permanent: problem.permanent)
        }
        var notes: [String] = []
        guard let n = problemIDs.map({ byProblem[$0]!.count }).min(), n > 0 else {
            if let first = unsampled.first {
                throw ExperimentError.invalidArgument("Run \(runID) has no samples: none of its \(unsampled.count) problems could be sampled; "
                                                      + "\(first.id): \(first.reason). `quorum runs` lists the run's failures.")
            }
            throw ExperimentError.invalidArgument("Run \(runID) has no samples yet; run `quorum run` first.")
        }
        // Unsampled problems enter the curves as n samples with no answer, none correct.
        let unsolved = countUnsampledAsUnsolved ? unsampled.count : 0
        if problemIDs.contains(where: { byProblem[$0]!.count != n }) {
            notes.append("Problems have different sample counts; every problem is cut to its first \(n) samples.")
        }
        let samples = problemIDs.map { Array(byProblem[$0]!.sorted { $0.sampleIndex < $1.sampleIndex }.prefix(n)) }
        let ks = Self.budgets(upTo: n)
        let bootstrap = Bootstrap(resamples: bootstrapResamples, seed: 0)

        // Coverage.
        let counts = samples.map { SampleCounts(samples: $0.count, correct: $0.filter(\.verdict.isCorrect).count) }
            + Array(repeating: SampleCounts(samples: n, correct: 0), count: unsolved)
        let coverage = try PassAtK.curve(counts, ks: ks)
        let costs = StrategyCostModel(samples: samples, shape: modelShape)
        var curves = [try curve("coverage (pass@k)", .coverage, coverage, bootstrap: bootstrap, costs: costs)]

        // Selection: majority vote over equivalent answers; best-of-N by mean log-probability.
        let sampledOutcomes = samples.map { problemSamples in
            let keys = Self.answerClasses(problemSamples.map(\.verdict), verifier: configuration.verifier)
            return zip(problemSamples, keys).map { record, key in
                SampleOutcome(answer: key, isCorrect: record.verdict.isCorrect, score: record.completion.meanLogprob)
            }
        }
        // An unsampled problem's stand-ins have no answer and are never correct, so any score
        // (0 here) leaves every vote and best-of-N pick on it wrong.
        let outcomes = sampledOutcomes + Array(repeating: Array(repeating: SampleOutcome(answer: nil, isCorrect: false, score: 0), count: n),
                                               count: unsolved)
        let majority: MetricCurve
        do {
            majority = try VoteEstimator.curve(outcomes, method: .majorityVote, ks: ks, estimation: .exact)
        } catch {
            majority = try VoteEstimator.curve(outcomes, method: .majorityVote, ks: ks, estimation: .monteCarlo())
            notes.append("maj@k is a Monte Carlo estimate (100 subsets per k): \(error)")
        }
        curves.append(try curve("majority vote (maj@k)", .majority, majority, bootstrap: bootstrap, costs: costs))
        if sampledOutcomes.allSatisfy({ $0.allSatisfy { $0.score != nil } }) {
            let best = try VoteEstimator.curve(outcomes, method: .bestOfN, ks: ks, estimation: .exact)
            curves.append(try curve("best-of-N by mean log-probability", .bestOfN, best, bootstrap: bootstrap, costs: costs))
        } else {
            notes.append("No best-of-N curve: the backend reported no log-probabilities for some samples.")
        }

        // Strategies evaluated on the run (`quorum run --strategy`), each point with its cost.
        let strategies = try StrategyCurves.curves(runID: runID, store: store, problemIDs: problemIDs, samples: samples,
                                                   verifier: configuration.verifier, costs: costs, seed: configuration.seed)
        // Strategy accuracies are means over the sampled problems; an unsolved problem adds a 0.
        let sampledShare = Double(samples.count) / Double(samples.count + unsolved)
        curves += unsolved == 0 ? strategies.curves : strategies.curves.map { Self.scaled($0, by: sampledShare) }
        notes += strategies.notes

        // The scaling law, fitted where coverage is neither 0 nor 1 everywhere.
        var fit: ScalingFit?
        do {
            let law = try ScalingLawFit.fit(counts)
            fit = ScalingFit(a: law.a, b: law.b, rSquared: law.rSquared, rootMeanSquareError: law.rootMeanSquareError,
                             targets: try coverageTargets.map { target in
                                 CoverageTarget(target: target, k: try law.samplesNeeded(forCoverage: target).samples.map(Double.init))
                             })
        } catch {
            notes.append("No scaling-law fit: \(error)")
        }

        let promptTokens = samples.reduce(0) { $0 + ($1.first?.completion.promptTokens ?? 0) }
        let completionTokens = samples.reduce(0) { $0 + $1.reduce(0) { $0 + $1.completion.completionTokens } }
        let seconds = samples.reduce(0.0) { $0 + $1.reduce(0.0) { $0 + $1.completion.seconds } }
        let cost = Cost(promptTokens: promptTokens, completionTokens: completionTokens, seconds: seconds,
                        flops: costs.sampling(k: n).flops, dollars: price.map { $0.dollars(promptTokens: promptTokens * n, completionTokens: completionTokens) })
        let solveRates = try PassAtK.solveRates(counts)
        let c = configuration
        return RunReport(
            id: runID, label: "\(c.model) · \(c.dataset) · \(c.promptTemplate)", model: c.model, dataset: c.dataset,
            configuration: [
                "temperature": String(c.sampling.temperature), "max tokens": String(c.sampling.maxTokens),
                "top-p": c.sampling.topP.map { String($0) } ?? "-", "top-k": c.sampling.topK.map { String($0) } ?? "-",
                "prompt template": c.promptTemplate, "backend": c.backend, "verifier": c.verifier.name, "seed": String(c.seed),
            ],
            problemCount: counts.count, samplesPerProblem: n, curves: curves, solveRates: solveRates,
            fit: fit, cost: cost, notes: notes, unsampledProblems: unsampled, unsampledCountAsUnsolved: countUnsampledAsUnsolved)
    }

    /// A curve over the sampled problems turned into one over all problems, the others scoring 0.
    static func scaled(_ curve: Curve, by share: Double) -> Curve {
        var scaled = curve
        scaled.points = curve.points.map { point in
            var p = point
            p.value *= share
            p.lower = p.lower.map { $0 * share }
            p.upper = p.upper.map { $0 * share }
            return p
        }
        return scaled
    }

    private func curve(_ name: String, _ kind: CurveKind, _ metric: MetricCurve, bootstrap: Bootstrap,
                       costs: StrategyCostModel) throws -> Curve {
        let intervals = try bootstrap.intervals(metric)
        return Curve(name: name, kind: kind, points: metric.ks.indices.map { i in
            let cost = costs.sampling(k: metric.ks[i])
            return CurvePoint(k: metric.ks[i], value: metric.mean[i], lower: intervals[i].lower, upper: intervals[i].upper,
                              flops: cost.flops, cost: cost)
        })
    }

    /// Groups a problem's answers into classes of equivalent answers, as the online vote
    /// does (`AnswerGrouping`): for the math verifier by `MathEquivalence` (so "1/2" and
    /// "0.5" vote together), otherwise by the normalised extracted string. Samples with
    /// nothing extracted have no answer and never win a vote.
    public static func answerClasses(_ verdicts: [Verdict], verifier: VerifierKind) -> [AnswerKey?] {
        AnswerGrouping(gradedBy: verifier).classes(ofAnswers: verdicts.map(\.extracted)).classOf.map { $0.map(AnswerKey.integer) }
    }
}
