import Kernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Every buffer the forward pass writes, allocated once for a batch capacity, plus
/// the pre-built matrix jobs that point into them: `forward` allocates nothing.
///
/// A scratch belongs to one caller at a time (the engine); it is not `Sendable`.
public final class LlamaScratch {
    /// Rows a forward batch may have.
    public let maxBatchRows: Int
    /// Rows of a batch that may ask for logits.
    public let maxLogitRows: Int
    public let pool: WorkerPool

    // Activations, `[maxBatchRows × width]` each (width in the comment).
    let hidden: UnsafeMutablePointer<Float>        // residual stream x, embeddingWidth
    let normed: UnsafeMutablePointer<Float>        // RMSNorm output, embeddingWidth
    let projected: UnsafeMutablePointer<Float>     // attention / FFN output before the residual add, embeddingWidth
    let query: UnsafeMutablePointer<Float>         // queryWidth
    let key: UnsafeMutablePointer<Float>           // kvWidth
    let value: UnsafeMutablePointer<Float>         // kvWidth
    let attention: UnsafeMutablePointer<Float>     // queryWidth
    let gate: UnsafeMutablePointer<Float>          // feedForwardWidth
    let up: UnsafeMutablePointer<Float>            // feedForwardWidth
    let logits: UnsafeMutablePointer<Float>        // [maxLogitRows × vocabularySize]
    // Per row of the batch.
    let cosines: UnsafeMutablePointer<Float>       // [maxBatchRows × ropeDimensions/2]
    let sines: UnsafeMutablePointer<Float>
    let pages: UnsafeMutablePointer<Int32>
    let slots: UnsafeMutablePointer<Int>
    let pageTables: UnsafeMutablePointer<UnsafePointer<Int32>?>   // the row's sequence's page table
    let attendedCounts: UnsafeMutablePointer<Int64>                // positions the row attends to (position + 1)
    // The attention plan of the current batch (`LlamaModel.planAttention`): batch rows
    // in task order, and per task its slice of them and its shared pages.
    let attentionRows: UnsafeMutablePointer<Int32>
    let attentionTasks: UnsafeMutablePointer<AttentionTask>
    var attentionTaskCount = 0
    // Per pool thread.
    let rowBuffers: UnsafeMutablePointer<Float>    // [threads × rowBufferStride] decoded weight rows
    let rowBufferStride: Int
    let scores: UnsafeMutablePointer<Float>        // [threads × scoresStride] attention scores
    let scoresStride: Int
    /// Int8 copies of the matrix inputs (normed, attention, gate rows) for the int8 path.
    let activations: QuantizedActivations
    /// `base^(-2i/ropeDimensions) / linearScale`, i < ropeDimensions/2.
    let inverseFrequencies: [Double]
    /// Per layer: q, k, v, attn_output, gate, up, down; then the output head.
    let jobs: UnsafeMutablePointer<MatrixJob>
    static let jobsPerLayer = 7
    /// Positions of scores per query head a worker's scratch holds at least (rows × positions).
    static let scoresPositions = 8192
    private var allocations: [UnsafeMutableRawPointer] = []

    /// - Parameters:
    ///   - maxBatchRows: the largest batch `forward` will get (prompt chunks and decode
    ///     steps of all sequences together).
    ///   - maxLogitRows: the most rows of one batch that ask for logits (the decode
    ///     batch width); costs `maxLogitRows × vocabulary × 4` bytes.
    public init(model: LlamaModel, maxBatchRows: Int = 128, maxLogitRows: Int = 64, pool: WorkerPool) {
        precondition(maxBatchRows > 0 && maxLogitRows > 0)
        let c = model.configuration
        self.maxBatchRows = maxBatchRows
        self.maxLogitRows = maxLogitRows
        self.pool = pool
        var allocations: [UnsafeMutableRawPointer] = []
        func buffer<T>(_ count: Int, _ type: T.Type = Float.self) -> UnsafeMutablePointer<T> {
            let p = UnsafeMutablePointer<T>.allocate(capacity: max(count, 1))
            UnsafeMutableRawPointer(p).initializeMemory(as: UInt8.self, repeating: 0, count: max(count, 1) * MemoryLayout<T>.stride)
            allocations.append(UnsafeMutableRawPointer(p))
            return p
        }
        let b = maxBatchRows
        hidden = buffer(b * c.embeddingWidth)
        normed = buffer(b * c.embeddingWidth)
        projected = buffer(b * c.embeddingWidth)
        query = buffer(b * c.queryWidth)
        key = buffer(b * c.kvWidth)
        value = buffer(b * c.kvWidth)
        attention = buffer(b * c.queryWidth)
        gate = buffer(b * c.feedForwardWidth)
        up = buffer(b * c.feedForwardWidth)
        logits = buffer(maxLogitRows * c.vocabularySize)
        cosines = buffer(b * c.ropeDimensions / 2)
        sines = buffer(b * c.ropeDimensions / 2)
        pages = buffer(b, Int32.self)
        slots = buffer(b, Int.self)
        pageTables = buffer(b, UnsafePointer<Int32>?.self)
        attendedCounts = buffer(b, Int64.self)
        attentionRows = buffer(b, Int32.self)
        attentionTasks = buffer(b, AttentionTask.self)
        rowBufferStride = MatrixMultiply.rowBufferFloats(columns: max(c.embeddingWidth, c.queryWidth, c.feedForwardWidth))
        rowBuffers = buffer(pool.threadCount * rowBufferStride)
        // A task scores its KV head's query heads over up to contextLength positions, rounded up to pages of 16,
        // for one row, or for several rows scored together (as many as fit; at least 8,192 positions in all).
        scoresStride = (c.headCount / c.kvHeadCount) * max((c.contextLength + 15) / 16 * 16, Self.scoresPositions)
        scores = buffer(pool.threadCount * scoresStride)
        activations = QuantizedActivations(rows: maxBatchRows, columns: max(c.embeddingWidth, c.queryWidth, c.feedForwardWidth))
        inverseFrequencies = c.ropeInverseFrequencies

        let w = model.weights
        jobs = .allocate(capacity: c.layerCount * Self.jobsPerLayer + 1)
        for (i, layer) in w.layers.enumerated() {
            let j = jobs + i * Self.jobsPerLayer
            (j + 0).initialize(to: MatrixJob(weight: layer.query, output: query, outputStride: c.queryWidth, bias: layer.queryBias?.pointer))
            (j + 1).initialize(to: MatrixJob(weight: layer.key, output: key, outputStride: c.kvWidth, bias: layer.keyBias?.pointer))
            (j + 2).initialize(to: MatrixJob(weight: layer.value, output: value, outputStride: c.kvWidth, bias: layer.valueBias?.pointer))
            (j + 3).initialize(to: MatrixJob(weight: layer.attentionOutput, output: projected, outputStride: c.embeddingWidth))
            (j + 4).initialize(to: MatrixJob(weight: layer.gate, output: gate, outputStride: c.feedForwardWidth))
            (j + 5).initialize(to: MatrixJob(weight: layer.up, output: up, outputStride: c.feedForwardWidth))
            (j + 6).initialize(to: MatrixJob(weight: layer.down, output: projected, outputStride: c.embeddingWidth))
        }
        (jobs + c.layerCount * Self.jobsPerLayer).initialize(
            to: MatrixJob(weight: w.output, output: logits, outputStride: c.vocabularySize))
        self.allocations = allocations
        jobCount = c.layerCount * Self.jobsPerLayer + 1
    }

    private let jobCount: Int

    deinit {
        jobs.deinitialize(count: jobCount)
        jobs.deallocate()
        for p in allocations { p.deallocate() }
    }

    /// One attention task: rows `attentionRows[start..<start + count]`, scored together
    /// on their first `sharedPages` pages.
    struct AttentionTask {
        var start: Int
        var count: Int
        var sharedPages: Int
    }

    /// `count` jobs starting at job `index` of the table.
    @inline(__always)
    func jobGroup(_ index: Int, count: Int) -> UnsafeBufferPointer<MatrixJob> {
        UnsafeBufferPointer(start: jobs + index, count: count)
    }
}

