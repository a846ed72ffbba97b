import Models
import Tokenizers

/// Errors of the Engine module.
public enum EngineError: Error, CustomStringConvertible {
    case invalidParameter(name: String, value: String, expected: String)
    case emptyPrompt
    /// The prompt leaves no room to generate within the model's context.
    case promptTooLong(tokens: Int, contextLength: Int)
    /// The scheduler's queue of waiting requests is full.
    case queueFull(limit: Int)
    /// The caller's task was cancelled before its request finished.
    case cancelled
    case model(ModelsError)
    case tokenizer(TokenizerError)

    public var description: String {
        switch self {
        case .invalidParameter(let name, let value, let expected):
            "Sampling parameter \(name) = \(value) is invalid: expected \(expected)."
        case .emptyPrompt: "The prompt has no tokens; give at least one."
        case .promptTooLong(let tokens, let contextLength):
            "The prompt has \(tokens) tokens; the model's context holds \(contextLength), so give a prompt of at most \(contextLength - 1) tokens."
        case .queueFull(let limit):
            "The engine's queue already holds \(limit) waiting requests; retry later or send fewer requests at once."
        case .cancelled: "The request was cancelled before it finished."
        case .model(let error): error.description
        case .tokenizer(let error): "\(error)"
        }
    }
}
