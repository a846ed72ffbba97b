import Foundation

/// Errors of runs and their set-up, each with what to do.
public enum ExperimentError: Error, LocalizedError, CustomStringConvertible, Equatable {
    case unknownTemplate(name: String, known: [String])
    case badTemplate(path: String, reason: String)
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .unknownTemplate(let name, let known):
            "'\(name)' is neither a built-in prompt template (\(known.joined(separator: ", "))) nor a readable template file."
        case .badTemplate(let path, let reason):
            "The prompt template '\(path)' is invalid: \(reason)."
        case .invalidArgument(let message):
            message
        }
    }

    public var errorDescription: String? { description }
}
