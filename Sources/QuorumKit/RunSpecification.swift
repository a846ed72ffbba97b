import Aggregation
import Datasets
import Engine
import Experiments
import Foundation
import Metrics
import ModelHub
import OpenAIClient
import Report
import RunStore
import ScalingCore
import Verifiers

/// Everything that defines a sampling run: which problems, which model, how many samples
/// and how they are drawn and checked. `quorum run`, `quorum demo`, training loops and a
/// Swift program build runs the same way:
///
/// ```swift
/// var specification = RunSpecification(dataset: "gsm8k")
/// specification.limit = 20
/// specification.samplesPerProblem = 8
/// let run = try specification.prepare()
/// let outcome = try await run.sample(store: try RunStore(path: "runs.sqlite"))
/// let report = try run.report(store: store)   // pass@k, majority vote, cost
/// ```
///
/// The run's identity (`RunConfiguration.id`) hashes what decides its samples (data set
/// and model files, template, sampling parameters, seed, verifier, backend kind), so
/// preparing the same specification again resumes the stored run, and a larger
/// `samplesPerProblem` or `limit` adds only the missing samples.
public struct RunSpecification: Sendable {
    /// A data set file, or a catalog name (`gsm8k`, `gsm8k:train`, `math500`, `humaneval`, ...).
    public var dataset: String
    /// A catalog model name or a GGUF path for the embedded engine; the served model's
    /// name when `openAI` is set.
    public var model: String
    /// OpenAI-compatible servers to sample from instead of the embedded engine.
    public var openAI: OpenAIClientConfiguration?
    /// Samples per problem (N).
    public var samplesPerProblem = 8
    /// How each sample is drawn. Runs always record the chosen tokens' log-probabilities.
    public var sampling = SamplingParameters()
    /// Only the first P problems of the data set.
    public var limit: Int?
    /// A built-in template name or a template file; nil: the data set format's default.
    public var promptTemplate: String?
    /// How samples are checked; nil: unit tests for code data sets, else the math check.
    public var verifier: VerifierKind?
    /// Base seed; each sample's seed derives from it, the problem id and the sample index.
    public var seed: UInt64 = 0
    /// Samples decoded together per request (one shared-prompt batch).
    public var samplesPerRequest = 16
    /// Requests in flight at once; nil: enough to keep the engine's batch full (or the
    /// OpenAI client's concurrency limit).
    public var concurrency: Int?
    /// Skip invalid records of the data set (counted, named in `PreparedRun.skipped`).
    public var skipInvalid = false
    /// Ask again for samples whose failure was recorded as permanent.
    public var retryPermanentFailures = false
    /// Embedded engine worker threads (nil: all processors).
    public var threads: Int?
    /// Samples the embedded engine decodes at once over all requests.
    public var batchWidth = ModelBackend.defaultBatchWidth

    public init(dataset: String, model: String = ModelCatalog.defaultModel.name) {
        self.dataset = dataset
        self.model = model
    }

    /// Throws on values no run can use, naming the field and what it accepts.
    public func validate() throws(QuorumKitError) {
        func check(_ ok: Bool, _ field: String, _ message: String) throws(QuorumKitError) {
            if !ok { throw .invalidSpecification(field: field, message: message) }
        }
        try check(samplesPerProblem >= 1, "samplesPerProblem", "must be at least 1")
        try check(sampling.temperature >= 0 && sampling.temperature.isFinite, "sampling.temperature", "must be 0 (greedy) or more")
        try check(sampling.maxTokens >= 1, "sampling.maxTokens", "must be at least 1")
        if let topP = sampling.topP { try check(topP > 0 && topP <= 1, "sampling.topP", "must be in (0, 1]") }
        if let topK = sampling.topK { try check(topK >= 0, "sampling.topK", "must be 0 (off) or more") }
        if let minP = sampling.minP { try check(minP >= 0 && minP <= 1, "sampling.minP", "must be in [0, 1]") }
        if let limit { try check(limit >= 1, "limit", "must be at least 1") }
        try check(samplesPerRequest >= 1, "samplesPerRequest", "must be at least 1")
        if let concurrency { try check(concurrency >= 1, "concurrency", "must be at least 1") }
        try check(batchWidth >= 1, "batchWidth", "must be at least 1")
    }

    /// The run's problems (the first `limit` of the data set) and the records skipped as
    /// invalid; `prepare` loads them itself when not given them.
    public func loadProblems() throws -> RunProblems {
        let loaded = try DatasetCatalog.load(dataset, skipInvalid: skipInvalid)
        return RunProblems(problems: Array(loaded.problems.prefix(limit ?? loaded.problems.count)),
                           skipped: loaded.skipped.map(\.message), format: loaded.format.rawValue)
    }

    /// Loads the problems (unless given), the template, the verifier and the model; nothing
    /// is sampled yet.
    public func prepare(_ loaded: RunProblems? = nil) throws -> PreparedRun {
        try validate()
        let loaded = try loaded ?? loadProblems()
        let problems = loaded.problems
        let template = try RunTemplates.template(named: promptTemplate, datasetFormat: loaded.format, seed: seed)
        let verifierKind = verifier ?? VerifierKind.default(for: problems)
        let check = try verifierKind.makeVerifier()
        let backend = try openAI.map(ModelBackend.openAI)
            ?? ModelBackend.embedded(model, name: model, threads: threads, batchWidth: batchWidth)
        let configuration = RunConfiguration(
            dataset: dataset, datasetSHA256: try ModelCache.sha256(of: URL(fileURLWithPath: DatasetCatalog.resolvedPath(dataset))),
            model: backend.modelName, modelSHA256: backend.modelSHA256, backend: backend.backendName,
            promptTemplate: template.name, promptTemplateSHA256: template.sha256,
            sampling: recordedSampling, seed: seed, verifier: verifierKind)
        let concurrentRequests = concurrency ?? openAI?.maxConcurrentRequests
            ?? SamplingRun.concurrencyFilling(batchWidth: batchWidth, samplesPerRequest: min(samplesPerProblem, samplesPerRequest))
        let plan = SamplingRun(configuration: configuration, problems: problems, samplesPerProblem: samplesPerProblem,
                               template: template, samplesPerRequest: samplesPerRequest,
                               concurrentRequests: concurrentRequests, retryPermanentFailures: retryPermanentFailures)
        return PreparedRun(specification: self, problems: problems, skipped: loaded.skipped,
                           template: template, verifierKind: verifierKind, verifier: check, backend: backend, plan: plan)
    }

    /// The sampling parameters a run records: the chosen tokens' log-probabilities are
    /// always kept (best-of-N by log-probability and confidence-weighted votes need them).
    var recordedSampling: SamplingParameters {
        var parameters = sampling
        parameters.logprobs = 0
        return parameters
    }
}

/// A run's problems as loaded from its data set.
public struct RunProblems: Sendable {
    /// The problems asked, in data set order.
    public let problems: [Problem]
    /// Why each skipped record of the data set was invalid (with `skipInvalid`).
    public let skipped: [String]
    /// The data set's format (it picks the default prompt template).
    public let format: String
}

/// A run ready to sample: its problems, template, verifier and model loaded.
public struct PreparedRun: Sendable {
    public let specification: RunSpecification
    /// The problems asked, in data set order.
    public let problems: [Problem]
    /// Why each skipped record of the data set was invalid (with `skipInvalid`).
    public let skipped: [String]
    public let template: PromptTemplate
    public let verifierKind: VerifierKind
    public let verifier: any Verifier
    public let backend: ModelBackend
    public let plan: SamplingRun

    /// What the store files the run under; the same specification always gives the same id.
    public var configuration: RunConfiguration { plan.configuration }
    public var runID: String { plan.configuration.id }

    /// Draws the samples the store does not hold yet, verifies and stores each one.
    public func sample(store: RunStore, progress: @escaping @Sendable (RunProgress) -> Void = { _ in }) async throws -> RunOutcome {
        try await plan.run(store: store, provider: backend.provider, verifier: verifier, progress: progress)
    }

    /// Evaluates aggregation strategies over the run's stored samples (votes, best-of-N,
    /// judges, Mixture-of-Agents); calls they make are recorded, so this resumes too.
    /// - Parameter proposers: extra MoA proposers beside the run's own model.
    public func evaluateStrategies(_ specifications: [StrategySpec], draws: Int = 1, proposers: [any CompletionProvider] = [],
                                   store: RunStore, log: @escaping @Sendable (String) -> Void = { _ in })
        async throws -> StrategyEvaluationOutcome {
        let evaluation = StrategyEvaluation(specifications: specifications, draws: draws, proposers: proposers)
        return try await evaluation.run(runID: runID, store: store, problems: problems, template: template,
                                        provider: backend.provider, verifier: verifier, contextWindow: backend.contextWindow,
                                        programBehaviour: (verifier as? PythonTestsVerifier).map { ProgramBehaviour(sandbox: $0.sandbox) },
                                        progress: log)
    }

    /// pass@k, coverage, majority vote, strategies and cost of the stored run, with bootstrap
    /// confidence intervals.
    public func report(store: RunStore, bootstrapResamples: Int = 200) throws -> RunReport {
        try RunAnalysis(modelShape: ModelFacts.shape(of: specification.model), bootstrapResamples: bootstrapResamples)
            .report(runID: runID, store: store)
    }
}
