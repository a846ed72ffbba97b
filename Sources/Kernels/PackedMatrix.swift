import CKernels
import TensorCore

/// How the matrix products of a model multiply: float activations against decoded
/// weights, or int8 activations against the quantised weights directly.
public enum MatrixPrecision: String, Sendable, CaseIterable {
    /// Weights decoded to f32, f32 activations, f32 FMA dot products: the exact path,
    /// checked against the float64 reference forward.
    case float32
    /// q4_0, q4_1, q8_0, q4_K and q6_K matrices multiply int8 activations (quantised per
    /// 32-value block, as ggml's q8_1) with integer dot products (`vpdpbusd` on AVX-512 VNNI);
    /// other types stay float32. About 5× faster for batches; logits differ from
    /// float32 by the activation rounding (see docs/ARCHITECTURE.md, "Kernels").
    case int8Activations

    /// `int8Activations` where the int8 kernel has SIMD code (x86-64 with AVX2), else `float32`.
    public static var platformDefault: MatrixPrecision {
        quorum_int8_best_instruction_set() >= Int32(QUORUM_ISA_AVX2) ? .int8Activations : .float32
    }
}

/// A weight matrix repacked for the int8 kernel (`Sources/CKernels`): rows
/// interleaved in groups of 16 so one SIMD lane computes one row, f16 scales kept.
/// Made once when a model loads; the same size as the file's q4_1 / q8_0 blocks, a
/// little larger for the k-quants (q4_K 4.6 bits a weight against 4.5, q6_K 8.6 against
/// 6.6: their 6-bit values and scales are unpacked to bytes).
///
/// `@unchecked Sendable`: the buffer is written in `init` and only read afterwards.
public final class PackedMatrix: @unchecked Sendable {
    /// Rows per packed group.
    public static let groupRows = Int(QUORUM_PACK_ROWS)
    /// Weight types the int8 kernel takes.
    public static let supportedTypes: [GGMLType] = [.q4_0, .q4_1, .q8_0, .q4_K, .q6_K]

    public let rows: Int
    public let columns: Int
    let kind: Int32
    let data: UnsafeMutableRawPointer
    public let byteCount: Int

    public var groupCount: Int { (rows + Self.groupRows - 1) / Self.groupRows }

    /// Repacks `weight`, or returns nil when its type or width does not fit the kernel.
    /// - Parameter pool: threads to pack with (packing a 100 MB model takes about 0.1 s).
    public init?(_ weight: WeightMatrix, pool: WorkerPool? = nil) {
        let kind: Int32
        switch weight.type {
        case .q4_0: kind = Int32(QUORUM_PACKED_Q4_0)
        case .q4_1: kind = Int32(QUORUM_PACKED_Q4_1)
        case .q8_0: kind = Int32(QUORUM_PACKED_Q8_0)
        case .q4_K: kind = Int32(QUORUM_PACKED_Q4_K)
        case .q6_K: kind = Int32(QUORUM_PACKED_Q6_K)
        default: return nil
        }
        guard weight.columns % weight.type.blockSize == 0 else { return nil }
        self.kind = kind
        rows = weight.rows
        columns = weight.columns
        byteCount = quorum_packed_size(kind, Int64(rows), Int64(columns))
        data = .allocate(byteCount: byteCount, alignment: 64)
        let groups = (rows + Self.groupRows - 1) / Self.groupRows
        let groupsPerTask = 64
        let data = data, rows = rows, columns = columns
        let pack = { (task: Int, _: Int) in
            let begin = task * groupsPerTask
            quorum_pack_groups(kind, weight.base, weight.rowByteCount, Int64(rows), Int64(columns),
                               Int64(begin), Int64(min(begin + groupsPerTask, groups)), data)
        }
        let tasks = (groups + groupsPerTask - 1) / groupsPerTask
        if let pool { pool.run(taskCount: tasks, pack) } else { for t in 0..<tasks { pack(t, 0) } }
    }

    deinit { data.deallocate() }

    /// `output[b × outputStride + r] = Σ_c W[r, c] · A[b, c] (+ bias[r])` for rows
    /// `rows` (whole groups of 16, or ending at the last row) and the first `batch`
    /// rows of `activations`.
    /// - Parameter instructionSet: the kernel path (tests compare them); nil = the best.
    @inline(__always)
    public func multiply(rows range: Range<Int>, activations a: QuantizedActivations, batch: Int,
                         output: UnsafeMutablePointer<Float>, outputStride: Int, bias: UnsafePointer<Float>?,
                         instructionSet: Int8InstructionSet? = nil) {
        let groupBegin = range.lowerBound / Self.groupRows
        let groupEnd = (range.upperBound + Self.groupRows - 1) / Self.groupRows
        quorum_int8_multiply_isa((instructionSet ?? .best).rawValue, kind, data, Int64(rows), Int64(columns),
                                 Int64(groupBegin), Int64(groupEnd), a.quants, a.scales, a.sums, a.quantSums,
                                 a.halfSums, Int64(batch), output, Int64(outputStride), bias)
    }
}

/// Activation rows quantised per 32-value block to int8 (ggml's q8_1 scheme): the
/// input of `PackedMatrix.multiply`. A scratch buffer sized once for the largest batch.
public final class QuantizedActivations: @unchecked Sendable {
    public let capacityRows: Int
    public let capacityColumns: Int
    /// Columns of the rows quantised last.
    public private(set) var columns = 0
    public private(set) var rows = 0
    let quants: UnsafeMutablePointer<Int8>
    let scales: UnsafeMutablePointer<Float>
    let sums: UnsafeMutablePointer<Float>
    let quantSums: UnsafeMutablePointer<Int32>
    /// Σq over each block's first 16 values (q6_K scales 16-value sub-blocks).
    let halfSums: UnsafeMutablePointer<Int32>

    public init(rows: Int, columns: Int) {
        precondition(rows > 0 && columns > 0)
        capacityRows = rows
        capacityColumns = columns
        quants = .allocate(capacity: rows * columns)
        let blocks = rows * max(1, columns / 32)
        scales = .allocate(capacity: blocks)
        sums = .allocate(capacity: blocks)
        quantSums = .allocate(capacity: blocks)
        halfSums = .allocate(capacity: blocks)
    }

    deinit {
        quants.deallocate()
        scales.deallocate()
        sums.deallocate()
        quantSums.deallocate()
        halfSums.deallocate()
    }

    /// Quantises `rows` rows of `columns` floats (a multiple of 32), `stride` apart.
    /// - Parameter instructionSet: the kernel path (tests compare them); nil = the best.
    public func quantize(_ input: UnsafePointer<Float>, stride: Int, rows: Int, columns: Int,
                         instructionSet: Int8InstructionSet? = nil) {
        prepare(rows: rows, columns: columns)
        quorum_quantize_rows_isa((instructionSet ?? .best).rawValue, input, Int64(stride), Int64(rows), Int64(columns),
                                 quants, scales, sums, quantSums, halfSums)
    }

    /// Sets the shape of the next quantisation (before `quantizeRows` runs on several threads).
    func prepare(rows: Int, columns: Int) {
        precondition(rows <= capacityRows && columns <= capacityColumns && columns % 32 == 0)
        self.rows = rows
        self.columns = columns
    }

    /// Quantises rows `range` of the shape set by `prepare`; disjoint ranges may run at once.
    func quantizeRows(_ input: UnsafePointer<Float>, stride: Int, rows range: Range<Int>) {
        let blocks = columns / 32
        let r = range.lowerBound
        quorum_quantize_rows(input + r * stride, Int64(stride), Int64(range.count), Int64(columns),
                             quants + r * columns, scales + r * blocks, sums + r * blocks, quantSums + r * blocks,
                             halfSums + r * blocks)
    }

    /// Row `row` as (quants, per-block scale d, per-block d·Σq, per-block Σq, per-block Σq
    /// of the first 16): for tests.
    public func row(_ row: Int) -> Int8Reference.Activation {
        precondition(row < rows)
        let blocks = columns / 32
        return (Array(UnsafeBufferPointer(start: quants + row * columns, count: columns)),
                Array(UnsafeBufferPointer(start: scales + row * blocks, count: blocks)),
                Array(UnsafeBufferPointer(start: sums + row * blocks, count: blocks)),
                Array(UnsafeBufferPointer(start: quantSums + row * blocks, count: blocks)),
                Array(UnsafeBufferPointer(start: halfSums + row * blocks, count: blocks)))
    }
}

/// The int8 kernel's instruction sets, for tests that compare its paths.
public enum Int8InstructionSet: Int32, Sendable, CaseIterable {
    case portable = 0, avx2 = 1, avx512VNNI = 2

    /// The best this CPU supports: the one the engine uses.
    public static var best: Int8InstructionSet { Int8InstructionSet(rawValue: quorum_int8_best_instruction_set()) ?? .portable }
}
