/// `POST /v1/completions` (legacy) request body.
public struct TextCompletionRequest: Codable, Sendable, Hashable {
    /// A model name, or `STRATEGY[:PARAMS]@MODEL`.
    public var model: String
    public var prompt: CompletionPrompt
    public var temperature: Double?
    public var topP: Double?
    public var n: Int?
    public var stream: Bool?
    public var streamOptions: StreamOptions?
    public var stop: StopSequences?
    /// Default 16, as OpenAI's.
    public var maxTokens: Int?
    public var seed: Int64?
    /// Alternatives per token, 0 to 5 in OpenAI's API; nil asks for no log-probabilities.
    public var logprobs: Int?
    /// Prepend the prompt to each choice's text.
    public var echo: Bool?
    public var presencePenalty: Double?
    public var frequencyPenalty: Double?
    public var user: String?
    public var quorum: QuorumRequestOptions?
    /// vLLM's extensions, which Quorum's client sends: sample from the k most likely tokens
    /// (-1 or 0: off), and drop tokens below this fraction of the most likely one.
    public var topK: Int?
    public var minP: Double?

    public init(model: String, prompt: CompletionPrompt, temperature: Double? = nil, topP: Double? = nil, n: Int? = nil,
                stream: Bool? = nil, streamOptions: StreamOptions? = nil, stop: StopSequences? = nil,
                maxTokens: Int? = nil, seed: Int64? = nil, logprobs: Int? = nil, echo: Bool? = nil,
                presencePenalty: Double? = nil, frequencyPenalty: Double? = nil, user: String? = nil,
                quorum: QuorumRequestOptions? = nil, topK: Int? = nil, minP: Double? = nil) {
        self.model = model
        self.prompt = prompt
        self.temperature = temperature
        self.topP = topP
        self.n = n
        self.stream = stream
        self.streamOptions = streamOptions
        self.stop = stop
        self.maxTokens = maxTokens
        self.seed = seed
        self.logprobs = logprobs
        self.echo = echo
        self.presencePenalty = presencePenalty
        self.frequencyPenalty = frequencyPenalty
        self.user = user
        self.quorum = quorum
        self.topK = topK
        self.minP = minP
    }

    enum CodingKeys: String, CodingKey {
        case model, prompt, temperature, topP = "top_p", n, stream, streamOptions = "stream_options", stop
        case maxTokens = "max_tokens", seed, logprobs, echo, presencePenalty = "presence_penalty"
        case frequencyPenalty = "frequency_penalty", user, quorum, topK = "top_k", minP = "min_p"
    }
}

/// A legacy prompt: one string or a batch of strings (token-id prompts are not accepted).
public enum CompletionPrompt: Codable, Sendable, Hashable {
    case text(String)
    case batch([String])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self = .text(text)
        } else if let batch = try? container.decode([String].self) {
            self = .batch(batch)
        } else {
            throw DecodingError.typeMismatch(CompletionPrompt.self, DecodingError.Context(
                codingPath: decoder.codingPath, debugDescription: "expected a string or an array of strings"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .text(let text): try container.encode(text)
        case .batch(let batch): try container.encode(batch)
        }
    }

    /// The prompts, one per entry.
    public var texts: [String] {
        switch self {
        case .text(let text): [text]
        case .batch(let batch): batch
        }
    }
}

/// `POST /v1/completions` response (not streamed), and each streamed chunk (`object`
/// `text_completion` in both, as OpenAI sends them).
public struct TextCompletionResponse: Codable, Sendable, Hashable {
    public var id: String
    public var object: String
    public var created: Int
    public var model: String
    public var choices: [TextCompletionChoice]
    public var usage: Usage?
    public var systemFingerprint: String?
    public var quorum: QuorumResponseInfo?

    public init(id: String, created: Int, model: String, choices: [TextCompletionChoice], usage: Usage?,
                systemFingerprint: String? = nil, quorum: QuorumResponseInfo? = nil) {
        self.id = id
        object = "text_completion"
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

/// A streamed legacy completion chunk has the response's shape.
public typealias TextCompletionChunk = TextCompletionResponse

/// One choice of a legacy completion.
public struct TextCompletionChoice: Codable, Sendable, Hashable {
    public var index: Int
    public var text: String
    public var logprobs: TextLogprobs?
    public var finishReason: String?

    public init(index: Int, text: String, logprobs: TextLogprobs? = nil, finishReason: String?) {
        self.index = index
        self.text = text
        self.logprobs = logprobs
        self.finishReason = finishReason
    }

    enum CodingKeys: String, CodingKey { case index, text, logprobs, finishReason = "finish_reason" }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(index, forKey: .index)
        try c.encode(text, forKey: .text)
        try c.encode(logprobs, forKey: .logprobs)
        try c.encode(finishReason, forKey: .finishReason)
    }
}
