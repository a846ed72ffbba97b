import TensorCore

/// SIMD decoders of one row of ggml blocks into floats: the fast half of the matrix
/// kernels. Each is checked against the scalar reference in `ReferenceKernels` and
/// the ggml-mirroring dequantisers by the Kernels tests.
///
/// Block layouts follow ggml-common.h: `block_q4_0` {f16 d; u8 qs[16]},
/// `block_q4_1` {f16 d, m; u8 qs[16]}, `block_q8_0` {f16 d; i8 qs[32]}; nibble j of
/// byte i holds weight i (low) or i + 16 (high).
public enum RowDecoding {
    /// The portable SIMD decoder (the one non-x86 builds use); tests compare it with
    /// `decode`, which uses the AVX2 versions on x86-64, and with the reference.
    public static func decodePortable(_ type: GGMLType, from source: UnsafeRawPointer, count: Int,
                                      into output: UnsafeMutablePointer<Float>) {
        switch type {
        case .f16: decodeF16(source, count, output)
        case .q4_0: decodeQ4_0(source, count, output)
        case .q4_1: decodeQ4_1(source, count, output)
        case .q8_0: decodeQ8_0(source, count, output)
        default: decode(type, from: source, count: count, into: output)
        }
    }

    /// Decodes `count` weights of type `type` starting at `source` (a whole number of
    /// blocks) into `output`. `type` must be one of `WeightMatrix.supportedTypes`.
    @inline(__always)
    public static func decode(_ type: GGMLType, from source: UnsafeRawPointer, count: Int,
                              into output: UnsafeMutablePointer<Float>) {
        switch type {
        case .f32: output.update(from: source.assumingMemoryBound(to: Float.self), count: count)
        case .bf16: decodeBF16(source, count, output)
#if arch(x86_64)
        case .f16: decodeF16AVX2(source, count, output)
        case .q4_0: decodeQ4_0AVX2(source, count, output)
        case .q4_1: decodeQ4_1AVX2(source, count, output)
        case .q8_0: decodeQ8_0AVX2(source, count, output)
#else
        case .f16: decodeF16(source, count, output)
        case .q4_0: decodeQ4_0(source, count, output)
        case .q4_1: decodeQ4_1(source, count, output)
        case .q8_0: decodeQ8_0(source, count, output)
#endif
        default:
            // Types without a SIMD decoder (q5_x, k-quants) use the ggml-mirroring reference.
            do { try dequantize(type, from: source, count: count, into: output) } catch {
                preconditionFailure("RowDecoding: \(error) (WeightMatrix.init checks the type)")
            }
        }
    }

    @inline(__always)
    static func half(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
        Float(Float16(bitPattern: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }

    @inline(__always)
    static func nibbles(_ p: UnsafeRawPointer) -> (low: SIMD16<Float>, high: SIMD16<Float>) {
        let bytes = p.loadUnaligned(as: SIMD16<UInt8>.self)
        let low = SIMD16<Int32>(truncatingIfNeeded: bytes & 0x0F)
        let high = SIMD16<Int32>(truncatingIfNeeded: bytes &>> 4)
        return (SIMD16<Float>(low), SIMD16<Float>(high))
    }

    @inline(__always)
    static func store(_ v: SIMD16<Float>, _ output: UnsafeMutablePointer<Float>, _ offset: Int) {
        UnsafeMutableRawPointer(output + offset).storeBytes(of: v, as: SIMD16<Float>.self)
    }

    static func decodeQ4_1(_ source: UnsafeRawPointer, _ count: Int, _ output: UnsafeMutablePointer<Float>) {
        var block = source
        var i = 0
        while i < count {
            let d = SIMD16<Float>(repeating: half(block, 0))
            let m = SIMD16<Float>(repeating: half(block, 2))
            let (low, high) = nibbles(block + 4)
            store(low * d + m, output, i)
            store(high * d + m, output, i &+ 16)
            block += 20
            i &+= 32
        }
    }

    static func decodeQ4_0(_ source: UnsafeRawPointer, _ count: Int, _ output: UnsafeMutablePointer<Float>) {
        var block = source
        var i = 0
        let eight = SIMD16<Float>(repeating: 8)
        while i < count {
            let d = SIMD16<Float>(repeating: half(block, 0))
            let (low, high) = nibbles(block + 2)
            store((low - eight) * d, output, i)
            store((high - eight) * d, output, i &+ 16)
            block += 18
            i &+= 32
        }
    }

    static func decodeQ8_0(_ source: UnsafeRawPointer, _ count: Int, _ output: UnsafeMutablePointer<Float>) {
        var block = source
        var i = 0
        while i < count {
            let d = SIMD16<Float>(repeating: half(block, 0))
            let a = SIMD16<Int32>(truncatingIfNeeded: (block + 2).loadUnaligned(as: SIMD16<Int8>.self))
            let b = SIMD16<Int32>(truncatingIfNeeded: (block + 18).loadUnaligned(as: SIMD16<Int8>.self))
            store(SIMD16<Float>(a) * d, output, i)
            store(SIMD16<Float>(b) * d, output, i &+ 16)
            block += 34
            i &+= 32
        }
    }

    static func decodeF16(_ source: UnsafeRawPointer, _ count: Int, _ output: UnsafeMutablePointer<Float>) {
        var i = 0
        while i + 16 <= count {
            let h = source.loadUnaligned(fromByteOffset: i &* 2, as: SIMD16<Float16>.self)
            store(SIMD16<Float>(h), output, i)
            i &+= 16
        }
        while i < count { output[i] = half(source, i &* 2); i &+= 1 }
    }

    static func decodeBF16(_ source: UnsafeRawPointer, _ count: Int, _ output: UnsafeMutablePointer<Float>) {
        for i in 0..<count {
            let bits = UInt32(source.loadUnaligned(fromByteOffset: i &* 2, as: UInt16.self)) << 16
            output[i] = Float(bitPattern: bits)
        }
    }
}
