import Foundation
import GGUF
import Kernels
import Models

/// One sequence of a training batch: prompt and completion tokens, and which
/// log-probabilities count.
///
/// Row `j - 1` of the sequence predicts token `j`; the tokens from `completionStart`
/// on are the ones scored (a completion after its prompt; 1 scores every token after the first).
public struct TrainingSequence: Sendable, Equatable, Codable {
    public var tokens: [Int]
    public var completionStart: Int

    public init(tokens: [Int], completionStart: Int) {
        self.tokens = tokens
        self.completionStart = completionStart
    }

    /// Tokens whose log-probabilities count.
    public var scoredCount: Int { tokens.count - completionStart }
}

/// A llama-family model with f32 master weights that computes the log-probabilities of
/// given tokens and their gradients: the training engine.
///
/// ```swift
/// let model = try TrainingModel(file: GGUFFile(path: "model.gguf"), threads: 2)
/// let logprobs = try model.forward([TrainingSequence(tokens: ids, completionStart: promptLength)])
/// try model.backward(logprobs.map { $0.map { _ in -1 / Float(totalTokens) } })   // SFT: dL/dlogprob
/// ```
///
/// `forward` keeps every activation its backward needs in one arena sized from the batch
/// (llm.c's layout: per layer the input, both norms and their `rstd`, q/k/v after RoPE,
/// attention probabilities and output, the residual, gate, up and SwiGLU output), and
/// `backward` accumulates parameter gradients into `gradients`, so micro-batches add up
/// until `zeroGradients()`. Objectives are functions from the returned log-probabilities
/// to `dL/dlogprob` per scored token (`SFTObjective`).
public final class TrainingModel: @unchecked Sendable {
    public let layout: ParameterLayout
    public let parameters: ParameterArena
    public let gradients: ParameterArena
    public let pool: WorkerPool
    public var configuration: LlamaConfiguration { layout.configuration }

    /// Rows of the output head computed at once (logits of `headChunkRows × V` floats: 100 MB for
    /// SmolLM2). Larger chunks mean fewer read-modify-write passes over the head's `V × C` gradient.
    static let headChunkRows = 512

    private let forwardArena = FloatArena()
    private let backwardArena = FloatArena()
    /// One layer weight transposed for the forward's NN products, and the head transposed
    /// `[C × V]` (kept from the forward for the backward's recomputed logits).
    private let weightScratch = FloatArena()
    private let headTransposed = FloatArena()
    private var state: ForwardState?

    public init(layout: ParameterLayout, parameters: ParameterArena, pool: WorkerPool) {
        self.layout = layout
        self.parameters = parameters
        self.gradients = ParameterArena(layout: layout)
        self.pool = pool
    }

    /// Loads a GGUF model's weights as f32 master weights.
    public convenience init(file: GGUFFile, threads: Int? = nil) throws(TrainingError) {
        let (layout, parameters) = try ParameterLayout.load(file: file)
        self.init(layout: layout, parameters: parameters, pool: WorkerPool(threadCount: threads))
    }

    public func zeroGradients() { gradients.zero() }

    // MARK: - Forward

    /// Log-probabilities (natural log, full softmax at temperature 1) of each sequence's
    /// scored tokens, keeping the activations for `backward`.
    ///
    /// - Throws: `TrainingError.invalidBatch` for an empty batch, a sequence shorter than
    ///   2 tokens or longer than the context, a `completionStart` outside `1..<count`, or
    ///   a token outside the vocabulary.
    public func forward(_ batch: [TrainingSequence]) throws(TrainingError) -> [[Double]] {
        let c = configuration
        guard !batch.isEmpty else { throw .invalidBatch(reason: "no sequences") }
        for (i, sequence) in batch.enumerated() {
            guard sequence.tokens.count >= 2 else {
                throw .invalidBatch(reason: "sequence \(i) has \(sequence.tokens.count) tokens; at least 2 are needed")
            }
            guard sequence.tokens.count <= c.contextLength else {
                throw .invalidBatch(reason: "sequence \(i) has \(sequence.tokens.count) tokens, more than the model's context of \(c.contextLength)")
            }
            guard sequence.completionStart >= 1, sequence.completionStart < sequence.tokens.count else {
                throw .invalidBatch(reason: "sequence \(i): completionStart \(sequence.completionStart) is outside 1..<\(sequence.tokens.count)")
            }
            if let bad = sequence.tokens.first(where: { $0 < 0 || $0 >= c.vocabularySize }) {
                throw .invalidBatch(reason: "sequence \(i): token \(bad) is outside the vocabulary 0..<\(c.vocabularySize)")
            }
        }
        let shape = BatchShape(batch, configuration: c)
        forwardArena.reserve(ForwardState.floatCount(shape, c))
        let s = ForwardState(shape: shape, configuration: c, arena: forwardArena.base)
        state = s
        let n = shape.rows, width = c.embeddingWidth, qw = c.queryWidth, kw = c.kvWidth, ffn = c.feedForwardWidth
        let p = parameters

        // Embedding and the rotary tables (angles in Double, as the engine computes them).
        let half = c.ropeDimensions / 2
        let inverseFrequencies = c.ropeInverseFrequencies
        for r in 0..<n {
            let token = shape.tokens[r]
            (s.layers[0].input + r * width).update(from: p[layout.tokenEmbedding] + token * width, count: width)
            for i in 0..<half {
                let angle = Double(shape.positions[r]) * inverseFrequencies[i]
                s.cosines[r * half + i] = Float(cos(angle))
                s.sines[r * half + i] = Float(sin(angle))
            }
        }

        weightScratch.reserve(max(qw, kw, ffn) * width)
        headTransposed.reserve(c.vocabularySize * width)
        Matmul.transpose(rows: c.vocabularySize, columns: width, source: p[layout.head], sourceStride: width,
                         destination: headTransposed.base, destinationStride: c.vocabularySize, pool: pool)
        let attentionShape = AttentionLayer.Shape(heads: c.headCount, kvHeads: c.kvHeadCount, headDimension: c.headDimension)
        let adjacent = c.architecture.rotatesAdjacentPairs
        for (l, weights) in layout.layers.enumerated() {
            let a = s.layers[l]
            RMSNormLayer.forward(x: a.input, weight: p[weights.attentionNorm], epsilon: c.normEpsilon, rows: n, width: width,
                                 y: a.norm1, rstd: a.rstd1, pool: pool)
            LinearLayer.forward(x: a.norm1, weight: p[weights.query], bias: weights.queryBias.map { p[$0] }, rows: n,
                                inputWidth: width, outputWidth: qw, y: a.query, transposed: weightScratch.base, pool: pool)
            LinearLayer.forward(x: a.norm1, weight: p[weights.key], bias: weights.keyBias.map { p[$0] }, rows: n,
                                inputWidth: width, outputWidth: kw, y: a.key, transposed: weightScratch.base, pool: pool)
            LinearLayer.forward(x: a.norm1, weight: p[weights.value], bias: weights.valueBias.map { p[$0] }, rows: n,
                                inputWidth: width, outputWidth: kw, y: a.value, transposed: weightScratch.base, pool: pool)
            RotaryLayer.forward(a.query, rows: n, heads: c.headCount, headDimension: c.headDimension,
                                ropeDimensions: c.ropeDimensions, adjacentPairs: adjacent, cosines: s.cosines, sines: s.sines)
            RotaryLayer.forward(a.key, rows: n, heads: c.kvHeadCount, headDimension: c.headDimension,
                                ropeDimensions: c.ropeDimensions, adjacentPairs: adjacent, cosines: s.cosines, sines: s.sines)
            pool.run(taskCount: shape.sequenceCount * c.headCount) { task, _ in
                let q = task / c.headCount, head = task % c.headCount
                let start = shape.starts[q], t = shape.lengths[q]
                AttentionLayer.forwardHead(attentionShape, head: head, length: t,
                                           query: a.query + start * qw, key: a.key + start * kw, value: a.value + start * kw,
                                           probabilities: a.probabilities + shape.probabilityOffsets[q] + head * t * t,
                                           output: a.attention + start * qw)
            }
            LinearLayer.forward(x: a.attention, weight: p[weights.attentionOutput], bias: nil, rows: n, inputWidth: qw,
                                outputWidth: width, y: a.residual, transposed: weightScratch.base, pool: pool)
            for i in 0..<n * width { a.residual[i] += a.input[i] }

            RMSNormLayer.forward(x: a.residual, weight: p[weights.feedForwardNorm], epsilon: c.normEpsilon, rows: n,
                                 width: width, y: a.norm2, rstd: a.rstd2, pool: pool)
            LinearLayer.forward(x: a.norm2, weight: p[weights.gate], bias: nil, rows: n, inputWidth: width,
                                outputWidth: ffn, y: a.gate, transposed: weightScratch.base, pool: pool)
            LinearLayer.forward(x: a.norm2, weight: p[weights.up], bias: nil, rows: n, inputWidth: width,
                                outputWidth: ffn, y: a.up, transposed: weightScratch.base, pool: pool)
            SwiGLULayer.forward(gate: a.gate, up: a.up, hidden: a.hidden, count: n * ffn, pool: pool)
            let next = l + 1 < c.layerCount ? s.layers[l + 1].input : s.finalResidual
            LinearLayer.forward(x: a.hidden, weight: p[weights.down], bias: nil, rows: n, inputWidth: ffn,
                                outputWidth: width, y: next, transposed: weightScratch.base, pool: pool)
            for i in 0..<n * width { next[i] += a.residual[i] }
        }
        RMSNormLayer.forward(x: s.finalResidual, weight: p[layout.outputNorm], epsilon: c.normEpsilon, rows: n, width: width,
                             y: s.finalNorm, rstd: s.finalRstd, pool: pool)

        // The head over the scored rows only, a chunk at a time.
        let scored = shape.scoredRows.count
        let chunk = min(Self.headChunkRows, scored)
        backwardArena.reserve(chunk * (c.vocabularySize + width) + 16)
        let logits = backwardArena.base, gathered = backwardArena.base + chunk * c.vocabularySize
        for begin in stride(from: 0, to: scored, by: chunk) {
            let rows = min(chunk, scored - begin)
            for k in 0..<rows {
                (gathered + k * width).update(from: s.finalNorm + shape.scoredRows[begin + k] * width, count: width)
            }
            shape.scoredTargets.withUnsafeBufferPointer { targets in
                OutputHeadLayer.forward(x: gathered, rows: rows, width: width, headTransposed: headTransposed.base, vocabulary: c.vocabularySize,
                                        targets: targets.baseAddress! + begin, logits: logits,
                                        logSumExp: s.logSumExp + begin, logprobs: s.logprobs + begin, pool: pool)
            }
        }
        var result: [[Double]] = []
        var k = 0
        for sequence in batch {
            result.append(Array(UnsafeBufferPointer(start: s.logprobs + k, count: sequence.scoredCount)))
            k += sequence.scoredCount
        }
        return result
    }

    // MARK: - Backward

    /// Accumulates into `gradients` the gradient of a loss whose derivative with respect
    /// to each scored token's log-probability is `dLogprobs` (shaped like `forward`'s result).
    ///
    /// - Throws: `TrainingError.invalidBatch` without a preceding `forward`, or when the
    ///   shape differs from its result.
    public func backward(_ dLogprobs: [[Float]]) throws(TrainingError) {
        guard let s = state else { throw .invalidBatch(reason: "backward needs a forward first") }
        let shape = s.shape
        guard dLogprobs.count == shape.sequenceCount,
              zip(dLogprobs, shape.scoredCounts).allSatisfy({ $0.count == $1 }) else {
            throw .invalidBatch(reason: "the gradients do not match the forward's log-probabilities (one per scored token of each sequence)")
        }
        let c = configuration
        let n = shape.rows, width = c.embeddingWidth, qw = c.queryWidth, kw = c.kvWidth, ffn = c.feedForwardWidth
        let scored = shape.scoredRows.count
        let chunk = min(Self.headChunkRows, scored)
        let b = BackwardScratch(shape: shape, configuration: c, headChunk: chunk, workers: pool.threadCount,
                                arena: backwardArena)
        let p = parameters, g = gradients
        let flat = dLogprobs.flatMap { $0 }

        // Output head, chunk by chunk, into dNorm at the scored rows.
        b.dNorm.update(repeating: 0, count: n * width)
        for begin in stride(from: 0, to: scored, by: chunk) {
            let rows = min(chunk, scored - begin)
            for k in 0..<rows {
                (b.headInput + k * width).update(from: s.finalNorm + shape.scoredRows[begin + k] * width, count: width)
            }
            shape.scoredTargets.withUnsafeBufferPointer { targets in
                flat.withUnsafeBufferPointer { d in
                    OutputHeadLayer.backward(x: b.headInput, rows: rows, width: width, head: p[layout.head], headTransposed: headTransposed.base,
                                             vocabulary: c.vocabularySize, targets: targets.baseAddress! + begin,
                                             logSumExp: s.logSumExp + begin, dLogprobs: d.baseAddress! + begin,
                                             logits: b.headLogits, transposed: b.headTransposed, dx: b.headDx,
                                             dHead: g[layout.head], pool: pool)
                }
            }
            for k in 0..<rows {
                (b.dNorm + shape.scoredRows[begin + k] * width).update(from: b.headDx + k * width, count: width)
            }
        }
        b.dResidual.update(repeating: 0, count: n * width)
        RMSNormLayer.backward(dy: b.dNorm, x: s.finalResidual, rstd: s.finalRstd, weight: p[layout.outputNorm],
                              rows: n, width: width, dx: b.dResidual, dWeight: g[layout.outputNorm], pool: pool)

        let attentionShape = AttentionLayer.Shape(heads: c.headCount, kvHeads: c.kvHeadCount, headDimension: c.headDimension)
        let adjacent = c.architecture.rotatesAdjacentPairs
        for (l, weights) in layout.layers.enumerated().reversed() {
            let a = s.layers[l]
            // Feed-forward block: dResidual is the gradient of this layer's output.
            LinearLayer.backward(dy: b.dResidual, x: a.hidden, weight: p[weights.down], rows: n, inputWidth: ffn,
                                 outputWidth: width, dx: b.dHidden, accumulateInput: false, dWeight: g[weights.down],
                                 dBias: nil, transposed: b.transposed, pool: pool)
            SwiGLULayer.backward(dHidden: b.dHidden, gate: a.gate, up: a.up, dGate: b.dGate, dUp: b.dUp, count: n * ffn, pool: pool)
            LinearLayer.backward(dy: b.dGate, x: a.norm2, weight: p[weights.gate], rows: n, inputWidth: width,
                                 outputWidth: ffn, dx: b.dNorm, accumulateInput: false, dWeight: g[weights.gate],
                                 dBias: nil, transposed: b.transposed, pool: pool)
            LinearLayer.backward(dy: b.dUp, x: a.norm2, weight: p[weights.up], rows: n, inputWidth: width,
                                 outputWidth: ffn, dx: b.dNorm, accumulateInput: true, dWeight: g[weights.up],
                                 dBias: nil, transposed: b.transposed, pool: pool)
            RMSNormLayer.backward(dy: b.dNorm, x: a.residual, rstd: a.rstd2, weight: p[weights.feedForwardNorm],
                                  rows: n, width: width, dx: b.dResidual, dWeight: g[weights.feedForwardNorm], pool: pool)

            // Attention block: dResidual is now the gradient of the residual after attention.
            LinearLayer.backward(dy: b.dResidual, x: a.attention, weight: p[weights.attentionOutput], rows: n,
                                 inputWidth: qw, outputWidth: width, dx: b.dAttention, accumulateInput: false,
                                 dWeight: g[weights.attentionOutput], dBias: nil, transposed: b.transposed, pool: pool)
            b.dKey.update(repeating: 0, count: n * kw)
            b.dValue.update(repeating: 0, count: n * kw)
            pool.run(taskCount: shape.sequenceCount * c.kvHeadCount) { task, worker in
                let q = task / c.kvHeadCount, kvHead = task % c.kvHeadCount
                let start = shape.starts[q], t = shape.lengths[q]
                let group = c.headCount / c.kvHeadCount
                AttentionLayer.backwardKVHead(
                    attentionShape, kvHead: kvHead, length: t,
                    query: a.query + start * qw, key: a.key + start * kw, value: a.value + start * kw,
                    probabilities: a.probabilities + shape.probabilityOffsets[q] + kvHead * group * t * t,
                    dOutput: b.dAttention + start * qw, dQuery: b.dQuery + start * qw, dKey: b.dKey + start * kw,
                    dValue: b.dValue + start * kw, scratch: b.attentionScratch + worker * b.attentionScratchStride)
            }
            RotaryLayer.backward(b.dQuery, rows: n, heads: c.headCount, headDimension: c.headDimension,
                                 ropeDimensions: c.ropeDimensions, adjacentPairs: adjacent, cosines: s.cosines, sines: s.sines)
            RotaryLayer.backward(b.dKey, rows: n, heads: c.kvHeadCount, headDimension: c.headDimension,
                                 ropeDimensions: c.ropeDimensions, adjacentPairs: adjacent, cosines: s.cosines, sines: s.sines)
            LinearLayer.backward(dy: b.dQuery, x: a.norm1, weight: p[weights.query], rows: n, inputWidth: width,
                                 outputWidth: qw, dx: b.dNorm, accumulateInput: false, dWeight: g[weights.query],
                                 dBias: weights.queryBias.map { g[$0] }, transposed: b.transposed, pool: pool)
            LinearLayer.backward(dy: b.dKey, x: a.norm1, weight: p[weights.key], rows: n, inputWidth: width,
                                 outputWidth: kw, dx: b.dNorm, accumulateInput: true, dWeight: g[weights.key],
                                 dBias: weights.keyBias.map { g[$0] }, transposed: b.transposed, pool: pool)
            LinearLayer.backward(dy: b.dValue, x: a.norm1, weight: p[weights.value], rows: n, inputWidth: width,
                                 outputWidth: kw, dx: b.dNorm, accumulateInput: true, dWeight: g[weights.value],
                                 dBias: weights.valueBias.map { g[$0] }, transposed: b.transposed, pool: pool)
            RMSNormLayer.backward(dy: b.dNorm, x: a.input, rstd: a.rstd1, weight: p[weights.attentionNorm],
                                  rows: n, width: width, dx: b.dResidual, dWeight: g[weights.attentionNorm], pool: pool)
        }
        // Embedding: scatter-add each row's gradient into its token's row.
        let dEmbedding = g[layout.tokenEmbedding]
        for r in 0..<n {
            let row = dEmbedding + shape.tokens[r] * width, d = b.dResidual + r * width
            for i in 0..<width { row[i] += d[i] }
        }
    }
}

// MARK: - Batch shape and arenas

/// The rows of a batch: sequences packed one after another, no padding.
struct BatchShape {
    let rows: Int
    let sequenceCount: Int
    let starts: [Int]
    let lengths: [Int]
    let tokens: [Int]
    let positions: [Int]
    /// Per sequence, where its attention probabilities start within a layer's block.
    let probabilityOffsets: [Int]
    let probabilityFloats: Int
    /// Rows whose next token is scored, in sequence order, and those next tokens.
    let scoredRows: [Int]
    let scoredTargets: [Int]
    let scoredCounts: [Int]
    let longest: Int

    init(_ batch: [TrainingSequence], configuration c: LlamaConfiguration) {
        var starts: [Int] = [], lengths: [Int] = [], tokens: [Int] = [], positions: [Int] = []
        var offsets: [Int] = [], scoredRows: [Int] = [], scoredTargets: [Int] = []
        var probabilityFloats = 0
        for sequence in batch {
            let start = tokens.count, t = sequence.tokens.count
            starts.append(start)
            lengths.append(t)
            tokens += sequence.tokens
            positions += 0..<t
            offsets.append(probabilityFloats)
            probabilityFloats += c.headCount * t * t
            for j in sequence.completionStart..<t {
                scoredRows.append(start + j - 1)
                scoredTargets.append(sequence.tokens[j])
            }
        }
        self.rows = tokens.count
        self.sequenceCount = batch.count
        self.starts = starts
        self.lengths = lengths
        self.tokens = tokens
        self.positions = positions
        self.probabilityOffsets = offsets
        self.probabilityFloats = probabilityFloats
        self.scoredRows = scoredRows
        self.scoredTargets = scoredTargets
        self.scoredCounts = batch.map(\.scoredCount)
        self.longest = lengths.max() ?? 0
    }
}

/// A growable, 64-byte-aligned float buffer (one allocation reused across steps).
final class FloatArena {
    private(set) var base: UnsafeMutablePointer<Float> = .allocate(capacity: 16)
    private(set) var capacity = 16

    deinit { base.deallocate() }

    func reserve(_ count: Int) {
        guard count > capacity else { return }
        base.deallocate()
        base = .allocate(capacity: count)
        capacity = count
    }
}

/// Bump allocation of named regions, each rounded up to 16 floats.
struct RegionCursor {
    var next: UnsafeMutablePointer<Float>
    mutating func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        defer { next += (count + 15) / 16 * 16 }
        return next
    }
}

/// What one layer's forward keeps for its backward (`N` rows).
struct LayerActivations {
    let input: UnsafeMutablePointer<Float>          // [N × C] residual stream entering the layer
    let norm1: UnsafeMutablePointer<Float>          // [N × C]
    let rstd1: UnsafeMutablePointer<Float>          // [N]
    let query: UnsafeMutablePointer<Float>          // [N × QW] after RoPE
    let key: UnsafeMutablePointer<Float>            // [N × KW] after RoPE
    let value: UnsafeMutablePointer<Float>          // [N × KW]
    let probabilities: UnsafeMutablePointer<Float>  // per sequence [H × T × T]
    let attention: UnsafeMutablePointer<Float>      // [N × QW] attention output before its projection
    let residual: UnsafeMutablePointer<Float>       // [N × C] residual stream after attention
    let norm2: UnsafeMutablePointer<Float>          // [N × C]
    let rstd2: UnsafeMutablePointer<Float>          // [N]
    let gate: UnsafeMutablePointer<Float>           // [N × F]
    let up: UnsafeMutablePointer<Float>             // [N × F]
    let hidden: UnsafeMutablePointer<Float>         // [N × F] silu(gate) · up

    init(shape: BatchShape, configuration c: LlamaConfiguration, cursor: inout RegionCursor) {
        let n = shape.rows
        input = cursor.take(n * c.embeddingWidth)
        norm1 = cursor.take(n * c.embeddingWidth)
        rstd1 = cursor.take(n)
        query = cursor.take(n * c.queryWidth)
        key = cursor.take(n * c.kvWidth)
        value = cursor.take(n * c.kvWidth)
        probabilities = cursor.take(shape.probabilityFloats)
        attention = cursor.take(n * c.queryWidth)
        residual = cursor.take(n * c.embeddingWidth)
        norm2 = cursor.take(n * c.embeddingWidth)
        rstd2 = cursor.take(n)
        gate = cursor.take(n * c.feedForwardWidth)
        up = cursor.take(n * c.feedForwardWidth)
        hidden = cursor.take(n * c.feedForwardWidth)
    }
}

/// Everything a forward keeps: the layers' activations, the final norm, the rotary
/// tables, and the head's log-sum-exp and log-probabilities per scored row.
final class ForwardState {
    let shape: BatchShape
    let layers: [LayerActivations]
    let finalResidual: UnsafeMutablePointer<Float>  // [N × C]
    let finalNorm: UnsafeMutablePointer<Float>      // [N × C]
    let finalRstd: UnsafeMutablePointer<Float>      // [N]
    let cosines: UnsafeMutablePointer<Float>        // [N × rope/2]
    let sines: UnsafeMutablePointer<Float>          // [N × rope/2]
    let logSumExp: UnsafeMutablePointer<Double>     // [scored rows]
    let logprobs: UnsafeMutablePointer<Double>      // [scored rows]
    /// Just past the last region.
    let end: UnsafeMutablePointer<Float>

    /// Floats the layout below takes for `shape`: measured by laying it out from a base address
    /// that is never written, so the size and the layout cannot disagree.
    static func floatCount(_ shape: BatchShape, _ c: LlamaConfiguration) -> Int {
        let origin = UnsafeMutablePointer<Float>(bitPattern: 64)!
        return ForwardState(shape: shape, configuration: c, arena: origin).end - origin
    }

    init(shape: BatchShape, configuration c: LlamaConfiguration, arena: UnsafeMutablePointer<Float>) {
        self.shape = shape
        var cursor = RegionCursor(next: arena)
        layers = (0..<c.layerCount).map { _ in LayerActivations(shape: shape, configuration: c, cursor: &cursor) }
        let n = shape.rows, scored = shape.scoredRows.count
        finalResidual = cursor.take(n * c.embeddingWidth)
        finalNorm = cursor.take(n * c.embeddingWidth)
        finalRstd = cursor.take(n)
        cosines = cursor.take(n * c.ropeDimensions / 2)
        sines = cursor.take(n * c.ropeDimensions / 2)
        logSumExp = UnsafeMutableRawPointer(cursor.take(2 * scored)).bindMemory(to: Double.self, capacity: max(1, scored))
        logprobs = UnsafeMutableRawPointer(cursor.take(2 * scored)).bindMemory(to: Double.self, capacity: max(1, scored))
        end = cursor.next
    }
}

/// The backward pass's transient buffers: one layer's gradients at a time, never the
/// whole activation layout mirrored.
struct BackwardScratch {
    let dResidual, dNorm, dQuery, dKey, dValue, dAttention, dGate, dUp, dHidden, transposed: UnsafeMutablePointer<Float>
    let headInput, headDx, headLogits, headTransposed: UnsafeMutablePointer<Float>
    let attentionScratch: UnsafeMutablePointer<Float>
    let attentionScratchStride: Int

    init(shape: BatchShape, configuration c: LlamaConfiguration, headChunk: Int, workers: Int, arena: FloatArena) {
        let n = shape.rows, width = c.embeddingWidth
        let widest = max(c.feedForwardWidth, c.queryWidth, width)
        let stride = 2 * shape.longest * shape.longest
        let sizes = [n * width, n * width, n * c.queryWidth, n * c.kvWidth, n * c.kvWidth, n * c.queryWidth,
                     n * c.feedForwardWidth, n * c.feedForwardWidth, n * c.feedForwardWidth, widest * n,
                     headChunk * width, headChunk * width, headChunk * c.vocabularySize, headChunk * c.vocabularySize,
                     workers * stride]
        arena.reserve(sizes.reduce(0) { $0 + ($1 + 15) / 16 * 16 })
        var cursor = RegionCursor(next: arena.base)
        dResidual = cursor.take(sizes[0]); dNorm = cursor.take(sizes[1]); dQuery = cursor.take(sizes[2])
        dKey = cursor.take(sizes[3]); dValue = cursor.take(sizes[4]); dAttention = cursor.take(sizes[5])
        dGate = cursor.take(sizes[6]); dUp = cursor.take(sizes[7]); dHidden = cursor.take(sizes[8])
        transposed = cursor.take(sizes[9])
        headInput = cursor.take(sizes[10]); headDx = cursor.take(sizes[11])
        headLogits = cursor.take(sizes[12]); headTransposed = cursor.take(sizes[13])
        attentionScratch = cursor.take(sizes[14])
        attentionScratchStride = stride
    }
}
