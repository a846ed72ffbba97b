import ScalingCore

/// How `quorum serve` listens and what it admits.
public struct ServerConfiguration: Sendable {
    public var host: String
    /// 0 picks a free port (the bound one is reported through `OpenAIServer.run(onListening:)`).
    public var port: Int
    /// Bearer key every `/v1` request must carry; nil serves without a key.
    public var apiKey: String?
    /// The largest `n` a request may ask for (and the largest sample count of a strategy).
    public var maxN: Int
    /// Requests generating at once; more wait in the queue.
    public var maxConcurrency: Int
    /// Requests waiting for a slot; more get 429 with Retry-After.
    public var maxQueue: Int
    /// Seconds a request may take from arrival to its last byte of answer.
    public var timeoutSeconds: Double
    /// The largest request body, bytes.
    public var maxBodyBytes: Int
    /// The largest `max_tokens` a request may ask for; nil means the model's context.
    public var maxTokensLimit: Int?
    /// `max_tokens` when a chat request gives none (legacy completions default to 16, as OpenAI's).
    public var defaultMaxTokens: Int
    /// Bounds on strategy parameters and on the calls and tokens a strategy request may spend.
    public var strategyLimits: StrategyLimits
    /// Seconds a connection may stay idle, or sit on a request head it has not finished
    /// sending, before the server closes it (a request being answered is not idle).
    public var idleTimeoutSeconds: Double

    public init(host: String = "127.0.0.1", port: Int = 8080, apiKey: String? = nil, maxN: Int = 16,
                maxConcurrency: Int = 8, maxQueue: Int = 64, timeoutSeconds: Double = 300,
                maxBodyBytes: Int = 1 << 20, maxTokensLimit: Int? = nil, defaultMaxTokens: Int = 256,
                strategyLimits: StrategyLimits = StrategyLimits(), idleTimeoutSeconds: Double = 30) {
        self.host = host
        self.port = port
        self.apiKey = apiKey
        self.maxN = maxN
        self.maxConcurrency = maxConcurrency
        self.maxQueue = maxQueue
        self.timeoutSeconds = timeoutSeconds
        self.maxBodyBytes = maxBodyBytes
        self.maxTokensLimit = maxTokensLimit
        self.defaultMaxTokens = defaultMaxTokens
        self.strategyLimits = strategyLimits
        self.idleTimeoutSeconds = idleTimeoutSeconds
    }

    /// The sample count of a strategy request that gives none.
    var defaultStrategySamples: Int { min(8, maxN) }
}

/// The model behind the server: any `CompletionProvider`, with what the server needs to
/// check requests against it.
public struct ServedModel: Sendable {
    public var provider: any CompletionProvider
    /// The name clients send as `model` (also listed by `/v1/models`).
    public var name: String
    /// Other names accepted for it (a file name, a catalog alias).
    public var aliases: [String]
    /// Context length, tokens: prompt plus `max_tokens` must fit.
    public var contextLength: Int
    /// The prompt's token count as the model sees it (chat template applied).
    public var countTokens: @Sendable (ProblemPrompt) async throws -> Int
    /// What the engine holds now, shown by `/health` as `engine`; nil for a provider
    /// without one (an HTTP backend).
    public var engineLoad: (@Sendable () -> EngineLoad)?

    public init(provider: any CompletionProvider, name: String? = nil, aliases: [String] = [], contextLength: Int,
                countTokens: @escaping @Sendable (ProblemPrompt) async throws -> Int) {
        self.provider = provider
        self.name = name ?? provider.modelName
        self.aliases = aliases
        self.contextLength = contextLength
        self.countTokens = countTokens
    }

    func matches(_ name: String) -> Bool {
        name == self.name || aliases.contains(name)
    }
}

/// The engine's requests as `/health` shows them: whether a timed-out or abandoned
/// request really left the engine can be seen here.
public struct EngineLoad: Sendable, Hashable {
    /// Requests in the engine's batch now (holding decode rows and KV pages).
    public var running: Int
    /// Requests waiting for room in the batch.
    public var queued: Int
    /// Requests cancelled (timed out, client gone) since the engine started.
    public var cancelled: Int

    public init(running: Int, queued: Int, cancelled: Int) {
        self.running = running
        self.queued = queued
        self.cancelled = cancelled
    }
}
