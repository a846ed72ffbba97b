// The training engine's layers, each with its forward and backward side by side in the
// manner of llm.c's train_gpt2.c (read, not copied). Shape letters: N rows (the tokens of
// every sequence of a micro-batch, packed without padding), C model width, O/I output and
// input widths of a linear map, T one sequence's length, d head dimension.
// Backward functions accumulate (`+=`) into parameter gradients and, where the
// documentation says so, into input gradients; the caller zeroes them.
import Foundation
import Kernels

/// RMSNorm: `y = x · rstd · w`, `rstd = 1 / sqrt(mean(x²) + ε)` per row.
enum RMSNormLayer {
    /// Writes `y [N × C]` and `rstd [N]`.
    static func forward(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, epsilon: Float, rows: Int, width: Int,
                        y: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>, pool: WorkerPool?) {
        Matmul.run(rows, pool) { r in
            let xr = x + r * width, yr = y + r * width
            // Sum of squares in Double, as the engine's reference does.
            var sumOfSquares = 0.0
            for i in 0..<width { sumOfSquares += Double(xr[i]) * Double(xr[i]) }
            let s = Float(1 / (sumOfSquares / Double(width) + Double(epsilon)).squareRoot())
            rstd[r] = s
            for i in 0..<width { yr[i] = xr[i] * s * weight[i] }
        }
    }

    /// With `n = x · rstd`: `dw += Σ_rows dy · n`, `dx += rstd · (dy·w − n · mean(dy·w · n))`.
    /// Rows in parallel for `dx`; `dw` by column ranges, each summing its rows in order, so
    /// the result does not depend on the thread count.
    static func backward(dy: UnsafePointer<Float>, x: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
                         weight: UnsafePointer<Float>, rows: Int, width: Int,
                         dx: UnsafeMutablePointer<Float>, dWeight: UnsafeMutablePointer<Float>, pool: WorkerPool?) {
        Matmul.run(rows, pool) { r in
            let dyr = dy + r * width, xr = x + r * width, dxr = dx + r * width
            let s = rstd[r]
            var dot = 0.0
            for i in 0..<width { dot += Double(dyr[i] * weight[i]) * Double(xr[i] * s) }
            let meanDot = Float(dot / Double(width))
            for i in 0..<width {
                let n = xr[i] * s
                dxr[i] += s * (dyr[i] * weight[i] - n * meanDot)
            }
        }
        let columnsPerTask = 64
        Matmul.run((width + columnsPerTask - 1) / columnsPerTask, pool) { t in
            let begin = t * columnsPerTask, end = min(width, begin + columnsPerTask)
            for r in 0..<rows {
                let dyr = dy + r * width, xr = x + r * width, s = rstd[r]
                for i in begin..<end { dWeight[i] += dyr[i] * (xr[i] * s) }
            }
        }
    }
}

/// A linear map `y = x · Wᵀ (+ b)`, `W [O × I]` as ggml stores it.
enum LinearLayer {
    /// `transposed` holds `I × O` floats: the weight is transposed first so the product runs on
    /// the NN kernel, faster than NT's dot products (docs/BENCHMARKS.md, "Training").
    static func forward(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                        rows: Int, inputWidth: Int, outputWidth: Int, y: UnsafeMutablePointer<Float>,
                        transposed: UnsafeMutablePointer<Float>, pool: WorkerPool) {
        Matmul.transpose(rows: outputWidth, columns: inputWidth, source: weight, sourceStride: inputWidth,
                         destination: transposed, destinationStride: outputWidth, pool: pool)
        Matmul.nn(rows: rows, columns: outputWidth, depth: inputWidth, a: x, lda: inputWidth, b: transposed, ldb: outputWidth,
                  c: y, ldc: outputWidth, accumulate: false, pool: pool)
        if let bias {
            for r in 0..<rows {
                let yr = y + r * outputWidth
                for o in 0..<outputWidth { yr[o] += bias[o] }
            }
        }
    }

    /// `dx (+)= dy · W` (added when `accumulateInput`), `dW += dyᵀ · x`, `db += Σ_rows dy`.
    /// `transposed` holds `O × N` floats.
    static func backward(dy: UnsafePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                         rows: Int, inputWidth: Int, outputWidth: Int,
                         dx: UnsafeMutablePointer<Float>, accumulateInput: Bool,
                         dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>?,
                         transposed: UnsafeMutablePointer<Float>, pool: WorkerPool) {
        Matmul.nn(rows: rows, columns: inputWidth, depth: outputWidth, a: dy, lda: outputWidth, b: weight, ldb: inputWidth,
                  c: dx, ldc: inputWidth, accumulate: accumulateInput, pool: pool)
        Matmul.transpose(rows: rows, columns: outputWidth, source: dy, sourceStride: outputWidth,
                         destination: transposed, destinationStride: rows, pool: pool)
        Matmul.nn(rows: outputWidth, columns: inputWidth, depth: rows, a: transposed, lda: rows, b: x, ldb: inputWidth,
                  c: dWeight, ldc: inputWidth, accumulate: true, pool: pool)
        if let dBias {
            for r in 0..<rows {
                let dyr = dy + r * outputWidth
                for o in 0..<outputWidth { dBias[o] += dyr[o] }
            }
        }
    }
}

/// Rotary position embedding of the first `ropeDimensions` floats of each head, in
/// ggml's "normal" (adjacent pairs) or NeoX (halves) mode, as the engine applies it.
enum RotaryLayer {
    /// Rotates `x [N × heads·d]` in place; `cosines`/`sines` hold `ropeDimensions / 2` per row.
    static func forward(_ x: UnsafeMutablePointer<Float>, rows: Int, heads: Int, headDimension: Int, ropeDimensions: Int,
                        adjacentPairs: Bool, cosines: UnsafePointer<Float>, sines: UnsafePointer<Float>) {
        let half = ropeDimensions / 2, width = heads * headDimension
        for r in 0..<rows {
            for h in 0..<heads {
                let v = x + r * width + h * headDimension
                for i in 0..<half {
                    let (a, b) = adjacentPairs ? (2 * i, 2 * i + 1) : (i, i + half)
                    let c = cosines[r * half + i], s = sines[r * half + i]
                    let x0 = v[a], x1 = v[b]
                    v[a] = x0 * c - x1 * s
                    v[b] = x0 * s + x1 * c
                }
            }
        }
    }

    /// The inverse rotation applied to the gradient in place (a rotation's transpose).
    static func backward(_ dx: UnsafeMutablePointer<Float>, rows: Int, heads: Int, headDimension: Int, ropeDimensions: Int,
                         adjacentPairs: Bool, cosines: UnsafePointer<Float>, sines: UnsafePointer<Float>) {
        let half = ropeDimensions / 2, width = heads * headDimension
        for r in 0..<rows {
            for h in 0..<heads {
                let v = dx + r * width + h * headDimension
                for i in 0..<half {
                    let (a, b) = adjacentPairs ? (2 * i, 2 * i + 1) : (i, i + half)
                    let c = cosines[r * half + i], s = sines[r * half + i]
                    let d0 = v[a], d1 = v[b]
                    v[a] = d0 * c + d1 * s
                    v[b] = -d0 * s + d1 * c
                }
            }
        }
    }
}

/// SwiGLU: `h = silu(g) · u`, `silu(g) = g · σ(g)`.
enum SwiGLULayer {
    static let chunk = 16_384

    static func forward(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, hidden: UnsafeMutablePointer<Float>, count: Int,
                        pool: WorkerPool?) {
        Matmul.run((count + chunk - 1) / chunk, pool) { t in
            for i in t * chunk..<min(count, (t + 1) * chunk) {
                let g = gate[i]
                hidden[i] = g / (1 + expf(-g)) * up[i]
            }
        }
    }

    /// `dg = dh · u · σ(g) · (1 + g · (1 − σ(g)))`, `du = dh · g · σ(g)` (overwritten).
    static func backward(dHidden: UnsafePointer<Float>, gate: UnsafePointer<Float>, up: UnsafePointer<Float>,
                         dGate: UnsafeMutablePointer<Float>, dUp: UnsafeMutablePointer<Float>, count: Int, pool: WorkerPool?) {
        Matmul.run((count + chunk - 1) / chunk, pool) { t in
            for i in t * chunk..<min(count, (t + 1) * chunk) {
                let g = gate[i]
                let s = 1 / (1 + expf(-g))
                dGate[i] = dHidden[i] * up[i] * s * (1 + g * (1 - s))
                dUp[i] = dHidden[i] * g * s
            }
        }
    }
}

/// Causal grouped-query attention over one sequence's rows, one (sequence, head) at a time.
/// Keeps the probabilities `P [T × T]` for the backward (zeros above the diagonal).
enum AttentionLayer {
    struct Shape {
        let heads: Int, kvHeads: Int, headDimension: Int
        var queryWidth: Int { heads * headDimension }
        var kvWidth: Int { kvHeads * headDimension }
        var scale: Float { 1 / Float(headDimension).squareRoot() }
    }

    /// One head: `P = softmax(mask(q_h·k_gᵀ · scale))`, `out_h = P · v_g`.
    /// `query`/`output` point at the sequence's first row, `key`/`value` likewise.
    static func forwardHead(_ s: Shape, head: Int, length t: Int,
                            query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>,
                            probabilities p: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let d = s.headDimension, g = head / (s.heads / s.kvHeads)
        Matmul.nt(rows: t, columns: t, depth: d, a: query + head * d, lda: s.queryWidth, b: key + g * d, ldb: s.kvWidth,
                  c: p, ldc: t, accumulate: false, pool: nil)
        let scale = s.scale
        for i in 0..<t {
            let row = p + i * t
            var maximum = -Float.infinity
            for j in 0...i {
                row[j] *= scale
                maximum = max(maximum, row[j])
            }
            var sum = 0.0
            for j in 0...i {
                row[j] = expf(row[j] - maximum)
                sum += Double(row[j])
            }
            let inverse = Float(1 / sum)
            for j in 0...i { row[j] *= inverse }
            for j in (i + 1)..<t { row[j] = 0 }
        }
        Matmul.nn(rows: t, columns: d, depth: t, a: p, lda: t, b: value + g * d, ldb: s.kvWidth,
                  c: output + head * d, ldc: s.queryWidth, accumulate: false, pool: nil)
    }

    /// The heads of KV head `kvHead`: `dq_h` written, `dk_g` and `dv_g` accumulated.
    /// `scratch` holds `2 · T²` floats.
    static func backwardKVHead(_ s: Shape, kvHead: Int, length t: Int,
                               query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>,
                               probabilities: UnsafePointer<Float>, dOutput: UnsafePointer<Float>,
                               dQuery: UnsafeMutablePointer<Float>, dKey: UnsafeMutablePointer<Float>,
                               dValue: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let d = s.headDimension, group = s.heads / s.kvHeads, scale = s.scale
        let dScores = scratch, transposed = scratch + t * t
        for head in kvHead * group..<(kvHead + 1) * group {
            let p = probabilities + (head - kvHead * group) * t * t
            // dP = dO_h · v_gᵀ, then the softmax backward: dS = P ⊙ (dP − rowsum(P ⊙ dP)) · scale.
            Matmul.nt(rows: t, columns: t, depth: d, a: dOutput + head * d, lda: s.queryWidth, b: value + kvHead * d,
                      ldb: s.kvWidth, c: dScores, ldc: t, accumulate: false, pool: nil)
            for i in 0..<t {
                let pr = p + i * t, dr = dScores + i * t
                var dot = 0.0
                for j in 0...i { dot += Double(pr[j]) * Double(dr[j]) }
                let rowDot = Float(dot)
                for j in 0...i { dr[j] = pr[j] * (dr[j] - rowDot) * scale }
                for j in (i + 1)..<t { dr[j] = 0 }
            }
            Matmul.nn(rows: t, columns: d, depth: t, a: dScores, lda: t, b: key + kvHead * d, ldb: s.kvWidth,
                      c: dQuery + head * d, ldc: s.queryWidth, accumulate: false, pool: nil)
            Matmul.transpose(rows: t, columns: t, source: dScores, sourceStride: t, destination: transposed,
                             destinationStride: t, pool: nil)
            Matmul.nn(rows: t, columns: d, depth: t, a: transposed, lda: t, b: query + head * d, ldb: s.queryWidth,
                      c: dKey + kvHead * d, ldc: s.kvWidth, accumulate: true, pool: nil)
            Matmul.transpose(rows: t, columns: t, source: p, sourceStride: t, destination: transposed,
                             destinationStride: t, pool: nil)
            Matmul.nn(rows: t, columns: d, depth: t, a: transposed, lda: t, b: dOutput + head * d, ldb: s.queryWidth,
                      c: dValue + kvHead * d, ldc: s.kvWidth, accumulate: true, pool: nil)
        }
    }
}

/// The output head with log-softmax over the vocabulary, chunked over rows so the
/// `N × V` logits never sit in memory at once; the backward recomputes each chunk's logits.
enum OutputHeadLayer {
    /// Log-probabilities of `targets` for `rows` gathered rows `x [rows × C]`; writes
    /// `logSumExp [rows]`. `logits` holds `rows × V`; `headTransposed` is the head `[C × V]`.
    static func forward(x: UnsafePointer<Float>, rows: Int, width: Int, headTransposed: UnsafePointer<Float>, vocabulary: Int,
                        targets: UnsafePointer<Int>, logits: UnsafeMutablePointer<Float>,
                        logSumExp: UnsafeMutablePointer<Double>, logprobs: UnsafeMutablePointer<Double>, pool: WorkerPool) {
        Matmul.nn(rows: rows, columns: vocabulary, depth: width, a: x, lda: width, b: headTransposed, ldb: vocabulary,
                  c: logits, ldc: vocabulary, accumulate: false, pool: pool)
        Matmul.run(rows, pool) { r in
            let row = logits + r * vocabulary
            var maximum = -Float.infinity
            for v in 0..<vocabulary { maximum = max(maximum, row[v]) }
            var sum = 0.0
            for v in 0..<vocabulary { sum += Double(expf(row[v] - maximum)) }
            let lse = Double(maximum) + log(sum)
            logSumExp[r] = lse
            logprobs[r] = Double(row[targets[r]]) - lse
        }
    }

    /// With `g = dL/dlogprob` per row: `dlogits = g · (onehot(target) − softmax)`;
    /// `dx = dlogits · W` (overwritten), `dW += dlogitsᵀ · x`. `logits` holds the chunk's
    /// recomputed logits and becomes `dlogits`; `transposed` holds `V × rows`.
    static func backward(x: UnsafePointer<Float>, rows: Int, width: Int, head: UnsafePointer<Float>,
                         headTransposed: UnsafePointer<Float>, vocabulary: Int,
                         targets: UnsafePointer<Int>, logSumExp: UnsafePointer<Double>, dLogprobs: UnsafePointer<Float>,
                         logits: UnsafeMutablePointer<Float>, transposed: UnsafeMutablePointer<Float>,
                         dx: UnsafeMutablePointer<Float>, dHead: UnsafeMutablePointer<Float>, pool: WorkerPool) {
        Matmul.nn(rows: rows, columns: vocabulary, depth: width, a: x, lda: width, b: headTransposed, ldb: vocabulary,
                  c: logits, ldc: vocabulary, accumulate: false, pool: pool)
        Matmul.run(rows, pool) { r in
            let row = logits + r * vocabulary
            let g = dLogprobs[r], lse = logSumExp[r]
            let shift = Float(lse)
            for v in 0..<vocabulary { row[v] = -g * expf(row[v] - shift) }
            row[targets[r]] += g
        }
        Matmul.nn(rows: rows, columns: width, depth: vocabulary, a: logits, lda: vocabulary, b: head, ldb: width,
                  c: dx, ldc: width, accumulate: false, pool: pool)
        Matmul.transpose(rows: rows, columns: vocabulary, source: logits, sourceStride: vocabulary,
                         destination: transposed, destinationStride: rows, pool: pool)
        Matmul.nn(rows: vocabulary, columns: width, depth: rows, a: transposed, lda: rows, b: x, ldb: width,
                  c: dHead, ldc: width, accumulate: true, pool: pool)
    }
}
