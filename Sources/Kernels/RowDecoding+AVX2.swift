#if arch(x86_64)
import _Builtin_intrinsics.intel
import TensorCore

// AVX2 + FMA + F16C versions of the hot decoders and the float dot product. Swift's
// generic SIMD integer-to-float conversions are not inlined (a call per vector, with
// spills), which made decoding a Q4_1 row 4× slower than these. Release builds target
// haswell (Package.swift), where the intrinsics inline; they are checked against the
// portable SIMD decoders and TensorCore's reference dequantisers by the Kernels tests.
extension RowDecoding {
    @inline(__always)
    static func broadcastHalf(_ p: UnsafeRawPointer, _ offset: Int) -> __m256 {
        _mm256_set1_ps(half(p, offset))
    }

    /// One `block_q4_1` as four 8-lane vectors: `q · d + m` (ggml `dequantize_row_q4_1`).
    @inline(__always)
    static func q4_1Block(_ block: UnsafeRawPointer) -> (__m256, __m256, __m256, __m256) {
        let mask = _mm_set1_epi8(0x0F)
        let d = broadcastHalf(block, 0), m = broadcastHalf(block, 2)
        let bytes = _mm_loadu_si128((block + 4).assumingMemoryBound(to: __m128i.self))
        let low = _mm_and_si128(bytes, mask)
        let high = _mm_and_si128(_mm_srli_epi16(bytes, 4), mask)
        return (_mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(low)), d, m),
                _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_unpackhi_epi64(low, low))), d, m),
                _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(high)), d, m),
                _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_unpackhi_epi64(high, high))), d, m))
    }

    /// One `block_q4_0`: `(q - 8) · d` (ggml `dequantize_row_q4_0`).
    @inline(__always)
    static func q4_0Block(_ block: UnsafeRawPointer) -> (__m256, __m256, __m256, __m256) {
        let mask = _mm_set1_epi8(0x0F)
        let eight = _mm256_set1_ps(8)
        let d = broadcastHalf(block, 0)
        let bytes = _mm_loadu_si128((block + 2).assumingMemoryBound(to: __m128i.self))
        let low = _mm_and_si128(bytes, mask)
        let high = _mm_and_si128(_mm_srli_epi16(bytes, 4), mask)
        return (_mm256_mul_ps(_mm256_sub_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(low)), eight), d),
                _mm256_mul_ps(_mm256_sub_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_unpackhi_epi64(low, low))), eight), d),
                _mm256_mul_ps(_mm256_sub_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(high)), eight), d),
                _mm256_mul_ps(_mm256_sub_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_unpackhi_epi64(high, high))), eight), d))
    }

    /// One `block_q8_0`: `q · d` (ggml `dequantize_row_q8_0`).
    @inline(__always)
    static func q8_0Block(_ block: UnsafeRawPointer) -> (__m256, __m256, __m256, __m256) {
        let d = broadcastHalf(block, 0)
        let a = _mm_loadu_si128((block + 2).assumingMemoryBound(to: __m128i.self))
        let b = _mm_loadu_si128((block + 18).assumingMemoryBound(to: __m128i.self))
        return (_mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(a)), d),
                _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_unpackhi_epi64(a, a))), d),
                _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(b)), d),
                _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_unpackhi_epi64(b, b))), d))
    }

    /// Decodes a row block by block with `block` into `output`.
    @inline(__always)
    static func decodeBlocks(_ source: UnsafeRawPointer, _ count: Int, _ output: UnsafeMutablePointer<Float>, bytesPerBlock: Int,
                             _ block: (UnsafeRawPointer) -> (__m256, __m256, __m256, __m256)) {
        var offset = 0
        var i = 0
        while i < count {
            let v = block(source + offset)
            let o = output + i
            _mm256_storeu_ps(o, v.0)
            _mm256_storeu_ps(o + 8, v.1)
            _mm256_storeu_ps(o + 16, v.2)
            _mm256_storeu_ps(o + 24, v.3)
            offset &+= bytesPerBlock
            i &+= 32
        }
    }

    static func decodeQ4_1AVX2(_ source: UnsafeRawPointer, _ count: Int, _ output: UnsafeMutablePointer<Float>) {
        decodeBlocks(source, count, output, bytesPerBlock: 20, q4_1Block)
    }

    static func decodeQ4_0AVX2(_ source: UnsafeRawPointer, _ count: Int, _ output: UnsafeMutablePointer<Float>) {
        decodeBlocks(source, count, output, bytesPerBlock: 18, q4_0Block)
    }

    static func decodeQ8_0AVX2(_ source: UnsafeRawPointer, _ count: Int, _ output: UnsafeMutablePointer<Float>) {
        decodeBlocks(source, count, output, bytesPerBlock: 34, q8_0Block)
    }

    /// F16 row → floats (F16C `vcvtph2ps`).
    static func decodeF16AVX2(_ source: UnsafeRawPointer, _ count: Int, _ output: UnsafeMutablePointer<Float>) {
        var i = 0
        while i &+ 8 <= count {
            let h = _mm_loadu_si128((source + i &* 2).assumingMemoryBound(to: __m128i.self))
            _mm256_storeu_ps(output + i, _mm256_cvtph_ps(h))
            i &+= 8
        }
        while i < count { output[i] = half(source, i &* 2); i &+= 1 }
    }
}

// Fused decode-and-dot: the same operations, in the same order, as `decode…AVX2`
// followed by `VectorKernels.dotAVX2` (weight j of each 32-block goes to accumulator
// j / 8, FMA per lane, the same final reduction), so results are bitwise equal to
// the two-pass path while skipping the store and reload of the decoded row.
extension RowDecoding {
    /// Whether `dotFused` handles `type`.
    static func hasFusedDot(_ type: GGMLType) -> Bool {
        type == .q4_1 || type == .q8_0 || type == .q4_0
    }

    /// `(a0 + a1) + (a2 + a3)`, then the lanes' sum: the one final reduction every
    /// AVX2 dot product uses, so their results agree bit for bit.
    @inline(__always)
    static func reduce(_ a0: __m256, _ a1: __m256, _ a2: __m256, _ a3: __m256) -> Float {
        let total: SIMD8<Float> = _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3))
        return total.sum()
    }

    /// `Σ_j w_j · x_j` over one row of `type` (one of `hasFusedDot`), `count` a multiple of 32.
    @inline(__always)
    static func dotFused(_ type: GGMLType, _ source: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ count: Int) -> Float {
        switch type {
        case .q4_1: dotBlocks(source, x, count, bytesPerBlock: 20, q4_1Block)
        case .q4_0: dotBlocks(source, x, count, bytesPerBlock: 18, q4_0Block)
        case .q8_0: dotBlocks(source, x, count, bytesPerBlock: 34, q8_0Block)
        default: preconditionFailure("dotFused: \(type)")
        }
    }

    @inline(__always)
    static func dotBlocks(_ source: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ count: Int, bytesPerBlock: Int,
                          _ block: (UnsafeRawPointer) -> (__m256, __m256, __m256, __m256)) -> Float {
        var a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps()
        var offset = 0
        var i = 0
        while i < count {
            let v = block(source + offset)
            let xi = x + i
            a0 = _mm256_fmadd_ps(v.0, _mm256_loadu_ps(xi), a0)
            a1 = _mm256_fmadd_ps(v.1, _mm256_loadu_ps(xi + 8), a1)
            a2 = _mm256_fmadd_ps(v.2, _mm256_loadu_ps(xi + 16), a2)
            a3 = _mm256_fmadd_ps(v.3, _mm256_loadu_ps(xi + 24), a3)
            offset &+= bytesPerBlock
            i &+= 32
        }
        return reduce(a0, a1, a2, a3)
    }
}

extension VectorKernels {
    /// `Σ a[i]·b[i]` with four 8-lane FMA accumulators; the tail is the scalar loop.
    @inline(__always)
    static func dotAVX2(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps()
        var acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps()
        var i = 0
        while i &+ 32 <= count {
            acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0)
            acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + (i &+ 8)), _mm256_loadu_ps(b + (i &+ 8)), acc1)
            acc2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + (i &+ 16)), _mm256_loadu_ps(b + (i &+ 16)), acc2)
            acc3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + (i &+ 24)), _mm256_loadu_ps(b + (i &+ 24)), acc3)
            i &+= 32
        }
        var sum = RowDecoding.reduce(acc0, acc1, acc2, acc3)
        while i < count { sum += a[i] * b[i]; i &+= 1 }
        return sum
    }
}
#endif
