import GGUF
import Kernels

/// Errors of the Models module: a model file the engine cannot run, or a batch the
/// forward pass cannot take.
public enum ModelsError: Error, CustomStringConvertible {
    case unsupportedArchitecture(found: String, supported: [String])
    case file(GGUFError)
    case kernel(KernelsError)
    /// A metadata value out of range, or a tensor with the wrong shape.
    case invalidModel(path: String, reason: String)
    case unsupportedFeature(path: String, feature: String)
    case invalidBatch(reason: String)
    case cacheExhausted(reason: String)

    public var description: String {
        switch self {
        case .unsupportedArchitecture(let found, let supported):
            "Architecture '\(found)' is not supported; supported architectures: \(supported.joined(separator: ", ")). Pick a GGUF of one of those."
        case .file(let error): error.description
        case .kernel(let error): error.description
        case .invalidModel(let path, let reason): "\(path): \(reason). The file may be corrupt or from an unsupported converter."
        case .unsupportedFeature(let path, let feature): "\(path) uses \(feature), which the engine does not implement yet."
        case .invalidBatch(let reason): "Invalid forward batch: \(reason)."
        case .cacheExhausted(let reason): "KV cache exhausted: \(reason). Lower the number of samples or the token budget."
        }
    }
}
