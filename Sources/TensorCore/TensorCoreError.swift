/// Everything that can go wrong turning stored tensor bytes into floats.
///
/// Each case names the element type and the counts involved, and the message says
/// what to do, so a model with an unusual type or a corrupt size reads clearly on the CLI.
public enum TensorCoreError: Error, Equatable, CustomStringConvertible {
    /// No dequantiser for this type (yet). `operation` names what was asked (`dequantize`).
    case unsupportedType(GGMLType, operation: String)
    /// `count` weights are not a whole number of blocks of `type`.
    case partialBlock(GGMLType, count: Int)
    /// The source holds fewer bytes than `count` weights of `type` need.
    case truncatedSource(GGMLType, count: Int, neededBytes: Int, availableBytes: Int)
    /// The destination has room for fewer floats than requested.
    case destinationTooSmall(count: Int, capacity: Int)
    /// A row index or column count outside the matrix.
    case rowOutOfRange(row: Int, rows: Int)

    public var description: String {
        switch self {
        case .unsupportedType(let type, let operation):
            "Cannot \(operation) tensors of type \(type.name) (ggml type \(type.rawValue)); Quorum supports "
                + supportedDequantizationTypes.map(\.name).joined(separator: ", ")
                + ". Use a GGUF file quantised to one of those (for example Q4_K_M or Q8_0)."
        case .partialBlock(let type, let count):
            "\(count) weights are not a whole number of \(type.name) blocks of \(type.blockSize); "
                + "the tensor shape is corrupt or the row length is not a multiple of the block size."
        case .truncatedSource(let type, let count, let needed, let available):
            "\(count) weights of type \(type.name) need \(needed) bytes, but only \(available) are available. "
                + "The tensor data is truncated; re-download the model."
        case .destinationTooSmall(let count, let capacity):
            "Cannot write \(count) floats into a buffer of \(capacity). Allocate the destination for the full row or tensor."
        case .rowOutOfRange(let row, let rows):
            "Row \(row) is outside a matrix of \(rows) rows (valid: 0..<\(rows))."
        }
    }
}
