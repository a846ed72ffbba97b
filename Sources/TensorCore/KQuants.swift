// The 256-weight "k-quant" super-block formats of ggml (`ggml-common.h`, QK_K = 256).
// Each enum gives the byte offsets of the fields, readers, and the scalar reference
// dequantiser mirroring ggml `dequantize_row_*` (`ggml-quants.c`) in weight order and
// arithmetic (`(d * scale) * q - dmin * min`). Every product is exact in float32 (an fp16
// scale has 11 significant bits, sub-scales and quants at most 13 more), so the result
// is bit-identical to ggml's and gguf-py's whether or not a compiler fuses the final
// subtraction into an FMA.

/// Unpacks the 6-bit scale and minimum of sub-block `index` (0..<8) from the 12
/// packed bytes that Q4_K and Q5_K share (mirrors ggml `get_scale_min_k4`).
///
/// Bytes 0-3 hold scales 0-3 in their low 6 bits, bytes 4-7 minimums 0-3; scales and
/// minimums 4-7 keep their low 4 bits in bytes 8-11 and their top 2 bits in the top
/// bits of bytes 0-3 and 4-7.
@inline(__always)
public func kQuantScaleAndMinimum(_ scales: UnsafeRawPointer, _ index: Int) -> (scale: UInt8, minimum: UInt8) {
    @inline(__always) func byte(_ i: Int) -> UInt8 { scales.load(fromByteOffset: i, as: UInt8.self) }
    if index < 4 {
        return (byte(index) & 63, byte(index &+ 4) & 63)
    }
    let scale = (byte(index &+ 4) & 0x0F) | ((byte(index &- 4) &>> 6) &<< 4)
    let minimum = (byte(index &+ 4) &>> 4) | ((byte(index) &>> 6) &<< 4)
    return (scale, minimum)
}

/// The multiplier `d * scale` and offset `dmin * min` of sub-block `index` of a Q4_K or
/// Q5_K block (as ggml's `d1`, `m1`).
@inline(__always)
func kQuantSubBlockFactors(_ scales: UnsafeRawPointer, _ index: Int, d: Float, dmin: Float) -> (Float, Float) {
    let (scale, minimum) = kQuantScaleAndMinimum(scales, index)
    return (d * Float(scale), dmin * Float(minimum))
}

/// GGML `block_q2_K`: 16 bytes of 4-bit scale/minimum pairs, 64 bytes of 2-bit quants,
/// fp16 `d`, fp16 `dmin`; weight = `d * scale * q - dmin * min` per 16-weight group.
public enum Q2_K {
    public static let weightsPerBlock = 256
    public static let scalesOffset = 0
    public static let quantsOffset = 16
    public static let scaleOffset = 80
    public static let minimumScaleOffset = 82
    public static let bytesPerBlock = 16 + 64 + 2 + 2     // 84; pinned by QuantLayoutTests

    /// Writes the block's 256 weights (mirrors ggml `dequantize_row_q2_K`).
    @inline(__always)
    public static func dequantize(block: UnsafeRawPointer, into destination: UnsafeMutablePointer<Float>) {
        let d = F16.load(block, at: scaleOffset), dmin = F16.load(block, at: minimumScaleOffset)
        var out = destination
        var group = 0
        for half in 0..<2 {
            let quants = block + quantsOffset + half &* 32
            for shift in stride(from: 0, to: 8, by: 2) {
                for part in 0..<2 {
                    let packed = block.load(fromByteOffset: scalesOffset &+ group, as: UInt8.self)
                    group &+= 1
                    let dl = d * Float(packed & 0x0F), ml = dmin * Float(packed &>> 4)
                    for l in 0..<16 {
                        let q = (quants.load(fromByteOffset: part &* 16 &+ l, as: UInt8.self) &>> UInt8(shift)) & 3
                        out[l] = dl * Float(q) - ml
                    }
                    out += 16
                }
            }
        }
    }
}

/// GGML `block_q3_K`: 32 bytes of high-bit masks, 64 bytes of 2-bit quants, 12 bytes of
/// packed 6-bit scales, fp16 `d`; weight = `d * (scale - 32) * (q - (high bit ? 0 : 4))`.
public enum Q3_K {
    public static let weightsPerBlock = 256
    public static let highMaskOffset = 0
    public static let quantsOffset = 32
    public static let scalesOffset = 96
    public static let scaleOffset = 108
    public static let bytesPerBlock = 32 + 64 + 12 + 2     // 110; pinned by QuantLayoutTests

    /// The signed 6-bit scale of 16-weight group `index` (0..<16), already minus 32.
    @inline(__always)
    public static func groupScale(_ block: UnsafeRawPointer, _ index: Int) -> Int {
        let scales = block + scalesOffset
        let low = index < 8
            ? scales.load(fromByteOffset: index, as: UInt8.self) & 0x0F
            : scales.load(fromByteOffset: index &- 8, as: UInt8.self) &>> 4
        let high = (scales.load(fromByteOffset: 8 &+ (index & 3), as: UInt8.self) &>> UInt8(2 &* (index &>> 2))) & 3
        return Int(low | (high &<< 4)) &- 32
    }

    /// Writes the block's 256 weights (mirrors ggml `dequantize_row_q3_K`).
    @inline(__always)
    public static func dequantize(block: UnsafeRawPointer, into destination: UnsafeMutablePointer<Float>) {
        let d = F16.load(block, at: scaleOffset)
        var out = destination
        var group = 0
        var mask: UInt8 = 1
        for half in 0..<2 {
            let quants = block + quantsOffset + half &* 32
            for shift in stride(from: 0, to: 8, by: 2) {
                for part in 0..<2 {
                    let dl = d * Float(groupScale(block, group))
                    group &+= 1
                    for l in 0..<16 {
                        let index = part &* 16 &+ l
                        let low = Int((quants.load(fromByteOffset: index, as: UInt8.self) &>> UInt8(shift)) & 3)
                        let high = block.load(fromByteOffset: highMaskOffset &+ index, as: UInt8.self) & mask
                        out[l] = dl * Float(low &- (high != 0 ? 0 : 4))
                    }
                    out += 16
                }
                mask &<<= 1
            }
        }
    }
}

/// GGML `block_q4_K`: fp16 `d`, fp16 `dmin`, 12 bytes of packed 6-bit scales and
/// minimums for 8 sub-blocks of 32, 128 bytes of nibbles; weight =
/// `d * scale * q - dmin * min`. Each 32-byte run of nibbles holds two sub-blocks: the
/// low nibbles the first, the high nibbles the second.
public enum Q4_K {
    public static let weightsPerBlock = 256
    public static let scaleOffset = 0
    public static let minimumScaleOffset = 2
    public static let scalesOffset = 4
    public static let quantsOffset = 16
    public static let bytesPerBlock = 2 + 2 + 12 + 128     // 144; pinned by QuantLayoutTests

    /// Writes the block's 256 weights (mirrors ggml `dequantize_row_q4_K`).
    @inline(__always)
    public static func dequantize(block: UnsafeRawPointer, into destination: UnsafeMutablePointer<Float>) {
        let d = F16.load(block, at: scaleOffset), dmin = F16.load(block, at: minimumScaleOffset)
        for pair in 0..<4 {
            let (d0, m0) = kQuantSubBlockFactors(block + scalesOffset, 2 &* pair, d: d, dmin: dmin)
            let (d1, m1) = kQuantSubBlockFactors(block + scalesOffset, 2 &* pair &+ 1, d: d, dmin: dmin)
            let quants = block + quantsOffset + pair &* 32
            let out = destination + pair &* 64
            for l in 0..<32 {
                let byte = quants.load(fromByteOffset: l, as: UInt8.self)
                out[l] = d0 * Float(byte & 0x0F) - m0
                out[l &+ 32] = d1 * Float(byte &>> 4) - m1
            }
        }
    }
}

/// GGML `block_q5_K`: as `Q4_K` plus 32 bytes of fifth bits `qh` (bit `2p` of byte `l`
/// for weight `l` of sub-block pair `p`'s first half, bit `2p + 1` for its second).
public enum Q5_K {
    public static let weightsPerBlock = 256
    public static let scaleOffset = 0
    public static let minimumScaleOffset = 2
    public static let scalesOffset = 4
    public static let highBitsOffset = 16
    public static let quantsOffset = 48
    public static let bytesPerBlock = 2 + 2 + 12 + 32 + 128     // 176; pinned by QuantLayoutTests

    /// Writes the block's 256 weights (mirrors ggml `dequantize_row_q5_K`).
    @inline(__always)
    public static func dequantize(block: UnsafeRawPointer, into destination: UnsafeMutablePointer<Float>) {
        let d = F16.load(block, at: scaleOffset), dmin = F16.load(block, at: minimumScaleOffset)
        for pair in 0..<4 {
            let (d0, m0) = kQuantSubBlockFactors(block + scalesOffset, 2 &* pair, d: d, dmin: dmin)
            let (d1, m1) = kQuantSubBlockFactors(block + scalesOffset, 2 &* pair &+ 1, d: d, dmin: dmin)
            let bit0 = UInt8(1) &<< UInt8(2 &* pair), bit1 = UInt8(2) &<< UInt8(2 &* pair)
            let quants = block + quantsOffset + pair &* 32
            let out = destination + pair &* 64
            for l in 0..<32 {
                let byte = quants.load(fromByteOffset: l, as: UInt8.self)
                let high = block.load(fromByteOffset: highBitsOffset &+ l, as: UInt8.self)
                out[l] = d0 * Float((byte & 0x0F) &+ (high & bit0 != 0 ? 16 : 0)) - m0
                out[l &+ 32] = d1 * Float((byte &>> 4) &+ (high & bit1 != 0 ? 16 : 0)) - m1
            }
        }
    }
}

/// GGML `block_q6_K`: 128 bytes of low nibbles `ql`, 64 bytes of 2-bit high parts `qh`,
/// 16 signed 8-bit scales (one per 16 weights), fp16 `d`; weight =
/// `d * scale * (q - 32)` with 6-bit `q`.
public enum Q6_K {
    public static let weightsPerBlock = 256
    public static let lowBitsOffset = 0
    public static let highBitsOffset = 128
    public static let scalesOffset = 192
    public static let scaleOffset = 208
    public static let bytesPerBlock = 128 + 64 + 16 + 2     // 210; pinned by QuantLayoutTests

    /// Writes the block's 256 weights (mirrors ggml `dequantize_row_q6_K`).
    @inline(__always)
    public static func dequantize(block: UnsafeRawPointer, into destination: UnsafeMutablePointer<Float>) {
        let d = F16.load(block, at: scaleOffset)
        for half in 0..<2 {
            let low = block + lowBitsOffset + half &* 64
            let high = block + highBitsOffset + half &* 32
            let scales = block + scalesOffset + half &* 8
            let out = destination + half &* 128
            // Weights l, l+32, l+64, l+96 use scales group, +2, +4, +6 (group = l / 16).
            for group in 0..<2 {
                let scale0 = d * Float(scales.load(fromByteOffset: group, as: Int8.self))
                let scale1 = d * Float(scales.load(fromByteOffset: group &+ 2, as: Int8.self))
                let scale2 = d * Float(scales.load(fromByteOffset: group &+ 4, as: Int8.self))
                let scale3 = d * Float(scales.load(fromByteOffset: group &+ 6, as: Int8.self))
                for l in group &* 16 ..< group &* 16 &+ 16 {
                    let ql0 = low.load(fromByteOffset: l, as: UInt8.self)
                    let ql1 = low.load(fromByteOffset: l &+ 32, as: UInt8.self)
                    let qh = high.load(fromByteOffset: l, as: UInt8.self)
                    let q0 = Int32((ql0 & 0x0F) | ((qh & 3) &<< 4)) &- 32
                    let q1 = Int32((ql1 & 0x0F) | (((qh &>> 2) & 3) &<< 4)) &- 32
                    let q2 = Int32((ql0 &>> 4) | (((qh &>> 4) & 3) &<< 4)) &- 32
                    let q3 = Int32((ql1 &>> 4) | (((qh &>> 6) & 3) &<< 4)) &- 32
                    out[l] = scale0 * Float(q0)
                    out[l &+ 32] = scale1 * Float(q1)
                    out[l &+ 64] = scale2 * Float(q2)
                    out[l &+ 96] = scale3 * Float(q3)
                }
            }
        }
    }
}
