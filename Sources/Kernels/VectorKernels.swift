import CKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Vector kernels of the transformer forward pass. Each SIMD loop keeps its scalar
/// tail as the reference form of the computation (as ggml's `vec_dot` does).
public enum VectorKernels {
    /// `sum(a[i] * b[i])` over `count` floats (AVX2 FMA on x86-64).
    @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
#if arch(x86_64)
        dotAVX2(a, b, count: count)
#else
        dotPortable(a, b, count: count)
#endif
    }

    /// The portable SIMD dot product; its tail loop is the scalar reference.
    @inline(__always)
    public static func dotPortable(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        var acc0 = SIMD16<Float>(), acc1 = SIMD16<Float>()
        var i = 0
        while i &+ 32 <= count {
            acc0 += ra.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
                  * rb.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
            acc1 += ra.loadUnaligned(fromByteOffset: (i &+ 16) &* 4, as: SIMD16<Float>.self)
                  * rb.loadUnaligned(fromByteOffset: (i &+ 16) &* 4, as: SIMD16<Float>.self)
            i &+= 32
        }
        var sum = (acc0 + acc1).sum()
        while i < count { sum += a[i] * b[i]; i &+= 1 }
        return sum
    }

    /// `y[i] += scale * x[i]`.
    @inline(__always)
    public static func addScaled(_ x: UnsafePointer<Float>, scale: Float, into y: UnsafeMutablePointer<Float>, count: Int) {
        let s = SIMD16<Float>(repeating: scale)
        let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
        var i = 0
        while i &+ 16 <= count {
            let v = ry.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
                  + s * rx.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
            ry.storeBytes(of: v, toByteOffset: i &* 4, as: SIMD16<Float>.self)
            i &+= 16
        }
        while i < count { y[i] += scale * x[i]; i &+= 1 }
    }

    /// RMSNorm (Zhang & Sennrich 2019, as llama.cpp's `ggml_rms_norm` then a multiply):
    /// `output[i] = input[i] / sqrt(mean(input²) + epsilon) * weight[i]`.
    /// `output` may equal `input`.
    /// (The C kernel `quorum_rmsnorm`; `rmsNormSimple` is the plain loop it is tested against.)
    public static func rmsNorm(_ input: UnsafePointer<Float>, weight: UnsafePointer<Float>, epsilon: Float,
                               into output: UnsafeMutablePointer<Float>, count: Int) {
        quorum_rmsnorm(input, weight, epsilon, output, Int64(count))
    }

    /// The simple RMSNorm loop: the reference for `rmsNorm`.
    public static func rmsNormSimple(_ input: UnsafePointer<Float>, weight: UnsafePointer<Float>, epsilon: Float,
                                     into output: UnsafeMutablePointer<Float>, count: Int) {
        // Sum of squares in Double: 1,536-wide rows of large activations lose digits in Float.
        var sumOfSquares: Double = 0
        for i in 0..<count { sumOfSquares += Double(input[i]) * Double(input[i]) }
        let scale = Float(1 / (sumOfSquares / Double(count) + Double(epsilon)).squareRoot())
        for i in 0..<count { output[i] = input[i] * scale * weight[i] }
    }

    /// `gate[i] = silu(gate[i]) * up[i]`, silu(x) = x / (1 + e^-x): SwiGLU's activation
    /// (the vectorised C kernel `quorum_swiglu`, e^x to about 1e-7 relative).
    public static func swiGLU(gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count: Int) {
        quorum_swiglu(gate, up, Int64(count))
    }

    /// The simple SwiGLU with libm's `expf`: the reference for `swiGLU`.
    public static func swiGLUSimple(gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count: Int) {
        for i in 0..<count {
            let g = gate[i]
            gate[i] = g / (1 + expf(-g)) * up[i]
        }
    }

    /// Softmax in place over `count` values, subtracting the maximum first.
    public static func softmax(_ values: UnsafeMutablePointer<Float>, count: Int) {
        guard count > 0 else { return }
        var maximum = values[0]
        for i in 1..<count where values[i] > maximum { maximum = values[i] }
        var sum: Float = 0
        for i in 0..<count {
            let e = expf(values[i] - maximum)
            values[i] = e
            sum += e
        }
        let inverse = 1 / sum
        for i in 0..<count { values[i] *= inverse }
    }

    /// Rotary position embedding in place over `headCount` heads of `headDimension`
    /// floats, rotating pairs by `angle_i = position * inverseFrequencies[i]`.
    ///
    /// - Parameters:
    ///   - adjacentPairs: true for ggml's "normal" mode (llama, mistral: pairs
    ///     `(x[2i], x[2i+1])`), false for NeoX mode (qwen2: pairs `(x[i], x[i + d/2])`).
    ///   - cosines, sines: `headDimension / 2` values for this position.
    public static func rotary(_ x: UnsafeMutablePointer<Float>, headCount: Int, headDimension: Int,
                              cosines: UnsafePointer<Float>, sines: UnsafePointer<Float>, adjacentPairs: Bool) {
        let half = headDimension / 2
        for head in 0..<headCount {
            let v = x + head * headDimension
            for i in 0..<half {
                let (a, b) = adjacentPairs ? (2 * i, 2 * i + 1) : (i, i + half)
                let x0 = v[a], x1 = v[b]
                v[a] = x0 * cosines[i] - x1 * sines[i]
                v[b] = x0 * sines[i] + x1 * cosines[i]
            }
        }
    }
}
