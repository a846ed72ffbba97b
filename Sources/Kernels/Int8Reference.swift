import TensorCore

/// The simple version of the int8 matrix path, in plain Swift over the original ggml
/// blocks (no packing, no SIMD): the reference the fast kernel (`PackedMatrix`,
/// `Sources/CKernels`) is tested against, bit for bit.
///
/// Per (weight row, activation row): `isum_k = Σ w·q` over block k (exact integers),
/// `f = fma(Float(isum_k), d_w·d_a, f)` for k in order, then for q4_1
/// `f = fma(m_w, d_a·Σq, f)`; finally `f + bias`. The k-quants (`kQuantDot`) scale
/// their sub-blocks as Sources/CKernels/KQuantKernels.c states.
public enum Int8Reference {
    /// A quantised activation row: int8 values, and per 32-value block the scale d,
    /// d·Σq, Σq, and Σq over the block's first 16 values.
    public typealias Activation = (quants: [Int8], scales: [Float], sums: [Float], quantSums: [Int32], halfSums: [Int32])

    /// One activation row quantised as ggml's `quantize_row_q8_1` (round to nearest even).
    public static func quantize(_ x: [Float]) -> Activation {
        precondition(x.count % 32 == 0)
        var quants: [Int8] = [], scales: [Float] = [], sums: [Float] = [], quantSums: [Int32] = [], halfSums: [Int32] = []
        for start in stride(from: 0, to: x.count, by: 32) {
            let block = x[start..<start + 32]
            let amax = block.map { abs($0) }.max()!
            let d = amax / 127
            let inverse: Float = d != 0 ? 1 / d : 0
            var sum: Int32 = 0
            for (i, value) in block.enumerated() {
                let q = Int32((value * inverse).rounded(.toNearestOrEven))
                quants.append(Int8(q))
                sum += q
                if i == 15 { halfSums.append(sum) }
            }
            scales.append(d)
            quantSums.append(sum)
            sums.append(d * Float(sum))
        }
        return (quants, scales, sums, quantSums, halfSums)
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
                           activation a: Activation, bias: Float? = nil) -> Float {
        if weight.type == .q4_K || weight.type == .q6_K {
            let f = kQuantDot(weight, row: row, activation: a)
            return bias.map { f + $0 } ?? f
        }
        let (_, scales, minimums) = integerRow(weight, row: row)
        let sums = blockSums(weight, row: row, quants: a.quants)
        var f: Float = 0
        for k in sums.indices {
            f = f.addingProduct(Float(sums[k]), scales[k] * a.scales[k])
            if weight.type == .q4_1 { f = f.addingProduct(minimums[k], a.sums[k]) }
        }
        return bias.map { f + $0 } ?? f
    }

    /// One row of a q4_K or q6_K matrix as the file stores it: the integer value of every
    /// column (q4_K: the nibble q, 0...15; q6_K: q − 32, −32...31), per super-block d and
    /// dmin (q6_K: 0), and per sub-block the 6-bit scale and minimum (q4_K, 8 of 32
    /// columns) or the int8 scale (q6_K, 16 of 16 columns, minimum 0).
    public static func kQuantRow(_ weight: WeightMatrix, row: Int)
        -> (values: [Int32], d: [Float], dmin: [Float], subScales: [Int32], subMinimums: [Int32]) {
        let source = weight.rowPointer(row)
        func byte(_ offset: Int) -> UInt8 { source.load(fromByteOffset: offset, as: UInt8.self) }
        func half(_ offset: Int) -> Float { Float(Float16(bitPattern: source.loadUnaligned(fromByteOffset: offset, as: UInt16.self))) }
        var values: [Int32] = [], d: [Float] = [], dmin: [Float] = [], subScales: [Int32] = [], subMinimums: [Int32] = []
        for s in 0..<weight.columns / 256 {
            switch weight.type {
            case .q4_K:
                // 144 bytes: d, dmin (f16), 12 bytes of 6-bit scales and minimums, 128 bytes of nibbles.
                let base = s * 144
                d.append(half(base))
                dmin.append(half(base + 2))
                let packed = (0..<12).map { byte(base + 4 + $0) }
                for j in 0..<8 {
                    if j < 4 {
                        subScales.append(Int32(packed[j] & 63))
                        subMinimums.append(Int32(packed[j + 4] & 63))
                    } else {
                        subScales.append(Int32((packed[j + 4] & 0x0F) | ((packed[j - 4] >> 6) << 4)))
                        subMinimums.append(Int32((packed[j + 4] >> 4) | ((packed[j] >> 6) << 4)))
                    }
                }
                // Each 32 bytes hold 64 columns: low nibbles the first 32, high nibbles the next.
                for c in 0..<256 {
                    let quant = byte(base + 16 + (c / 64) * 32 + c % 32)
                    values.append(Int32(c % 64 < 32 ? quant & 0x0F : quant >> 4))
                }
            case .q6_K:
                // 210 bytes: ql[128], qh[64], int8 scales[16], d (f16).
                let base = s * 210
                d.append(half(base + 208))
                dmin.append(0)
                for h in 0..<16 {
                    subScales.append(Int32(source.load(fromByteOffset: base + 192 + h, as: Int8.self)))
                    subMinimums.append(0)
                }
                for c in 0..<256 {
                    // 128-column halves; quarter q of a half: ql byte l (q = 0, 2) or 32 + l
                    // (q = 1, 3), low nibble (q < 2) or high; qh bits 2q...2q+1 of byte l.
                    let halfIndex = c / 128, quarter = (c % 128) / 32, l = c % 32
                    let low = byte(base + halfIndex * 64 + (quarter % 2) * 32 + l)
                    let high = byte(base + 128 + halfIndex * 32 + l)
                    let nibble = quarter >= 2 ? low >> 4 : low & 0x0F
                    values.append(Int32(nibble | (((high >> (2 * quarter)) & 3) << 4)) - 32)
                }
            default:
                preconditionFailure("Int8Reference.kQuantRow: \(weight.type) is not a k-quant")
            }
        }
        return (values, d, dmin, subScales, subMinimums)
    }

    /// Row `row` of a q4_K / q6_K matrix times one quantised activation row.
    static func kQuantDot(_ weight: WeightMatrix, row: Int, activation a: Activation) -> Float {
        let w = kQuantRow(weight, row: row)
        func integerSum(_ columns: Range<Int>) -> Int32 {
            columns.reduce(Int32(0)) { $0 + w.values[$1] * Int32(a.quants[$1]) }
        }
        var f: Float = 0
        for k in 0..<weight.columns / 32 {
            let s = k / 8, i = k % 8, start = k * 32
            if weight.type == .q4_K {
                let scale = w.d[s] * Float(w.subScales[s * 8 + i])
                let minimum = w.dmin[s] * Float(w.subMinimums[s * 8 + i])
                f = f.addingProduct(Float(integerSum(start..<start + 32)), scale * a.scales[k])
                f = f.addingProduct(-minimum, a.sums[k])
            } else {
                let isum = w.subScales[s * 16 + 2 * i] * integerSum(start..<start + 16)
                    + w.subScales[s * 16 + 2 * i + 1] * integerSum(start + 16..<start + 32)
                f = f.addingProduct(Float(isum), w.d[s] * a.scales[k])
            }
        }
        return f
    }
}
