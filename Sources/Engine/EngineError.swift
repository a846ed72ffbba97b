import Models
import Tokenizers

/// Errors of the Engine module.
public enum EngineError: Error, CustomStringConvertible {
    case invalidParameter(name: String, value: String, expected: String)
    case emptyPrompt
    case model(ModelsError)
    case tokenizer(TokenizerError)

    public var description: String {
        switch self {
        case .invalidParameter(let name, let value, let expected):
            "Sampling parameter \(name) = \(value) is invalid: expected \(expected)."
        case .emptyPrompt: "The prompt has no tokens; give at least one."
        case .model(let error): error.description
        case .tokenizer(let error): "\(error)"
        }
    }
}
