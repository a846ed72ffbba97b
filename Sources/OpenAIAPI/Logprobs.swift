/// Chat completions' `logprobs`: `{"content": [{token, logprob, bytes, top_logprobs}]}`.
public struct ChatLogprobs: Codable, Sendable, Hashable {
    /// One entry per generated token; nil when the server sent `null`.
    public var content: [TokenLogprob]?

    public init(content: [TokenLogprob]?) { self.content = content }
}

/// One generated token with its log-probability and the most likely alternatives.
public struct TokenLogprob: Codable, Sendable, Hashable {
    public var token: String
    /// Natural log of the token's probability.
    public var logprob: Double
    /// The token's UTF-8 bytes (a token may be part of a character).
    public var bytes: [Int]?
    /// The `top_logprobs` most likely tokens at this position, most likely first.
    public var topLogprobs: [TopLogprob]

    public init(token: String, logprob: Double, bytes: [Int]? = nil, topLogprobs: [TopLogprob] = []) {
        self.token = token
        self.logprob = logprob
        self.bytes = bytes
        self.topLogprobs = topLogprobs
    }

    enum CodingKeys: String, CodingKey { case token, logprob, bytes, topLogprobs = "top_logprobs" }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        token = try c.decode(String.self, forKey: .token)
        logprob = try c.decode(Double.self, forKey: .logprob)
        bytes = try c.decodeIfPresent([Int].self, forKey: .bytes)
        topLogprobs = try c.decodeIfPresent([TopLogprob].self, forKey: .topLogprobs) ?? []
    }
}

/// An alternative token at one position.
public struct TopLogprob: Codable, Sendable, Hashable {
    public var token: String
    public var logprob: Double
    public var bytes: [Int]?

    public init(token: String, logprob: Double, bytes: [Int]? = nil) {
        self.token = token
        self.logprob = logprob
        self.bytes = bytes
    }
}

/// Legacy completions' `logprobs`: parallel arrays, one entry per generated token.
public struct TextLogprobs: Codable, Sendable, Hashable {
    public var tokens: [String]
    public var tokenLogprobs: [Double?]
    /// Per position, the alternatives as `token: logprob`.
    public var topLogprobs: [[String: Double]?]
    /// Character offset of each token in the returned text.
    public var textOffset: [Int]

    public init(tokens: [String], tokenLogprobs: [Double?], topLogprobs: [[String: Double]?], textOffset: [Int]) {
        self.tokens = tokens
        self.tokenLogprobs = tokenLogprobs
        self.topLogprobs = topLogprobs
        self.textOffset = textOffset
    }

    enum CodingKeys: String, CodingKey {
        case tokens, tokenLogprobs = "token_logprobs", topLogprobs = "top_logprobs", textOffset = "text_offset"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        tokens = try c.decodeIfPresent([String].self, forKey: .tokens) ?? []
        tokenLogprobs = try c.decodeIfPresent([Double?].self, forKey: .tokenLogprobs) ?? []
        topLogprobs = try c.decodeIfPresent([[String: Double]?].self, forKey: .topLogprobs) ?? []
        textOffset = try c.decodeIfPresent([Int].self, forKey: .textOffset) ?? []
    }
}
