import Foundation
import OpenAIAPI

/// Why the server refused or failed a request. Each case maps to one HTTP status and an
/// OpenAI-shaped error body (`ErrorResponse`) whose message says what was wrong and what to do.
public enum ServerError: Error, Sendable, Equatable, CustomStringConvertible, LocalizedError {
    /// The body is not JSON, or a field has the wrong type (`field` is its JSON path).
    case invalidJSON(field: String?, detail: String)
    /// A field has a value out of range or not allowed (`expected` says what is).
    case invalidValue(field: String, value: String, expected: String)
    /// A required field is absent.
    case missingField(String)
    /// The model name matches no served model.
    case unknownModel(name: String, served: [String])
    /// The strategy part of the model name or `quorum.strategy` did not parse.
    case invalidStrategy(field: String, detail: String)
    /// The prompt plus the tokens asked for do not fit in the model's context.
    case contextExceeded(field: String, promptTokens: Int, maxTokens: Int, contextLength: Int)
    /// The body is larger than the configured limit.
    case bodyTooLarge(limit: Int)
    /// No or a wrong API key.
    case unauthorized
    /// Every slot and queue place is taken.
    case overloaded(retryAfterSeconds: Int)
    /// The request did not finish within the configured time.
    case timedOut(seconds: Double)
    /// The model failed (not the client's fault).
    case modelFailed(String)

    public var description: String {
        switch self {
        case .invalidJSON(let field, let detail):
            return field.map { "Invalid request body at '\($0)': \(detail)" } ?? "Invalid request body: \(detail)"
        case .invalidValue(let field, let value, let expected):
            return "Invalid value for '\(field)': \(value). Expected \(expected)."
        case .missingField(let field):
            return "Missing required parameter: '\(field)'."
        case .unknownModel(let name, let served):
            return "The model '\(name)' does not exist on this server. Served models: \(served.joined(separator: ", ")). "
                + "A strategy goes before the model name: STRATEGY[:PARAMS]@MODEL."
        case .invalidStrategy(let field, let detail):
            return "Invalid strategy in '\(field)': \(detail)"
        case .contextExceeded(_, let prompt, let maxTokens, let context):
            return "This model's context is \(context) tokens; the prompt has \(prompt) and max_tokens asks for \(maxTokens) more. "
                + "Shorten the prompt or lower max_tokens."
        case .bodyTooLarge(let limit):
            return "The request body exceeds \(limit) bytes."
        case .unauthorized:
            return "Incorrect or missing API key: send it as 'Authorization: Bearer KEY'."
        case .overloaded(let seconds):
            return "The server is at its concurrency and queue limits; retry after \(seconds) s."
        case .timedOut(let seconds):
            return "The request did not finish within \(seconds) s (the server's --timeout)."
        case .modelFailed(let detail):
            return "The model failed: \(detail)"
        }
    }

    public var errorDescription: String? { description }

    /// The HTTP status: 4xx for everything the client can fix, 5xx only for the server's own failures.
    public var status: Int {
        switch self {
        case .invalidJSON, .invalidValue, .missingField, .invalidStrategy, .contextExceeded: 400
        case .unauthorized: 401
        case .unknownModel: 404
        case .bodyTooLarge: 413
        case .overloaded: 429
        case .timedOut: 504
        case .modelFailed: 500
        }
    }

    /// The error body.
    public var body: ErrorResponse {
        switch self {
        case .invalidJSON(let field, _):
            ErrorResponse(message: description, param: field, code: "invalid_json")
        case .invalidValue(let field, _, _):
            ErrorResponse(message: description, param: field, code: "invalid_value")
        case .missingField(let field):
            ErrorResponse(message: description, param: field, code: "missing_required_parameter")
        case .unknownModel:
            ErrorResponse(message: description, param: "model", code: "model_not_found")
        case .invalidStrategy(let field, _):
            ErrorResponse(message: description, param: field, code: "invalid_strategy")
        case .contextExceeded(let field, _, _, _):
            ErrorResponse(message: description, param: field, code: "context_length_exceeded")
        case .bodyTooLarge:
            ErrorResponse(message: description, code: "request_too_large")
        case .unauthorized:
            ErrorResponse(message: description, type: "authentication_error", code: "invalid_api_key")
        case .overloaded:
            ErrorResponse(message: description, type: "rate_limit_error", code: "rate_limit_exceeded")
        case .timedOut:
            ErrorResponse(message: description, type: "timeout_error", code: "timeout")
        case .modelFailed:
            ErrorResponse(message: description, type: "server_error", code: "model_failed")
        }
    }

    /// The integer fields of the request bodies, for naming one whose number does not fit.
    static let integerFields = ["n", "max_tokens", "max_completion_tokens", "seed", "top_logprobs", "logprobs"]

    /// Describes a `DecodingError` by the JSON path it happened at. `body` tells valid JSON
    /// whose number does not fit its field (which the decoder reports as invalid JSON) from
    /// text that is not JSON.
    init(decoding error: any Error, body: Data) {
        self.init(decoding: error)
        guard case .invalidJSON(nil, _) = self, case .dataCorrupted? = error as? DecodingError,
              let object = try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) else { return }
        if let fields = object as? [String: Any] {
            for name in Self.integerFields {
                guard !(fields[name] is Bool), let number = fields[name] as? NSNumber else { continue }
                let value = number.doubleValue
                if value != value.rounded() || abs(value) >= 9.2e18 {
                    self = .invalidValue(field: name, value: "\(number)", expected: "an integer (this one does not fit a 64-bit integer)")
                    return
                }
            }
        }
        self = .invalidJSON(field: nil, detail: "the body is valid JSON, but a value in it does not fit its field (a number out of range?).")
    }

    /// Describes a `DecodingError` by the JSON path it happened at.
    init(decoding error: any Error) {
        guard let error = error as? DecodingError else {
            self = .invalidJSON(field: nil, detail: "\(error)")
            return
        }
        func path(_ context: DecodingError.Context) -> String? {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return keys.isEmpty ? nil : String(keys.drop(while: { $0 == "." }))
        }
        switch error {
        case .typeMismatch(let type, let context):
            self = .invalidJSON(field: path(context), detail: "expected \(Self.typeName(type)). \(context.debugDescription)")
        case .valueNotFound(let type, let context):
            self = .invalidJSON(field: path(context), detail: "expected \(Self.typeName(type)), found null.")
        case .keyNotFound(let key, let context):
            let prefix = path(context).map { "\($0)." } ?? ""
            self = .missingField(prefix + key.stringValue)
        case .dataCorrupted(let context):
            if let field = path(context) {
                // The JSON parsed; a value in it does not fit its field (a number out of range).
                self = .invalidValue(field: field, value: "(does not fit)", expected: "a value in range: \(context.debugDescription)")
                return
            }
            let underlying = (context.underlyingError as NSError?)?.localizedDescription
            self = .invalidJSON(field: nil, detail: underlying.map { "not valid JSON (\($0))" } ?? context.debugDescription)
        @unknown default:
            self = .invalidJSON(field: nil, detail: "\(error)")
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "an integer"
        case is Double.Type: "a number"
        case is Bool.Type: "a boolean"
        default:
            "\(type)".hasPrefix("Array") ? "an array" : "an object"
        }
    }
}
