// The 32-weight block formats of ggml (`ggml-common.h`): one fp16 scale (and for the
// `_1` kinds an fp16 minimum) followed by packed quants. Each enum gives the byte
// offsets of the fields, readers for them, and the scalar reference dequantiser that
// mirrors ggml `dequantize_row_*` in `ggml-quants.c` operation for operation. The
// product `d * q` of an fp16 scale (11 significant bits) and a quant of at most 8 bits
// is exact in float32, so the floats come out bit-identical to ggml's and gguf-py's,
// with or without a fused multiply-add for `+ m`.

/// GGML `block_q8_0`: fp16 scale `d`, then 32 signed bytes; weight = `d * q`.
public enum Q8_0 {
    public static let weightsPerBlock = 32
    public static let scaleOffset = 0
    public static let quantsOffset = 2
    public static let bytesPerBlock = 2 + 32     // 34; pinned by QuantLayoutTests

    @inline(__always)
    public static func scale(_ block: UnsafeRawPointer) -> Float { F16.load(block, at: scaleOffset) }

    /// Quant `index` (0..<32) as a signed integer.
    @inline(__always)
    public static func quant(_ block: UnsafeRawPointer, _ index: Int) -> Int8 {
        block.load(fromByteOffset: quantsOffset &+ index, as: Int8.self)
    }

    /// Writes the block's 32 weights to `destination` (mirrors ggml `dequantize_row_q8_0`).
    @inline(__always)
    public static func dequantize(block: UnsafeRawPointer, into destination: UnsafeMutablePointer<Float>) {
        let d = scale(block)
        for j in 0..<32 {
            destination[j] = Float(quant(block, j)) * d
        }
    }
}

/// GGML `block_q4_0`: fp16 scale `d`, then 16 bytes of nibbles; weight = `d * (q - 8)`.
/// Byte `j` holds weight `j` in its low nibble and weight `j + 16` in its high nibble.
public enum Q4_0 {
    public static let weightsPerBlock = 32
    public static let scaleOffset = 0
    public static let quantsOffset = 2
    public static let bytesPerBlock = 2 + 16     // 18; pinned by QuantLayoutTests

    @inline(__always)
    public static func scale(_ block: UnsafeRawPointer) -> Float { F16.load(block, at: scaleOffset) }

    /// Packed byte `index` (0..<16): low nibble weight `index`, high nibble `index + 16`.
    @inline(__always)
    public static func packedQuants(_ block: UnsafeRawPointer, _ index: Int) -> UInt8 {
        block.load(fromByteOffset: quantsOffset &+ index, as: UInt8.self)
    }

    /// Writes the block's 32 weights (mirrors ggml `dequantize_row_q4_0`).
    @inline(__always)
    public static func dequantize(block: UnsafeRawPointer, into destination: UnsafeMutablePointer<Float>) {
        let d = scale(block)
        for j in 0..<16 {
            let byte = packedQuants(block, j)
            destination[j] = Float(Int(byte & 0x0F) &- 8) * d
            destination[j &+ 16] = Float(Int(byte &>> 4) &- 8) * d
        }
    }
}

/// GGML `block_q4_1`: fp16 scale `d`, fp16 minimum `m`, then 16 bytes of nibbles;
/// weight = `d * q + m`, nibble order as `Q4_0`.
public enum Q4_1 {
    public static let weightsPerBlock = 32
    public static let scaleOffset = 0
    public static let minimumOffset = 2
    public static let quantsOffset = 4
    public static let bytesPerBlock = 2 + 2 + 16     // 20; pinned by QuantLayoutTests

    @inline(__always)
    public static func scale(_ block: UnsafeRawPointer) -> Float { F16.load(block, at: scaleOffset) }
    @inline(__always)
    public static func minimum(_ block: UnsafeRawPointer) -> Float { F16.load(block, at: minimumOffset) }

    /// Packed byte `index` (0..<16): low nibble weight `index`, high nibble `index + 16`.
    @inline(__always)
    public static func packedQuants(_ block: UnsafeRawPointer, _ index: Int) -> UInt8 {
        block.load(fromByteOffset: quantsOffset &+ index, as: UInt8.self)
    }

    /// Writes the block's 32 weights (mirrors ggml `dequantize_row_q4_1`).
    @inline(__always)
    public static func dequantize(block: UnsafeRawPointer, into destination: UnsafeMutablePointer<Float>) {
        let d = scale(block), m = minimum(block)
        for j in 0..<16 {
            let byte = packedQuants(block, j)
            destination[j] = Float(byte & 0x0F) * d + m
            destination[j &+ 16] = Float(byte &>> 4) * d + m
        }
    }
}

/// GGML `block_q5_0`: fp16 scale `d`, 4 bytes of fifth bits `qh` (little-endian
/// UInt32, bit `j` for weight `j`), 16 bytes of nibbles; weight = `d * (q - 16)`.
public enum Q5_0 {
    public static let weightsPerBlock = 32
    public static let scaleOffset = 0
    public static let highBitsOffset = 2
    public static let quantsOffset = 6
    public static let bytesPerBlock = 2 + 4 + 16     // 22; pinned by QuantLayoutTests

    @inline(__always)
    public static func scale(_ block: UnsafeRawPointer) -> Float { F16.load(block, at: scaleOffset) }

    /// The 32 fifth bits, bit `j` belonging to weight `j`.
    @inline(__always)
    public static func highBits(_ block: UnsafeRawPointer) -> UInt32 {
        UInt32(littleEndian: block.loadUnaligned(fromByteOffset: highBitsOffset, as: UInt32.self))
    }

    @inline(__always)
    public static func packedQuants(_ block: UnsafeRawPointer, _ index: Int) -> UInt8 {
        block.load(fromByteOffset: quantsOffset &+ index, as: UInt8.self)
    }

    /// Writes the block's 32 weights (mirrors ggml `dequantize_row_q5_0`).
    @inline(__always)
    public static func dequantize(block: UnsafeRawPointer, into destination: UnsafeMutablePointer<Float>) {
        let d = scale(block), qh = highBits(block)
        for j in 0..<16 {
            let byte = UInt32(packedQuants(block, j))
            let high0 = ((qh &>> UInt32(j)) &<< 4) & 0x10
            let high1 = (qh &>> UInt32(j &+ 12)) & 0x10
            destination[j] = Float(Int32(bitPattern: (byte & 0x0F) | high0) &- 16) * d
            destination[j &+ 16] = Float(Int32(bitPattern: (byte &>> 4) | high1) &- 16) * d
        }
    }
}

/// GGML `block_q5_1`: fp16 scale `d`, fp16 minimum `m`, 4 bytes of fifth bits, 16
/// bytes of nibbles; weight = `d * q + m`.
public enum Q5_1 {
    public static let weightsPerBlock = 32
    public static let scaleOffset = 0
    public static let minimumOffset = 2
    public static let highBitsOffset = 4
    public static let quantsOffset = 8
    public static let bytesPerBlock = 2 + 2 + 4 + 16     // 24; pinned by QuantLayoutTests

    @inline(__always)
    public static func scale(_ block: UnsafeRawPointer) -> Float { F16.load(block, at: scaleOffset) }
    @inline(__always)
    public static func minimum(_ block: UnsafeRawPointer) -> Float { F16.load(block, at: minimumOffset) }

    /// The 32 fifth bits, bit `j` belonging to weight `j`.
    @inline(__always)
    public static func highBits(_ block: UnsafeRawPointer) -> UInt32 {
        UInt32(littleEndian: block.loadUnaligned(fromByteOffset: highBitsOffset, as: UInt32.self))
    }

    @inline(__always)
    public static func packedQuants(_ block: UnsafeRawPointer, _ index: Int) -> UInt8 {
        block.load(fromByteOffset: quantsOffset &+ index, as: UInt8.self)
    }

    /// Writes the block's 32 weights (mirrors ggml `dequantize_row_q5_1`).
    @inline(__always)
    public static func dequantize(block: UnsafeRawPointer, into destination: UnsafeMutablePointer<Float>) {
        let d = scale(block), m = minimum(block), qh = highBits(block)
        for j in 0..<16 {
            let byte = UInt32(packedQuants(block, j))
            let high0 = ((qh &>> UInt32(j)) &<< 4) & 0x10
            let high1 = (qh &>> UInt32(j &+ 12)) & 0x10
            destination[j] = Float((byte & 0x0F) | high0) * d + m
            destination[j &+ 16] = Float((byte &>> 4) | high1) * d + m
        }
    }
}
