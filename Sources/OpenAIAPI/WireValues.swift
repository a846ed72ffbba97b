import Foundation

/// `stop`: OpenAI accepts one string or an array of strings; both decode to a list.
public struct StopSequences: Codable, Sendable, Hashable, ExpressibleByArrayLiteral {
    public var values: [String]

    public init(_ values: [String]) { self.values = values }
    public init(arrayLiteral elements: String...) { values = elements }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            values = []
        } else if let one = try? container.decode(String.self) {
            values = [one]
        } else if let many = try? container.decode([String].self) {
            values = many
        } else {
            throw DecodingError.typeMismatch(StopSequences.self, DecodingError.Context(
                codingPath: decoder.codingPath, debugDescription: "expected a string or an array of strings"))
        }
    }

    /// Encodes as an array (OpenAI servers accept either form).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(values)
    }
}

/// `stream_options`.
public struct StreamOptions: Codable, Sendable, Hashable {
    /// Send a last chunk with `usage` (and no choices) before `[DONE]`.
    public var includeUsage: Bool?

    public init(includeUsage: Bool? = nil) { self.includeUsage = includeUsage }

    enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
}

/// Token counts of one response: for a strategy, every token it spent.
public struct Usage: Codable, Sendable, Hashable {
    public var promptTokens: Int
    public var completionTokens: Int
    public var totalTokens: Int

    public init(promptTokens: Int, completionTokens: Int, totalTokens: Int? = nil) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.totalTokens = totalTokens ?? promptTokens + completionTokens
    }

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens", completionTokens = "completion_tokens", totalTokens = "total_tokens"
    }
}

/// Quorum's request extension (`"quorum": {"strategy": "self-consistency:8"}`): the
/// inference-time strategy to answer with, as `StrategySpec` parses it. OpenAI clients
/// send it through their extra-body option.
public struct QuorumRequestOptions: Codable, Sendable, Hashable {
    /// `NAME[:PARAMS]`, e.g. `best-of-n:8,score=logprob`.
    public var strategy: String?
    /// Send progress chunks while a strategy runs (streaming only; default true).
    public var progress: Bool?

    public init(strategy: String? = nil, progress: Bool? = nil) {
        self.strategy = strategy
        self.progress = progress
    }
}

/// The `model` field split at the reserved delimiter `@`: `STRATEGY[:PARAMS]@MODEL`.
public struct ModelReference: Sendable, Hashable {
    /// The strategy part before `@`, nil when the name has no `@`.
    public var strategy: String?
    /// The model's name.
    public var model: String

    /// The delimiter between strategy and model; model names never contain it.
    public static let delimiter: Character = "@"

    /// Splits at the last `@` (a strategy spec never contains one).
    public init(parsing name: String) {
        if let at = name.lastIndex(of: Self.delimiter) {
            strategy = String(name[..<at])
            model = String(name[name.index(after: at)...])
        } else {
            strategy = nil
            model = name
        }
    }

    public init(strategy: String?, model: String) {
        self.strategy = strategy
        self.model = model
    }

    /// `STRATEGY@MODEL`, or the model alone.
    public var name: String { strategy.map { "\($0)@\(model)" } ?? model }
}

/// `GET /v1/models`.
public struct ModelList: Codable, Sendable, Hashable {
    public var object: String
    public var data: [ModelInfo]

    public init(data: [ModelInfo]) {
        object = "list"
        self.data = data
    }
}

/// One entry of `/v1/models`.
public struct ModelInfo: Codable, Sendable, Hashable {
    public var id: String
    public var object: String
    /// Unix seconds.
    public var created: Int
    public var ownedBy: String

    public init(id: String, created: Int, ownedBy: String = "quorum") {
        self.id = id
        object = "model"
        self.created = created
        self.ownedBy = ownedBy
    }

    enum CodingKeys: String, CodingKey { case id, object, created, ownedBy = "owned_by" }
}

/// The body of every error response: `{"error": {"message", "type", "param", "code"}}`.
public struct ErrorResponse: Codable, Sendable, Hashable, Error {
    public var error: APIErrorDetail

    public init(error: APIErrorDetail) { self.error = error }

    public init(message: String, type: String = "invalid_request_error", param: String? = nil, code: String? = nil) {
        error = APIErrorDetail(message: message, type: type, param: param, code: code)
    }
}

/// What went wrong, as OpenAI reports it. `param` and `code` are written as `null` when absent.
public struct APIErrorDetail: Codable, Sendable, Hashable {
    public var message: String
    /// `invalid_request_error`, `authentication_error`, `rate_limit_error`, `server_error`, ...
    public var type: String
    /// The request field at fault, when one is.
    public var param: String?
    /// A machine-readable code (`model_not_found`, `invalid_api_key`, ...).
    public var code: String?

    public init(message: String, type: String, param: String? = nil, code: String? = nil) {
        self.message = message
        self.type = type
        self.param = param
        self.code = code
    }

    enum CodingKeys: String, CodingKey { case message, type, param, code }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        message = try c.decodeIfPresent(String.self, forKey: .message) ?? ""
        type = try c.decodeIfPresent(String.self, forKey: .type) ?? ""
        param = try? c.decodeIfPresent(String.self, forKey: .param)
        // Some servers send a numeric code.
        if let text = try? c.decodeIfPresent(String.self, forKey: .code) {
            code = text
        } else if let number = try? c.decodeIfPresent(Int.self, forKey: .code) {
            code = String(number)
        } else {
            code = nil
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(message, forKey: .message)
        try c.encode(type, forKey: .type)
        try c.encode(param, forKey: .param)
        try c.encode(code, forKey: .code)
    }
}

/// JSON coders configured for the wire: no key conversion (the types name their keys),
/// sorted keys for stable output.
public enum OpenAIJSON {
    public static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    public static func makeDecoder() -> JSONDecoder { JSONDecoder() }
}
