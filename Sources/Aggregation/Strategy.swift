import ScalingCore

/// A way to spend model calls on one request: sample several answers and pick or
/// synthesise one (majority vote, best-of-N, Mixture-of-Agents).
///
/// A strategy has two halves. The online half, `answer`, answers one prompt by calling the
/// providers in its `StrategyContext`, and reports what it spent and the evidence behind
/// its choice. The offline half, `offlineSelection`, says how the same choice is made among
/// k samples already stored in a run, so `OfflineEstimator` can estimate accuracy at every
/// budget k without new calls; it is nil for strategies that need model calls beyond the
/// samples (an LLM judge, Mixture-of-Agents), which `StrategyEvaluation` (Experiments)
/// evaluates over a run by making and recording those calls. Strategies reach models only
/// through `CompletionProvider`.
public protocol Strategy: Sendable {
    /// The spec that builds this strategy again (`self-consistency:16,group=math`).
    var specification: String { get }
    /// Answers `prompt`, spending calls on `context`'s providers.
    func answer(_ prompt: ProblemPrompt, using context: StrategyContext) async throws -> StrategyResult
    /// How this strategy picks among stored samples without new calls; nil when it needs
    /// model calls of its own. Defaults to nil.
    var offlineSelection: OfflineSelection? { get }
    /// The sample count n the online strategy draws (nil when it has none, e.g. `moa`).
    var sampleCount: Int? { get }
    /// The same strategy drawing `count` samples (how an evaluation over a stored run sweeps
    /// the budget); strategies without a sample count return themselves. Defaults to `self`.
    func withSampleCount(_ count: Int) -> any Strategy
    /// True when the strategy takes proposals from other models besides the one it answers
    /// with (`StrategyContext.proposers`: Mixture-of-Agents). Defaults to false.
    var usesProposerModels: Bool { get }
    /// The model call that scores one sample, for strategies that score each sample on its
    /// own with a call (best-of-N by an LLM judge): over a stored run, each stored sample is
    /// judged once and every budget reuses the scores. nil for the others (the default).
    func judgement(of response: String, to question: ProblemPrompt, context: StrategyContext, seed: UInt64) -> CompletionRequest?
    /// True when `judgement` gives a call (the strategy's curve over a run comes from stored
    /// judge scores). Defaults to false.
    var judgesEachSample: Bool { get }
}

extension Strategy {
    public var offlineSelection: OfflineSelection? { nil }
    public var sampleCount: Int? { nil }
    public func withSampleCount(_ count: Int) -> any Strategy { self }
    public var usesProposerModels: Bool { false }
    public func judgement(of response: String, to question: ProblemPrompt, context: StrategyContext,
                          seed: UInt64) -> CompletionRequest? { nil }
    public var judgesEachSample: Bool { false }
}

/// Counts the tokens a prompt occupies in a model's context, and how large that context is.
///
/// Strategies that build long aggregator prompts (Mixture-of-Agents) check every such
/// prompt against `limit` before sending it, so an overflow is an error that names the
/// step rather than a silently truncated answer.
public struct ContextWindow: Sendable {
    /// The model's context length, tokens (prompt plus generated tokens must fit).
    public var limit: Int
    /// The prompt's token count as the model will see it (chat template applied).
    public var countTokens: @Sendable (ProblemPrompt) async throws -> Int

    public init(limit: Int, countTokens: @escaping @Sendable (ProblemPrompt) async throws -> Int) {
        self.limit = limit
        self.countTokens = countTokens
    }

    /// Throws `AggregationError.contextOverflow` naming `step` (with `hint`) when `prompt` plus
    /// `maxTokens` to generate does not fit `limit`.
    func ensureFits(_ prompt: ProblemPrompt, maxTokens: Int, step: String, hint: @autoclosure () -> String) async throws {
        let tokens = try await countTokens(prompt)
        if tokens + maxTokens > limit {
            throw AggregationError.contextOverflow(step: step, promptTokens: tokens, maxTokens: maxTokens, limit: limit, hint: hint())
        }
    }
}

/// What a strategy may use: the models, how to sample, and how to judge answers.
public struct StrategyContext: Sendable {
    /// The model that proposes samples, aggregates (MoA) and judges (best-of-N by judge).
    public var provider: any CompletionProvider
    /// Proposers for multi-model Mixture-of-Agents, one agent each; empty means `[provider]`.
    public var proposers: [any CompletionProvider]
    /// Sampling for proposals.
    public var parameters: SamplingParameters
    /// Sampling for aggregator and judge calls; nil means `parameters`.
    public var aggregatorParameters: SamplingParameters?
    /// The seed of the first sample; every later sample takes the next seed, in call order,
    /// so the same context and prompt reproduce the same calls.
    public var seed: UInt64
    /// How answers are put into classes for votes.
    public var grouping: AnswerGrouping
    /// The verifier best-of-N checks samples with, and the problem it checks them against
    /// (a problem with tests, or a reference answer). Nil when no verifier is configured.
    public var verifier: (any Verifier)?
    public var problem: Problem?
    /// The aggregator's context, for checking aggregator prompts; nil skips the check.
    public var contextWindow: ContextWindow?

    public init(provider: any CompletionProvider, proposers: [any CompletionProvider] = [],
                parameters: SamplingParameters = SamplingParameters(), aggregatorParameters: SamplingParameters? = nil,
                seed: UInt64 = 0, grouping: AnswerGrouping = .math, verifier: (any Verifier)? = nil,
                problem: Problem? = nil, contextWindow: ContextWindow? = nil) {
        self.provider = provider
        self.proposers = proposers
        self.parameters = parameters
        self.aggregatorParameters = aggregatorParameters
        self.seed = seed
        self.grouping = grouping
        self.verifier = verifier
        self.problem = problem
        self.contextWindow = contextWindow
    }
}

/// What a strategy spent answering one request.
public struct Spend: Codable, Sendable, Hashable {
    /// `CompletionProvider.complete` calls made (one call may carry many samples).
    public var modelCalls: Int = 0
    /// Completions drawn, over all calls (proposals, aggregations, judgements).
    public var samples: Int = 0
    /// Prompt tokens processed: each call's prompt counted once, because a call's samples
    /// share one prefill (the embedded engine) or one billed prompt (OpenAI's `n`).
    public var promptTokens: Int = 0
    /// Generated tokens, summed over every completion.
    public var completionTokens: Int = 0
    /// Wall time of the whole strategy, seconds.
    public var seconds: Double = 0

    public init(modelCalls: Int = 0, samples: Int = 0, promptTokens: Int = 0, completionTokens: Int = 0, seconds: Double = 0) {
        self.modelCalls = modelCalls
        self.samples = samples
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.seconds = seconds
    }
}

/// A strategy's answer, with what it cost and why it was chosen.
public struct StrategyResult: Codable, Sendable, Hashable {
    /// The response returned to the user: the chosen sample's full text, or the final synthesis.
    public var text: String
    /// The final answer extracted from `text` for grouping (the vote's class), when there is one.
    public var extractedAnswer: String?
    public var evidence: Evidence
    public var spend: Spend

    public init(text: String, extractedAnswer: String?, evidence: Evidence, spend: Spend) {
        self.text = text
        self.extractedAnswer = extractedAnswer
        self.evidence = evidence
        self.spend = spend
    }
}

/// Calls providers on a strategy's behalf: hands out seeds in order and adds up the spend.
struct CallLedger {
    private(set) var nextSeed: UInt64
    private(set) var spend = Spend()
    private let start = ContinuousClock.now

    init(seed: UInt64) { nextSeed = seed }

    /// `count` samples of `prompt` in one call, taking the next `count` seeds.
    /// Samples that failed (`finishReason == .error`) are returned as they are; a call that
    /// returns nothing at all is an error.
    mutating func sample(_ provider: any CompletionProvider, _ prompt: ProblemPrompt, _ parameters: SamplingParameters,
                         count: Int, role: CallRole, step: String) async throws -> [Completion] {
        let seeds = (0..<count).map { nextSeed &+ UInt64($0) }
        nextSeed &+= UInt64(count)
        let completions: [Completion]
        do {
            completions = try await provider.complete(CompletionRequest(prompt: prompt, parameters: parameters, seeds: seeds, role: role))
        } catch {
            throw AggregationError.providerFailed(model: provider.modelName, step: step, underlying: String(describing: error))
        }
        guard completions.count == count else {
            throw AggregationError.providerFailed(model: provider.modelName, step: step,
                                                  underlying: "asked for \(count) samples, got \(completions.count)")
        }
        spend.modelCalls += 1
        spend.samples += completions.count
        spend.promptTokens += completions.first?.promptTokens ?? 0
        spend.completionTokens += completions.reduce(0) { $0 + $1.completionTokens }
        return completions
    }

    /// The spend so far, with the wall time since the ledger was made.
    var finalSpend: Spend {
        var s = spend
        let elapsed = ContinuousClock.now - start
        s.seconds = elapsed.inSeconds
        return s
    }
}
