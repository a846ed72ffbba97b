import TensorCore

/// A read-only `[rows × columns]` weight matrix in one of ggml's storage types,
/// viewed in place (usually inside a memory-mapped GGUF file).
///
/// Row `r` occupies `rowByteCount` bytes starting at `base + r * rowByteCount`,
/// as ggml lays matrices out (a GGUF shape `[columns, rows]`).
///
/// `@unchecked Sendable` because it is an immutable view: the memory it points to is
/// never written while a model is loaded, and the owner (the model) keeps it alive.
public struct WeightMatrix: @unchecked Sendable {
    /// The element types `decodeRow` and `multiply` support: SIMD decoders for
    /// f32, f16, bf16, q4_0, q4_1 and q8_0, the TensorCore reference dequantisers for the rest.
    public static let supportedTypes: [GGMLType] = supportedDequantizationTypes

    public let name: String
    public let type: GGMLType
    public let rows: Int
    public let columns: Int
    public let base: UnsafeRawPointer
    /// Bytes per row.
    public let rowByteCount: Int
    /// The same weights repacked for the int8 kernel, when `packedForInt8` made them;
    /// `MatrixMultiply` then multiplies int8 activations with them.
    public private(set) var packed: PackedMatrix?

    /// - Throws: `KernelsError` when the type has no decoder, the row length is not a
    ///   whole number of blocks, or `data` is shorter than `rows` rows.
    public init(name: String, type: GGMLType, rows: Int, columns: Int, data: UnsafeRawBufferPointer) throws(KernelsError) {
        guard Self.supportedTypes.contains(type) else {
            throw .unsupportedType(tensor: name, type: type, supported: Self.supportedTypes)
        }
        guard rows > 0, columns > 0, let rowBytes = type.byteCount(elements: columns) else {
            throw .badShape(tensor: name, reason: "\(columns) columns is not a whole number of \(type) blocks of \(type.blockSize)")
        }
        guard data.count >= rows * rowBytes, let base = data.baseAddress else {
            throw .badShape(tensor: name, reason: "\(data.count) bytes of data, expected \(rows) rows of \(rowBytes)")
        }
        self.name = name
        self.type = type
        self.rows = rows
        self.columns = columns
        self.base = base
        self.rowByteCount = rowBytes
    }

    /// This matrix with `packed` set when its type has an int8 kernel (q4_0, q4_1,
    /// q8_0, q4_K, q6_K with whole blocks per row); unchanged otherwise.
    public func packedForInt8(pool: WorkerPool? = nil) -> WeightMatrix {
        var copy = self
        copy.packed = PackedMatrix(self, pool: pool)
        return copy
    }

    /// The first byte of row `row`.
    @inline(__always)
    public func rowPointer(_ row: Int) -> UnsafeRawPointer { base + row &* rowByteCount }

    /// Writes row `row` as `columns` floats (the SIMD decoders of `RowDecoding`).
    @inline(__always)
    public func decodeRow(_ row: Int, into output: UnsafeMutablePointer<Float>) {
        RowDecoding.decode(type, from: rowPointer(row), count: columns, into: output)
    }

    /// Row `row` as floats: in place for f32, else decoded into `buffer` (`columns` floats).
    @inline(__always)
    public func floatRow(_ row: Int, buffer: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
        if type == .f32 { return rowPointer(row).assumingMemoryBound(to: Float.self) }
        decodeRow(row, into: buffer)
        return UnsafePointer(buffer)
    }
}
