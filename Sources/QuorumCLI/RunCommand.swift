import ArgumentParser
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

/// `quorum run`: sample N completions per problem, verify them, store every sample.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Sample N completions for every problem of a data set, verify and store each one (resumable, extendable).",
        discussion: """
            Running the same command again resumes; a larger -n or --limit adds only the missing samples; \
            any other change (model, template, temperature, ...) is a different run in the same store. \
            `quorum runs` lists runs, `quorum report RUN` draws their curves.
            """)

    @OptionGroup var options: RunOptions

    func run() async throws {
        try await options.execute(printSummary: true)
    }
}

/// The options of a sampling run, shared by `run` and `demo`.
struct RunOptions: ParsableArguments {
    @Option(help: "A data set file, or a catalog name (gsm8k, gsm8k:train, math500, humaneval, mbpp, arc, ...).")
    var dataset: String

    @Option(help: "A model name (`quorum model list --known`) or a GGUF path; with --base-url, the served model's name (or NAME@http://host:8000/v1).")
    var model: String = ModelCatalog.defaultModel.name

    @Option(help: "Where samples come from: `embedded` (the in-process engine) or `openai` (servers named by --base-url).")
    var backend: String?

    @OptionGroup(title: "OpenAI-compatible servers") var backendOptions: BackendOptions

    @Option(name: .short, help: "Samples per problem.")
    var n: Int = 8

    @Option(help: "Sampling temperature (0 = greedy).")
    var temperature: Double = 0.6

    @Option(help: "Nucleus sampling threshold.")
    var topP: Double?

    @Option(help: "Sample only from the k most likely tokens.")
    var topK: Int?

    @Option(help: "Drop tokens less likely than this fraction of the most likely one.")
    var minP: Double?

    @Option(help: "Most tokens per sample.")
    var maxTokens: Int = 256

    @Option(help: "Only the first P problems of the data set.")
    var limit: Int?

    @Option(help: "A built-in prompt template (gsm8k-chat, gsm8k-fewshot, math-chat, humaneval-completion, mbpp-chat, arc-chat, plain) or a template file. Default: the data set's.")
    var promptTemplate: String?

    @Option(help: "How samples are checked: math, python-tests, exact. Default: python-tests for code data sets, else math.",
            transform: { try VerifierKind(parsing: $0) })
    var verifier: VerifierKind?

    @Option(help: "The run store (default: $QUORUM_HOME/runs.sqlite).")
    var store: String?

    @Option(help: "Base seed; each sample's seed derives from it, the problem id and the sample index.")
    var seed: UInt64 = 0

    @Option(help: "Samples decoded together per request (one shared-prompt batch).")
    var samplesPerRequest: Int = 16

    @Option(help: "Requests in flight at once; the embedded engine decodes them together (continuous batching). Default: enough to keep the engine's \(RunOptions.embeddedBatchWidth) decode rows full.")
    var concurrency: Int?

    @Flag(help: "No progress bar.")
    var quiet = false

    @Flag(help: "Skip invalid records of the data set (counted and named; they are not part of the run) instead of stopping at the first.")
    var skipInvalid = false

    @Flag(help: "Exit 0 even when some problems could not be sampled (they are reported, and count as unsolved).")
    var allowUnsampled = false

    @Flag(help: "Ask again for samples whose failure was recorded as permanent (a prompt over the context, a request the server refused), e.g. after serving a longer context.")
    var retryPermanentFailures = false

    @OptionGroup var strategyOptions: StrategyOptions

    func validate() throws {
        guard n >= 1 else { throw ValidationError("-n must be at least 1.") }
        guard temperature >= 0 else { throw ValidationError("--temperature must be 0 or more.") }
        guard maxTokens >= 1 else { throw ValidationError("--max-tokens must be at least 1.") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1.") }
        if let topP, !(topP > 0 && topP <= 1) { throw ValidationError("--top-p must be in (0, 1].") }
        guard samplesPerRequest >= 1 else { throw ValidationError("--samples-per-request must be at least 1.") }
        if let concurrency, concurrency < 1 { throw ValidationError("--concurrency must be at least 1.") }
    }

    /// Runs the plan and returns the run id.
    @discardableResult
    func execute(printSummary: Bool) async throws -> String {
        let loaded = try DatasetCatalog.load(dataset, skipInvalid: skipInvalid)
        if !loaded.skipped.isEmpty {
            printError("skipped \(loaded.skipped.count) invalid record\(loaded.skipped.count == 1 ? "" : "s") of \(dataset) (not part of the run); the first: \(loaded.skipped[0].message)")
        }
        var problems = loaded.problems
        if let limit { problems = Array(problems.prefix(limit)) }
        let template = try RunTemplates.template(named: promptTemplate, datasetFormat: loaded.format.rawValue, seed: seed)
        let verifierKind = verifier ?? VerifierKind.default(for: problems)
        let check = try verifierKind.makeVerifier()
        let openAI = try backendOptions.openAIConfiguration(model: model, backend: backend)
        let provider = try await makeProvider(openAI)

        let datasetPath = try DatasetCatalog.resolvedPath(dataset)
        let configuration = RunConfiguration(
            dataset: dataset, datasetSHA256: try fileSHA256(datasetPath),
            model: openAI?.model ?? model, modelSHA256: openAI == nil ? try modelSHA256() : nil,
            backend: openAI.map(BackendOptions.runBackendName) ?? "embedded",
            promptTemplate: template.name, promptTemplateSHA256: template.sha256,
            sampling: SamplingParameters(temperature: temperature, topK: topK, topP: topP, minP: minP, maxTokens: maxTokens,
                                         logprobs: 0),
            seed: seed, verifier: verifierKind)
        let runStore = try RunStore(path: store ?? RunStore.defaultPath())
        let plan = SamplingRun(configuration: configuration, problems: problems, samplesPerProblem: n, template: template,
                               samplesPerRequest: samplesPerRequest,
                               concurrentRequests: concurrency ?? openAI?.maxConcurrentRequests ?? SamplingRun.concurrencyFilling(
                                   batchWidth: Self.embeddedBatchWidth, samplesPerRequest: min(n, samplesPerRequest)),
                               retryPermanentFailures: retryPermanentFailures)
        let bar = ProgressBar(enabled: !quiet && isatty(STDERR_FILENO) == 1)
        printError("run \(configuration.id): \(problems.count) problems × \(n) samples, \(configuration.model) (\(configuration.backend)), template \(template.name), verifier \(verifierKind)")
        let outcome = try await plan.run(store: runStore, provider: provider, verifier: check) { bar.update($0) }
        bar.finish()
        printError("stored \(outcome.produced) new samples (\(outcome.alreadyStored) were already stored) in \(String(format: "%.1f", outcome.seconds)) s"
                   + Self.failureSummary(outcome))
        for line in Self.unsampledLines(outcome.unsampled, problemCount: problems.count) { printError(line) }
        guard problems.isEmpty || outcome.unsampled.count < problems.count else {
            // Nothing to score: say why instead of "no samples yet".
            throw ExperimentError.invalidArgument("No problem of run \(outcome.runID) could be sampled (see above); fix the cause and run the command again.")
        }
        try await strategyOptions.evaluate(runID: outcome.runID, store: runStore, problems: problems, template: template,
                                           provider: provider, verifier: check, model: model, quiet: quiet)
        if printSummary {
            let report = try RunAnalysis(modelShape: ReportCommand.modelShape(model), bootstrapResamples: 200)
                .report(runID: outcome.runID, store: runStore)
            print(TerminalTable.render(ReportInput(title: "run \(outcome.runID)", generatedAt: Date(), runs: [report]), width: 100))
            print("\nReport: quorum report \(outcome.runID)")
        }
        if !outcome.unsampled.isEmpty && !allowUnsampled {
            throw ExperimentError.invalidArgument(
                "\(outcome.unsampled.count) of \(problems.count) problems could not be sampled (listed above); the scores count them as unsolved. "
                + "Fix the cause, or pass --allow-unsampled to accept the run as it is.")
        }
        return outcome.runID
    }

    /// The end of the run's last line: what failed, and whether running again can help.
    static func failureSummary(_ outcome: RunOutcome) -> String {
        var text = ""
        let retryable = outcome.failed - outcome.permanentlyFailed
        if retryable > 0 { text += "; \(retryable) failed (recorded; run the command again to retry them)" }
        if outcome.permanentlyFailed > 0 {
            text += "; \(outcome.permanentlyFailed) failed permanently (a retry cannot help; recorded and not retried)"
        }
        if outcome.leftToOtherInvocation > 0 {
            text += "; \(outcome.leftToOtherInvocation) left to another `quorum run` of this run working on the same store"
        }
        if outcome.skippedPermanent > 0 {
            text += "; \(outcome.skippedPermanent) skipped (failed permanently before; --retry-permanent-failures asks again)"
        }
        return text
    }

    /// Which problems have no sample and why, a line each (the first 10).
    static func unsampledLines(_ unsampled: [UnsampledProblem], problemCount: Int) -> [String] {
        guard !unsampled.isEmpty else { return [] }
        var lines = ["\(unsampled.count) of \(problemCount) problems have no sample:"]
        for problem in unsampled.prefix(10) {
            lines.append("  \(problem.problemID)\(problem.permanent ? " (permanent)" : ""): \(problem.error ?? "not sampled yet")")
        }
        if unsampled.count > 10 { lines.append("  and \(unsampled.count - 10) more (`quorum report` lists all)") }
        return lines
    }

    func makeProvider(_ openAI: OpenAIClientConfiguration?) async throws -> any CompletionProvider {
        if let openAI { return try OpenAICompletionProvider(openAI) }
        guard backend == nil || backend == "embedded" else {
            throw ValidationError("--backend must be `embedded` or `openai`, not '\(backend!)'.")
        }
        let path = try ModelCache().resolve(model).path
        return try EmbeddedCompletionProvider(path: path, modelName: model, maxSamples: Self.embeddedBatchWidth)
    }

    /// Samples the embedded engine decodes at once over all in-flight requests.
    static let embeddedBatchWidth = 64

    func modelSHA256() throws -> String? {
        if let spec = ModelCatalog.named(model) { return spec.sha256 }
        return try ModelCache.sha256(of: ModelCache().resolve(model))
    }

    func fileSHA256(_ path: String) throws -> String {
        try ModelCache.sha256(of: URL(fileURLWithPath: path))
    }
}

/// A one-line progress bar on standard error: samples done of total, rate, ETA, pass@1.
final class ProgressBar: @unchecked Sendable {
    private let enabled: Bool
    private let lock = NSLock()
    private var lastDraw = Date.distantPast

    init(enabled: Bool) { self.enabled = enabled }

    func update(_ p: RunProgress) {
        guard enabled else { return }
        lock.lock(); defer { lock.unlock() }
        guard Date().timeIntervalSince(lastDraw) > 0.1 || p.done == p.total else { return }
        lastDraw = Date()
        let width = 28
        let filled = p.total == 0 ? width : width * p.done / p.total
        let eta = p.eta.map { formatDuration($0) } ?? "--"
        let line = "[\(String(repeating: "#", count: filled))\(String(repeating: ".", count: width - filled))] "
            + "\(p.done)/\(p.total)  \(String(format: "%.2f", p.samplesPerSecond)) samples/s  ETA \(eta)  pass@1 \(String(format: "%.3f", p.passAt1))"
            + (p.failed > 0 ? "  failed \(p.failed)" : "")
        FileHandle.standardError.write(Data(("\r" + line + "\u{1B}[K").utf8))
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }
}

func formatDuration(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
}
