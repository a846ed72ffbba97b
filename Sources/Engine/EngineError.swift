import Foundation
import Models
import ScalingCore
import Tokenizers

/// Errors of the Engine module.
public enum EngineError: Error, CustomStringConvertible {
    case invalidParameter(name: String, value: String, expected: String)
    /// A worker thread count outside `1...ThreadCount.maximum`.
    case invalidThreadCount(Int, maximum: Int, processors: Int)
    case emptyPrompt
    /// The prompt leaves no room to generate within the model's context.
    case promptTooLong(tokens: Int, contextLength: Int)
    /// The prompt's text is too large to fit the context whatever its tokens (refused
    /// before tokenising it).
    case promptTooLarge(bytes: Int, minimumTokens: Int, contextLength: Int)
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
        case .invalidThreadCount(let count, let maximum, let processors):
            "--threads \(count) is out of range: give 1 to \(maximum) (\(ThreadCount.multiple) × the \(processors) processors); the default uses all processors."
        case .emptyPrompt: "The prompt has no tokens; give at least one."
        case .promptTooLong(let tokens, let contextLength):
            "The prompt has \(tokens) tokens; the model's context holds \(contextLength), so give a prompt of at most \(contextLength - 1) tokens."
        case .promptTooLarge(let bytes, let minimumTokens, let contextLength):
            "The prompt has \(bytes) bytes, so at least \(minimumTokens) tokens; the model's context holds \(contextLength). Shorten it (it was refused before tokenising)."
        case .queueFull(let limit):
            "The engine's queue already holds \(limit) waiting requests; retry later or send fewer requests at once."
        case .cancelled: "The request was cancelled before it finished."
        case .model(let error): error.description
        case .tokenizer(let error): "\(error)"
        }
    }
}

extension EngineError: PermanentFailure {
    /// Bad requests recur on every retry; a full queue, a cancellation or a model fault may not.
    public var isPermanent: Bool {
        switch self {
        case .invalidParameter, .invalidThreadCount, .emptyPrompt, .promptTooLong, .promptTooLarge: true
        case .queueFull, .cancelled, .model, .tokenizer: false
        }
    }
}

/// The bounds of an engine's worker thread count, checked wherever one is taken: more
/// threads than a few per processor only add switching, and tens of thousands exhaust the
/// process (pthread_create fails deep in the worker pool).
public enum ThreadCount {
    /// Threads allowed per processor at most.
    public static let multiple = 4
    public static var processors: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }
    public static var maximum: Int { multiple * processors }

    /// Accepts nil (all processors) or `1...maximum`.
    public static func validate(_ count: Int?) throws(EngineError) {
        guard let count else { return }
        guard count >= 1 && count <= maximum else {
            throw .invalidThreadCount(count, maximum: maximum, processors: processors)
        }
    }
}
