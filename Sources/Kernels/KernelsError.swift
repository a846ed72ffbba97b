import TensorCore

/// Errors of the Kernels module: input the kernels cannot work on.
public enum KernelsError: Error, Equatable, CustomStringConvertible {
    /// The kernels have no decoder for this tensor type.
    case unsupportedType(tensor: String, type: GGMLType, supported: [GGMLType])
    /// A matrix whose row length is not a whole number of blocks, or whose data is too short.
    case badShape(tensor: String, reason: String)

    public var description: String {
        switch self {
        case .unsupportedType(let tensor, let type, let supported):
            "Tensor '\(tensor)' has type \(type), which the matrix kernels do not support (supported: \(supported.map(\.name).joined(separator: ", "))). Use a GGUF quantised to one of those types."
        case .badShape(let tensor, let reason):
            "Tensor '\(tensor)' cannot be used as a matrix: \(reason). The file may be corrupt."
        }
    }
}
