import GGUF
import Models
import TensorCore

/// Errors of the training engine: a model it cannot train, a batch or data file it
/// cannot take, an export or checkpoint it cannot write. Each names what and where.
public enum TrainingError: Error, CustomStringConvertible {
    case model(ModelsError)
    case file(GGUFError)
    /// A tensor whose type has no dequantiser, so it cannot become f32 master weights.
    case untrainableTensor(path: String, tensor: String, type: GGMLType)
    case invalidBatch(reason: String)
    case invalidData(path: String, line: Int, reason: String)
    case invalidOption(name: String, reason: String)
    case unsupportedExportType(String, supported: [String])
    case io(path: String, reason: String)
    case invalidCheckpoint(path: String, reason: String)
    /// Rewards (or answers) an advantage estimator cannot take: too few samples for its k, a
    /// reward that is not finite, one answer with two rewards.
    case invalidAdvantageInput(estimator: String, reason: String)

    public var description: String {
        switch self {
        case .model(let error): error.description
        case .file(let error): error.description
        case .untrainableTensor(let path, let tensor, let type):
            "\(path): tensor \(tensor) is \(type), which has no dequantiser; the trainer needs every weight as f32."
        case .invalidBatch(let reason): "Invalid training batch: \(reason)."
        case .invalidData(let path, let line, let reason): "\(path):\(line): \(reason)."
        case .invalidOption(let name, let reason): "Invalid \(name): \(reason)."
        case .unsupportedExportType(let type, let supported):
            "Cannot export as '\(type)'; supported export types: \(supported.joined(separator: ", "))."
        case .io(let path, let reason): "\(path): \(reason)."
        case .invalidCheckpoint(let path, let reason):
            "\(path): \(reason). Delete the checkpoint folder to start over, or point --output at another folder."
        case .invalidAdvantageInput(let estimator, let reason): "\(estimator) advantages: \(reason)."
        }
    }
}
