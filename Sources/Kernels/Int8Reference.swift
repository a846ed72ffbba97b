import TensorCore

/// The simple version of the int8 matrix path, in plain Swift over the original ggml
/// blocks (no packing, no SIMD): the reference the fast kernel (`PackedMatrix`,
/// `Sources/CKernels`) is tested against, bit for bit.
///
/// Per (weight row, activation row): `isum_k = Σ w·q` over block k (exact integers),
/// `f = fma(Float(isum_k), d_w·d_a, f)` for k in order, then for q4_1
/// `f = fma(m_w, d_a·Σq, f)`; finally `f + bias`.
public enum Int8Reference {
    /// One activation row quantised as ggml's `quantize_row_q8_1` (round to nearest even).
    public static func quantize(_ x: [Float]) -> (quants: [Int8], scales: [Float], sums: [Float], quantSums: [Int32]) {
        precondition(x.count % 32 == 0)
        var quants: [Int8] = [], scales: [Float] = [], sums: [Float] = [], quantSums: [Int32] = []
        for start in stride(from: 0, to: x.count, by: 32) {
            let block = x[start..<start + 32]
            let amax = block.map { abs($0) }.max()!
            let d = amax / 127
            let inverse: Float = d != 0 ? 1 / d : 0
            var sum: Int32 = 0
            for value in block {
                let q = Int32((value * inverse).rounded(.toNearestOrEven))
                quants.append(Int8(q))
                sum += q
            }
            scales.append(d)
            quantSums.append(sum)
            sums.append(d * Float(sum))
        }
        return (quants, scales, sums, quantSums)
    }

    /// The integer weights of row `row` (q4_0: nibble − 8, q4_1: nibble, q8_0: the
    /// byte), with each block's scale d and minimum m (0 unless q4_1).
    public static func integerRow(_ weight: WeightMatrix, row: Int) -> (values: [Int32], scales: [Float], minimums: [Float]) {
        let source = weight.rowPointer(row)
        func half(_ offset: Int) -> Float { Float(Float16(bitPattern: source.loadUnaligned(fromByteOffset: offset, as: UInt16.self))) }
        var values: [Int32] = [], scales: [Float] = [], minimums: [Float] = []
        for k in 0..<weight.columns / 32 {
            switch weight.type {
            case .q4_0, .q4_1:
                let blockBytes = weight.type == .q4_0 ? 18 : 20
                let base = k * blockBytes
                let quantOffset = base + (weight.type == .q4_0 ? 2 : 4)
                let offset: Int32 = weight.type == .q4_0 ? 8 : 0
                scales.append(half(base))
                minimums.append(weight.type == .q4_1 ? half(base + 2) : 0)
                for i in 0..<32 {
                    let byte = source.load(fromByteOffset: quantOffset + i % 16, as: UInt8.self)
                    values.append(Int32(i < 16 ? byte & 0x0F : byte >> 4) - offset)
                }
            case .q8_0:
                let base = k * 34
                scales.append(half(base))
                minimums.append(0)
                for i in 0..<32 { values.append(Int32(source.load(fromByteOffset: base + 2 + i, as: Int8.self))) }
            default:
                preconditionFailure("Int8Reference: \(weight.type) is not an int8-kernel type")
            }
        }
        return (values, scales, minimums)
    }

    /// Exact per-block integer dot products of weight row `row` with `quants`.
    public static func blockSums(_ weight: WeightMatrix, row: Int, quants: [Int8]) -> [Int32] {
        let values = integerRow(weight, row: row).values
        return stride(from: 0, to: weight.columns, by: 32).map { start in
            (start..<start + 32).reduce(Int32(0)) { $0 + values[$1] * Int32(quants[$1]) }
        }
    }

    /// Row `row` of `weight` times one quantised activation row, plus `bias`.
    public static func dot(_ weight: WeightMatrix, row: Int,
                           activation a: (quants: [Int8], scales: [Float], sums: [Float], quantSums: [Int32]),
                           bias: Float? = nil) -> Float {
        let (_, scales, minimums) = integerRow(weight, row: row)
        let sums = blockSums(weight, row: row, quants: a.quants)
        var f: Float = 0
        for k in sums.indices {
            f = f.addingProduct(Float(sums[k]), scales[k] * a.scales[k])
            if weight.type == .q4_1 { f = f.addingProduct(minimums[k], a.sums[k]) }
        }
        return bias.map { f + $0 } ?? f
    }
}
