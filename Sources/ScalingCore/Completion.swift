/// How to sample: the knobs every backend understands (OpenAI's names where they exist).
///
/// The one description of how to sample, shared by the engine, the OpenAI client, runs and
/// every command; the defaults here are the project's defaults (temperature 0.6, as the
/// Large Language Monkeys sample; 256 new tokens) and a nil knob means "off" (for a
/// server, "its default", which for these knobs is off). The
/// embedded engine resolves it once, at its boundary, into `GenerationOptions`.
public struct SamplingParameters: Codable, Sendable, Hashable {
    /// 0 means greedy decoding.
    public var temperature: Double
    public var topK: Int?
    public var topP: Double?
    public var minP: Double?
    public var repetitionPenalty: Double?
    public var frequencyPenalty: Double?
    public var presencePenalty: Double?
    /// Upper bound on generated tokens per sample.
    public var maxTokens: Int
    /// Generation stops before any of these strings; the string is not included.
    public var stop: [String]
    /// How many alternatives to report per generated token (0 = chosen token only, nil = none).
    public var logprobs: Int?

    public init(temperature: Double = 0.6, topK: Int? = nil, topP: Double? = nil, minP: Double? = nil,
                repetitionPenalty: Double? = nil, frequencyPenalty: Double? = nil, presencePenalty: Double? = nil,
                maxTokens: Int = 256, stop: [String] = [], logprobs: Int? = nil) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.frequencyPenalty = frequencyPenalty
        self.presencePenalty = presencePenalty
        self.maxTokens = maxTokens
        self.stop = stop
        self.logprobs = logprobs
    }
}

/// Why a sample ended.
public enum FinishReason: String, Codable, Sendable, Hashable {
    /// An end-of-generation token or a stop string.
    case stop
    /// `maxTokens` (or the context) ran out.
    case length
    /// The backend failed for this sample; see the completion's `error`.
    case error
}

/// One sample and what it cost.
public struct Completion: Codable, Sendable, Hashable {
    public var text: String
    public var finishReason: FinishReason
    /// The seed this sample was drawn with (same seed, same text on the embedded engine).
    public var seed: UInt64?
    public var promptTokens: Int
    public var completionTokens: Int
    /// Wall time attributed to this sample, seconds.
    public var seconds: Double
    /// Sum of the chosen tokens' log-probabilities, when the backend reports them.
    ///
    /// Over the content tokens only: a final end-of-text token is not counted. OpenAI-compatible
    /// servers (vLLM, llama.cpp's server, `quorum serve`) do not report the stop token's
    /// log-probability, so this is the sum a client can always compute, and the embedded
    /// engine gives the same sum as the same model served. (`completionTokens` does count
    /// the end-of-text token, as `quorum serve`'s `usage` does.)
    public var logprobSum: Double?
    /// What went wrong, for `finishReason == .error`.
    public var error: String?

    public init(text: String, finishReason: FinishReason, seed: UInt64? = nil, promptTokens: Int,
                completionTokens: Int, seconds: Double, logprobSum: Double? = nil, error: String? = nil) {
        self.text = text
        self.finishReason = finishReason
        self.seed = seed
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.seconds = seconds
        self.logprobSum = logprobSum
        self.error = error
    }

    /// Length-normalised log-probability (mean over generated tokens), for weighted votes.
    public var meanLogprob: Double? {
        guard let logprobSum, completionTokens > 0 else { return nil }
        return logprobSum / Double(completionTokens)
    }
}

/// A request for `seeds.count` samples of one prompt.
public struct CompletionRequest: Sendable, Hashable {
    public var prompt: ProblemPrompt
    public var parameters: SamplingParameters
    /// One seed per sample: the request asks for `seeds.count` samples.
    public var seeds: [UInt64]
    /// What the call is for within a strategy. Providers sample the same whatever the role;
    /// it lets a wrapper tell calls apart without reading prompts (an evaluation over a
    /// stored run serves proposals from the stored samples and makes the other calls).
    public var role: CallRole

    public init(prompt: ProblemPrompt, parameters: SamplingParameters, seeds: [UInt64], role: CallRole = .proposal) {
        self.prompt = prompt
        self.parameters = parameters
        self.seeds = seeds
        self.role = role
    }
}

/// The part a model call plays in answering a request.
public enum CallRole: String, Codable, Sendable, Hashable, CaseIterable {
    /// A sample of the question itself (a run's samples, a vote's ballots, MoA's first layer).
    case proposal
    /// A call shown other answers to synthesise one (a Mixture-of-Agents aggregator or later layer).
    case aggregation
    /// A call that scores or compares answers (an LLM judge).
    case judgement
}

/// Anything that turns prompts into samples: the embedded engine, an OpenAI-compatible
/// server. Strategies, runs and the server reach models only through this protocol.
public protocol CompletionProvider: Sendable {
    /// The model's name as reports show it.
    var modelName: String { get }
    /// Samples `request.seeds.count` completions, in seed order. A sample that fails
    /// comes back with `finishReason == .error`; the call throws only when nothing could run.
    func complete(_ request: CompletionRequest) async throws -> [Completion]
}

/// A failure that retrying the same request cannot fix: the prompt is longer than the
/// model's context, the server refused the request as malformed. A run records such a
/// failure as permanent and does not ask again; other errors (timeouts, overload) are
/// retried when the run resumes.
public protocol PermanentFailure: Error {
    /// Whether this error would recur on every retry of the same request.
    var isPermanent: Bool { get }
}

extension Error {
    /// Whether this error is one a retry of the same request cannot fix (`PermanentFailure`).
    public var isPermanentFailure: Bool { (self as? any PermanentFailure)?.isPermanent ?? false }
}
