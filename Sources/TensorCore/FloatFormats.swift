/// IEEE 754 half precision (`ggml_fp16_t`, GGML type `f16`): 1 sign, 5 exponent, 10
/// mantissa bits.
///
/// Conversion to `Float` is exact for every value, subnormals, infinities and NaNs
/// included (ggml `GGML_FP16_TO_FP32`); on x86-64 with F16C it is one instruction.
public enum F16 {
    public static let weightsPerBlock = 1
    public static let bytesPerBlock = 2

    /// The `Float` a half-precision bit pattern stands for (exact).
    @inline(__always)
    public static func float(fromBits bits: UInt16) -> Float {
        Float(Float16(bitPattern: bits))
    }

    /// The half-precision bit pattern nearest to `value` (round to nearest even,
    /// overflow to infinity), as ggml `GGML_FP32_TO_FP16` and numpy's `astype(float16)`.
    @inline(__always)
    public static func bits(from value: Float) -> UInt16 {
        Float16(value).bitPattern
    }

    /// Reads the little-endian half at `offset` bytes from `pointer`.
    @inline(__always)
    public static func load(_ pointer: UnsafeRawPointer, at offset: Int = 0) -> Float {
        float(fromBits: UInt16(littleEndian: pointer.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }
}

/// bfloat16 (GGML type `bf16`): the top 16 bits of an IEEE `Float`.
///
/// Widening is a shift and therefore exact, NaN payloads included (ggml
/// `GGML_BF16_TO_FP32`). Narrowing follows ggml `ggml_compute_fp32_to_bf16`.
public enum BF16 {
    public static let weightsPerBlock = 1
    public static let bytesPerBlock = 2

    /// The `Float` whose top half is `bits` (exact).
    @inline(__always)
    public static func float(fromBits bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) &<< 16)
    }

    /// Rounds `value` to bfloat16: NaNs become quiet NaNs with the same sign and top
    /// payload bits, everything else rounds to nearest even (mirrors ggml
    /// `ggml_compute_fp32_to_bf16`).
    @inline(__always)
    public static func bits(from value: Float) -> UInt16 {
        let u = value.bitPattern
        if u & 0x7fff_ffff > 0x7f80_0000 {
            return UInt16(truncatingIfNeeded: (u &>> 16) | 64)
        }
        return UInt16(truncatingIfNeeded: (u &+ (0x7fff &+ ((u &>> 16) & 1))) &>> 16)
    }

    /// Reads the little-endian bfloat16 at `offset` bytes from `pointer`.
    @inline(__always)
    public static func load(_ pointer: UnsafeRawPointer, at offset: Int = 0) -> Float {
        float(fromBits: UInt16(littleEndian: pointer.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }
}
