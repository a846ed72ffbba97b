#if arch(x86_64)
import _Builtin_intrinsics.intel
import TensorCore

// Batch tiling for the matrix jobs. Each (weight row, input row) pair is computed
// exactly as `VectorKernels.dotAVX2` does it — four 8-lane accumulators, lane group
// k of every 32 columns into accumulator k, FMA per lane, `(a0 + a1) + (a2 + a3)`
// then a horizontal sum — so a pair's result is bitwise the same whether it ran
// alone (fused decode-and-dot, `RowDecoding.dotFused`), in a tile, or untiled.
// A tile shares each loaded weight vector between three input rows: 16 loads per
// 12 FMAs instead of 24.
enum TiledKernels {
    /// One float weight row × three input rows; `count` a multiple of 32.
    @inline(__always)
    static func tile1x3(_ w: UnsafePointer<Float>, _ x0: UnsafePointer<Float>, _ x1: UnsafePointer<Float>,
                        _ x2: UnsafePointer<Float>, _ count: Int) -> (Float, Float, Float) {
        var p0 = _mm256_setzero_ps(), p1 = _mm256_setzero_ps(), p2 = _mm256_setzero_ps(), p3 = _mm256_setzero_ps()
        var q0 = _mm256_setzero_ps(), q1 = _mm256_setzero_ps(), q2 = _mm256_setzero_ps(), q3 = _mm256_setzero_ps()
        var r0 = _mm256_setzero_ps(), r1 = _mm256_setzero_ps(), r2 = _mm256_setzero_ps(), r3 = _mm256_setzero_ps()
        var i = 0
        while i < count {
            var v = _mm256_loadu_ps(w + i)
            p0 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x0 + i), p0)
            q0 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x1 + i), q0)
            r0 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x2 + i), r0)
            v = _mm256_loadu_ps(w + (i &+ 8))
            p1 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x0 + (i &+ 8)), p1)
            q1 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x1 + (i &+ 8)), q1)
            r1 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x2 + (i &+ 8)), r1)
            v = _mm256_loadu_ps(w + (i &+ 16))
            p2 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x0 + (i &+ 16)), p2)
            q2 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x1 + (i &+ 16)), q2)
            r2 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x2 + (i &+ 16)), r2)
            v = _mm256_loadu_ps(w + (i &+ 24))
            p3 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x0 + (i &+ 24)), p3)
            q3 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x1 + (i &+ 24)), q3)
            r3 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x2 + (i &+ 24)), r3)
            i &+= 32
        }
        return (RowDecoding.reduce(p0, p1, p2, p3), RowDecoding.reduce(q0, q1, q2, q3), RowDecoding.reduce(r0, r1, r2, r3))
    }
}

extension MatrixMultiply {
    /// Whether the AVX2 paths take this matrix (whole 32-column groups, so no scalar tail).
    @inline(__always)
    static func tiledPathApplies(_ weight: WeightMatrix) -> Bool { weight.columns % 32 == 0 }

    /// Each row decoded once (f32 read in place), then dotted with the batch three
    /// input rows at a time.
    @inline(__always)
    static func tiledRows(_ job: MatrixJob, rows: Range<Int>, input: UnsafePointer<Float>, inputStride: Int,
                          batch: Int, rowBuffer: UnsafeMutablePointer<Float>) {
        let columns = job.weight.columns
        for row in rows {
            let decoded = job.weight.floatRow(row, buffer: rowBuffer)
            let bias = job.bias?[row] ?? 0
            var b = 0
            while b &+ 3 <= batch {
                let (s0, s1, s2) = TiledKernels.tile1x3(decoded, input + b &* inputStride, input + (b &+ 1) &* inputStride,
                                                        input + (b &+ 2) &* inputStride, columns)
                job.output[b &* job.outputStride &+ row] = s0 + bias
                job.output[(b &+ 1) &* job.outputStride &+ row] = s1 + bias
                job.output[(b &+ 2) &* job.outputStride &+ row] = s2 + bias
                b &+= 3
            }
            while b < batch {
                job.output[b &* job.outputStride &+ row] = VectorKernels.dotAVX2(decoded, input + b &* inputStride, count: columns) + bias
                b &+= 1
            }
        }
    }
}
#endif
