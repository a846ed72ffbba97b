import ScalingCore

/// `POST /v1/chat/completions` request body (the subset Quorum reads and sends).
///
/// Decoding is lenient like OpenAI's: unknown fields are ignored; known fields of the
/// wrong type are errors.
public struct ChatCompletionRequest: Codable, Sendable, Hashable {
    /// A model name, or `STRATEGY[:PARAMS]@MODEL` (see `ModelReference`).
    public var model: String
    public var messages: [ChatCompletionMessage]
    public var temperature: Double?
    public var topP: Double?
    /// Choices to return (default 1).
    public var n: Int?
    public var stream: Bool?
    public var streamOptions: StreamOptions?
    public var stop: StopSequences?
    /// Deprecated by OpenAI in favour of `maxCompletionTokens`; both are read.
    public var maxTokens: Int?
    public var maxCompletionTokens: Int?
    public var seed: Int64?
    public var logprobs: Bool?
    /// Alternatives per token, 0 to 20; needs `logprobs: true`.
    public var topLogprobs: Int?
    public var presencePenalty: Double?
    public var frequencyPenalty: Double?
    public var user: String?
    /// Quorum's extension: a strategy per request.
    public var quorum: QuorumRequestOptions?
    /// vLLM's extensions, which Quorum's client sends: sample from the k most likely tokens
    /// (-1 or 0: off), and drop tokens below this fraction of the most likely one.
    public var topK: Int?
    public var minP: Double?

    public init(model: String, messages: [ChatCompletionMessage], temperature: Double? = nil, topP: Double? = nil,
                n: Int? = nil, stream: Bool? = nil, streamOptions: StreamOptions? = nil, stop: StopSequences? = nil,
                maxTokens: Int? = nil, maxCompletionTokens: Int? = nil, seed: Int64? = nil, logprobs: Bool? = nil,
                topLogprobs: Int? = nil, presencePenalty: Double? = nil, frequencyPenalty: Double? = nil,
                user: String? = nil, quorum: QuorumRequestOptions? = nil, topK: Int? = nil, minP: Double? = nil) {
        self.model = model
        self.messages = messages
        self.temperature = temperature
        self.topP = topP
        self.n = n
        self.stream = stream
        self.streamOptions = streamOptions
        self.stop = stop
        self.maxTokens = maxTokens
        self.maxCompletionTokens = maxCompletionTokens
        self.seed = seed
        self.logprobs = logprobs
        self.topLogprobs = topLogprobs
        self.presencePenalty = presencePenalty
        self.frequencyPenalty = frequencyPenalty
        self.user = user
        self.quorum = quorum
        self.topK = topK
        self.minP = minP
    }

    /// `max_completion_tokens`, else `max_tokens`.
    public var effectiveMaxTokens: Int? { maxCompletionTokens ?? maxTokens }

    enum CodingKeys: String, CodingKey {
        case model, messages, temperature, topP = "top_p", n, stream, streamOptions = "stream_options", stop
        case maxTokens = "max_tokens", maxCompletionTokens = "max_completion_tokens", seed, logprobs
        case topLogprobs = "top_logprobs", presencePenalty = "presence_penalty"
        case frequencyPenalty = "frequency_penalty", user, quorum, topK = "top_k", minP = "min_p"
    }
}

/// One chat message on the wire. `content` may be a string, an array of content parts
/// (their `text` parts are joined) or null (an assistant message with tool calls).
public struct ChatCompletionMessage: Codable, Sendable, Hashable {
    public var role: String
    public var content: String?
    public var name: String?

    public init(role: String, content: String?, name: String? = nil) {
        self.role = role
        self.content = content
        self.name = name
    }

    enum CodingKeys: String, CodingKey { case role, content, name }

    private struct ContentPart: Decodable {
        var type: String
        var text: String?
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        role = try c.decode(String.self, forKey: .role)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        if try c.decodeNil(forKey: .content) {
            content = nil
        } else if let text = try? c.decode(String.self, forKey: .content) {
            content = text
        } else if let parts = try? c.decode([ContentPart].self, forKey: .content) {
            guard parts.allSatisfy({ $0.type == "text" && $0.text != nil }) else {
                throw DecodingError.dataCorruptedError(forKey: .content, in: c,
                    debugDescription: "only text content parts ({\"type\": \"text\", \"text\": ...}) are supported")
            }
            content = parts.compactMap(\.text).joined()
        } else {
            throw DecodingError.typeMismatch(String.self, DecodingError.Context(
                codingPath: c.codingPath + [CodingKeys.content],
                debugDescription: "expected a string, an array of text parts or null"))
        }
    }

    /// Encodes `content` as `null` when absent, as OpenAI does.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(role, forKey: .role)
        try c.encode(content, forKey: .content)
        try c.encodeIfPresent(name, forKey: .name)
    }
}

/// `POST /v1/chat/completions` response (not streamed).
public struct ChatCompletionResponse: Codable, Sendable, Hashable {
    public var id: String
    public var object: String
    /// Unix seconds.
    public var created: Int
    public var model: String
    public var choices: [ChatCompletionChoice]
    public var usage: Usage?
    public var systemFingerprint: String?
    /// Quorum's extension: the strategy's evidence and spend.
    public var quorum: QuorumResponseInfo?

    public init(id: String, created: Int, model: String, choices: [ChatCompletionChoice], usage: Usage?,
                systemFingerprint: String? = nil, quorum: QuorumResponseInfo? = nil) {
        self.id = id
        object = "chat.completion"
        self.created = created
        self.model = model
        self.choices = choices
        self.usage = usage
        self.systemFingerprint = systemFingerprint
        self.quorum = quorum
    }

    enum CodingKeys: String, CodingKey {
        case id, object, created, model, choices, usage, systemFingerprint = "system_fingerprint", quorum
    }
}

/// One choice of a chat completion.
public struct ChatCompletionChoice: Codable, Sendable, Hashable {
    public var index: Int
    public var message: ChatCompletionMessage
    public var logprobs: ChatLogprobs?
    /// `stop`, `length` (or another server's reason); nil only from lax servers.
    public var finishReason: String?

    public init(index: Int, message: ChatCompletionMessage, logprobs: ChatLogprobs? = nil, finishReason: String?) {
        self.index = index
        self.message = message
        self.logprobs = logprobs
        self.finishReason = finishReason
    }

    enum CodingKeys: String, CodingKey { case index, message, logprobs, finishReason = "finish_reason" }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(index, forKey: .index)
        try c.encode(message, forKey: .message)
        try c.encode(logprobs, forKey: .logprobs)
        try c.encode(finishReason, forKey: .finishReason)
    }
}

/// One server-sent event of a streamed chat completion (`data: {...}`).
public struct ChatCompletionChunk: Codable, Sendable, Hashable {
    public var id: String
    public var object: String
    public var created: Int
    public var model: String
    /// Empty in the final usage chunk and in Quorum's progress chunks.
    public var choices: [ChatCompletionChunkChoice]
    /// Only in the last chunk, when `stream_options.include_usage` is set.
    public var usage: Usage?
    /// Quorum's extension: strategy progress, and evidence in the last chunk.
    public var quorum: QuorumResponseInfo?

    public init(id: String, created: Int, model: String, choices: [ChatCompletionChunkChoice], usage: Usage? = nil,
                quorum: QuorumResponseInfo? = nil) {
        self.id = id
        object = "chat.completion.chunk"
        self.created = created
        self.model = model
        self.choices = choices
        self.usage = usage
        self.quorum = quorum
    }
}

/// One choice's increment in a chunk.
public struct ChatCompletionChunkChoice: Codable, Sendable, Hashable {
    public var index: Int
    public var delta: ChatCompletionDelta
    public var logprobs: ChatLogprobs?
    public var finishReason: String?

    public init(index: Int, delta: ChatCompletionDelta, logprobs: ChatLogprobs? = nil, finishReason: String? = nil) {
        self.index = index
        self.delta = delta
        self.logprobs = logprobs
        self.finishReason = finishReason
    }

    enum CodingKeys: String, CodingKey { case index, delta, logprobs, finishReason = "finish_reason" }

    /// Writes `finish_reason: null` while the choice runs, as OpenAI does.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(index, forKey: .index)
        try c.encode(delta, forKey: .delta)
        try c.encodeIfPresent(logprobs, forKey: .logprobs)
        try c.encode(finishReason, forKey: .finishReason)
    }
}

/// New text of a streamed message: the first chunk of a choice carries the role.
public struct ChatCompletionDelta: Codable, Sendable, Hashable {
    public var role: String?
    public var content: String?

    public init(role: String? = nil, content: String? = nil) {
        self.role = role
        self.content = content
    }
}

/// Quorum's response extension (`"quorum": {...}`): which strategy answered, how far it
/// has got (streamed progress), and, at the end, its evidence and spend.
public struct QuorumResponseInfo: Codable, Sendable, Hashable {
    /// The strategy spec that ran, normalised (`self-consistency:8`).
    public var strategy: String
    /// Progress while the strategy runs (streaming only).
    public var progress: StrategyProgress?
    /// The strategy's extracted final answer, when it has one.
    public var answer: String?
    /// Why the strategy answered as it did (Aggregation's `Evidence`, as JSON).
    public var evidence: JSONValue?
    /// What the strategy spent (Aggregation's `Spend`, as JSON).
    public var spend: JSONValue?

    public init(strategy: String, progress: StrategyProgress? = nil, answer: String? = nil,
                evidence: JSONValue? = nil, spend: JSONValue? = nil) {
        self.strategy = strategy
        self.progress = progress
        self.answer = answer
        self.evidence = evidence
        self.spend = spend
    }
}

/// How far a strategy has got: samples finished out of those asked for so far, and the
/// vote among the finished ones.
public struct StrategyProgress: Codable, Sendable, Hashable {
    /// Samples finished so far, over all the strategy's calls.
    public var completedSamples: Int
    /// Samples requested so far (grows as the strategy makes further calls).
    public var requestedSamples: Int
    /// Current vote: each answer with its count among finished samples, largest first.
    public var vote: [VoteTally]

    public init(completedSamples: Int, requestedSamples: Int, vote: [VoteTally] = []) {
        self.completedSamples = completedSamples
        self.requestedSamples = requestedSamples
        self.vote = vote
    }

    enum CodingKeys: String, CodingKey {
        case completedSamples = "completed_samples", requestedSamples = "requested_samples", vote
    }
}

/// One answer's count in a running vote.
public struct VoteTally: Codable, Sendable, Hashable {
    public var answer: String
    public var count: Int

    public init(answer: String, count: Int) {
        self.answer = answer
        self.count = count
    }
}
