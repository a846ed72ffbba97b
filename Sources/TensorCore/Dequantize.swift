/// The element types `dequantize` reads: what common GGUF downloads use.
public let supportedDequantizationTypes: [GGMLType] = [
    .f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K,
]

extension GGMLType {
    /// Whether `dequantize` can read tensors of this type.
    public var canDequantize: Bool {
        switch self {
        case .f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K: true
        default: false
        }
    }

    /// Bytes of one row of `columns` weights (`columns / blockSize * bytesPerBlock`), or
    /// nil when `columns` is not a whole number of blocks.
    public func rowByteCount(columns: Int) -> Int? { byteCount(elements: columns) }
}

/// Converts `count` stored weights of `type` at `source` to `Float`s at `destination`.
///
/// Each format mirrors ggml's `dequantize_row_*` (`ggml-quants.c`) and agrees bit for
/// bit with gguf-py's `gguf.quants.dequantize` (checked by `DequantizeTests` against
/// committed fixtures). The scalar loops are also the fast path: in release builds
/// (`-target-cpu haswell`) LLVM vectorises them, and hand-written `SIMD16` versions of
/// Q8_0 and Q4_1 measured 2-9x slower (Swift's integer-to-float SIMD conversions do
/// not lower to single instructions), so there is no separate SIMD path.
///
/// - Parameters:
///   - type: the stored element type.
///   - source: the first block; must hold `type.byteCount(elements: count)` bytes
///     (unchecked here: use the buffer overload to have it checked).
///   - count: weights to convert; a whole number of `type.blockSize` blocks.
///   - destination: room for `count` floats.
/// - Throws: `TensorCoreError.unsupportedType` for types without a dequantiser,
///   `.partialBlock` when `count` is not a whole number of blocks.
public func dequantize(
    _ type: GGMLType, from source: UnsafeRawPointer, count: Int,
    into destination: UnsafeMutablePointer<Float>
) throws(TensorCoreError) {
    guard type.canDequantize else { throw .unsupportedType(type, operation: "dequantize") }
    guard count >= 0, count % type.blockSize == 0 else { throw .partialBlock(type, count: count) }
    let blocks = count / type.blockSize
    switch type {
    case .f32:
        UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: count &* 4)
    case .f16:
        for i in 0..<count { destination[i] = F16.load(source, at: i &* 2) }
    case .bf16:
        for i in 0..<count { destination[i] = BF16.load(source, at: i &* 2) }
    case .q8_0: forEachBlock(blocks, source, destination, Q8_0.bytesPerBlock, Q8_0.weightsPerBlock, Q8_0.dequantize)
    case .q4_0: forEachBlock(blocks, source, destination, Q4_0.bytesPerBlock, Q4_0.weightsPerBlock, Q4_0.dequantize)
    case .q4_1: forEachBlock(blocks, source, destination, Q4_1.bytesPerBlock, Q4_1.weightsPerBlock, Q4_1.dequantize)
    case .q5_0: forEachBlock(blocks, source, destination, Q5_0.bytesPerBlock, Q5_0.weightsPerBlock, Q5_0.dequantize)
    case .q5_1: forEachBlock(blocks, source, destination, Q5_1.bytesPerBlock, Q5_1.weightsPerBlock, Q5_1.dequantize)
    case .q2_K: forEachBlock(blocks, source, destination, Q2_K.bytesPerBlock, Q2_K.weightsPerBlock, Q2_K.dequantize)
    case .q3_K: forEachBlock(blocks, source, destination, Q3_K.bytesPerBlock, Q3_K.weightsPerBlock, Q3_K.dequantize)
    case .q4_K: forEachBlock(blocks, source, destination, Q4_K.bytesPerBlock, Q4_K.weightsPerBlock, Q4_K.dequantize)
    case .q5_K: forEachBlock(blocks, source, destination, Q5_K.bytesPerBlock, Q5_K.weightsPerBlock, Q5_K.dequantize)
    case .q6_K: forEachBlock(blocks, source, destination, Q6_K.bytesPerBlock, Q6_K.weightsPerBlock, Q6_K.dequantize)
    default:
        throw .unsupportedType(type, operation: "dequantize")
    }
}

@inline(__always)
private func forEachBlock(
    _ blocks: Int, _ source: UnsafeRawPointer, _ destination: UnsafeMutablePointer<Float>,
    _ bytesPerBlock: Int, _ weightsPerBlock: Int,
    _ body: (UnsafeRawPointer, UnsafeMutablePointer<Float>) -> Void
) {
    for b in 0..<blocks {
        body(source + b &* bytesPerBlock, destination + b &* weightsPerBlock)
    }
}

/// Converts stored weights of `type` to a new `[Float]`, checking the buffer's size.
///
/// - Parameters:
///   - count: weights to convert from the start of `source`; nil converts the whole
///     buffer, which must then be a whole number of blocks.
/// - Throws: `TensorCoreError.unsupportedType`, `.partialBlock`, or `.truncatedSource`
///   when `source` is shorter than `count` weights need.
public func dequantize(
    _ type: GGMLType, from source: UnsafeRawBufferPointer, count: Int? = nil
) throws(TensorCoreError) -> [Float] {
    guard type.canDequantize else { throw .unsupportedType(type, operation: "dequantize") }
    let count = try checkedWeightCount(type, source: source, count: count)
    guard count > 0, let base = source.baseAddress else { return [] }
    var typedError: TensorCoreError?
    let result = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
        do throws(TensorCoreError) {
            try dequantize(type, from: base, count: count, into: buffer.baseAddress!)
            initialized = count
        } catch {
            typedError = error
            initialized = 0
        }
    }
    if let typedError { throw typedError }
    return result
}

/// The number of weights to read, checked against the size of `source`.
private func checkedWeightCount(
    _ type: GGMLType, source: UnsafeRawBufferPointer, count: Int?
) throws(TensorCoreError) -> Int {
    if let count {
        guard let needed = type.byteCount(elements: count) else { throw .partialBlock(type, count: count) }
        guard needed <= source.count else {
            throw .truncatedSource(type, count: count, neededBytes: needed, availableBytes: source.count)
        }
        return count
    }
    guard source.count % type.bytesPerBlock == 0 else {
        let blocks = source.count / type.bytesPerBlock + 1
        throw .truncatedSource(type, count: blocks * type.blockSize,
                               neededBytes: blocks * type.bytesPerBlock, availableBytes: source.count)
    }
    return source.count / type.bytesPerBlock * type.blockSize
}

/// Converts row `row` of a 2-D weight matrix stored row-major as `type` to floats.
///
/// A GGUF matrix of shape `[columns, rows]` (ggml order, innermost first) stores each
/// row as `columns / blockSize` consecutive blocks, `type.rowByteCount(columns:)` bytes.
///
/// - Parameters:
///   - matrix: the whole tensor's bytes (for example `GGUFFile.data(for:)`).
///   - row: 0-based row index.
///   - columns: weights per row (the tensor's first dimension).
///   - destination: receives `columns` floats.
/// - Throws: `TensorCoreError` when the type is unsupported, `columns` is not whole
///   blocks, the row lies outside `matrix`, or `destination` is too small.
public func dequantizeRow(
    _ type: GGMLType, of matrix: UnsafeRawBufferPointer, row: Int, columns: Int,
    into destination: UnsafeMutableBufferPointer<Float>
) throws(TensorCoreError) {
    guard type.canDequantize else { throw .unsupportedType(type, operation: "dequantize") }
    guard let rowBytes = type.rowByteCount(columns: columns) else { throw .partialBlock(type, count: columns) }
    let rows = rowBytes == 0 ? 0 : matrix.count / rowBytes
    guard row >= 0, row < rows else { throw .rowOutOfRange(row: row, rows: rows) }
    guard destination.count >= columns else { throw .destinationTooSmall(count: columns, capacity: destination.count) }
    guard columns > 0 else { return }
    try dequantize(type, from: matrix.baseAddress! + row &* rowBytes, count: columns,
                   into: destination.baseAddress!)
}
