// The llama-family decoder (llama, mistral, qwen2): a port of the computation in
// llama.cpp's `llm_build_llama` / `llm_build_qwen2` graphs (read, not copied) to
// plain loops over the Kernels module, in the shape of llama2.c's `forward`:
// configuration + mmap weights + scratch allocated once + an allocation-free forward.
import CKernels
import GGUF
import Kernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One row of a forward batch: token `token` at `position` of KV-cache sequence
/// `sequence`.
///
/// A batch may mix sequences and hold several consecutive positions of one sequence
/// (a prompt chunk); rows of one sequence must come in position order, starting at
/// the sequence's current length.
public struct BatchRow: Sendable, Equatable {
    public var sequence: Int
    public var position: Int
    public var token: Int
    /// Whether `forward` returns logits for this row (the last prompt row and every
    /// decode row; intermediate prompt rows skip the output head).
    public var wantsLogits: Bool

    public init(sequence: Int, position: Int, token: Int, wantsLogits: Bool) {
        self.sequence = sequence
        self.position = position
        self.token = token
        self.wantsLogits = wantsLogits
    }
}

/// Logits of the rows of a batch that asked for them, in batch order:
/// `[rows × vocabularySize]` fp32. A view into the scratch: valid until the next
/// `forward` with the same scratch.
public struct ForwardLogits {
    public let rowCount: Int
    public let vocabularySize: Int
    let base: UnsafePointer<Float>

    /// The logits of the `index`-th row that asked for logits.
    public func row(_ index: Int) -> UnsafeBufferPointer<Float> {
        precondition(index >= 0 && index < rowCount, "ForwardLogits: row \(index) of \(rowCount)")
        return UnsafeBufferPointer(start: base + index * vocabularySize, count: vocabularySize)
    }
}

/// A loaded llama-family model: configuration plus immutable weight views.
///
/// ```swift
/// let model = try LlamaModel(path: "SmolLM2-135M-Instruct.Q4_1.gguf")
/// let pool = WorkerPool(threadCount: 2)
/// let scratch = LlamaScratch(model: model, pool: pool)
/// let cache = model.makeCache()
/// let sequence = try cache.createSequence()
/// let logits = try model.forward(batch: prompt.enumerated().map {
///     BatchRow(sequence: sequence, position: $0.offset, token: $0.element, wantsLogits: $0.offset == prompt.count - 1)
/// }, cache: cache, scratch: scratch)
/// ```
public final class LlamaModel: Sendable {
    public let configuration: LlamaConfiguration
    public let weights: LlamaWeights

    /// - Parameter precision: how matrix products multiply (`MatrixPrecision`); the
    ///   default is int8 activations where the CPU has the SIMD kernel for them.
    public convenience init(path: String, precision: MatrixPrecision = .platformDefault) throws(ModelsError) {
        let file: GGUFFile
        do { file = try GGUFFile(path: path) } catch { throw .file(error) }
        try self.init(file: file, precision: precision)
    }

    /// - Throws: `ModelsError.unsupportedArchitecture` (listing the supported ones),
    ///   or an error naming the missing or malformed key or tensor.
    public init(file: GGUFFile, precision: MatrixPrecision = .platformDefault) throws(ModelsError) {
        configuration = try LlamaConfiguration(file: file)
        weights = try LlamaWeights(file: file, configuration: configuration, precision: precision)
    }

    /// A KV cache shaped for this model.
    public func makeCache(maxSequences: Int = 256, maxTotalPositions: Int = 1 << 16, pageSize: Int = 16) -> PagedKVCache {
        PagedKVCache(layerCount: configuration.layerCount, kvWidth: configuration.kvWidth,
                     maxPositions: configuration.contextLength, maxSequences: maxSequences,
                     pageSize: pageSize, maxTotalPositions: maxTotalPositions)
    }

    /// Runs the decoder over a batch, appending each row's keys and values to its
    /// sequence in `cache`, and returns logits for the rows that asked.
    ///
    /// Each weight matrix is read once for the whole batch; attention runs per row
    /// over that row's own sequence (shared prompt pages included) up to its position,
    /// with rows that share prompt pages scoring those pages together. A row's logits
    /// are the same whatever else is in the batch.
    ///
    /// - Throws: `ModelsError.invalidBatch` (empty, too large, token out of range,
    ///   positions out of order) before anything is written; `.cacheExhausted`.
    public func forward(batch: [BatchRow], cache: PagedKVCache, scratch s: LlamaScratch) throws(ModelsError) -> ForwardLogits {
        let c = configuration
        let rowCount = batch.count
        guard rowCount > 0, rowCount <= s.maxBatchRows else {
            throw .invalidBatch(reason: "\(rowCount) rows; the scratch holds 1 to \(s.maxBatchRows)")
        }
        var logitRowCount = 0
        var expectedPosition: [Int: Int] = [:]
        for row in batch {
            guard row.token >= 0, row.token < c.vocabularySize else {
                throw .invalidBatch(reason: "token \(row.token) is outside the vocabulary 0..<\(c.vocabularySize)")
            }
            guard row.sequence >= 0, row.sequence < cache.maxSequences else {
                throw .invalidBatch(reason: "sequence \(row.sequence) does not exist in the KV cache")
            }
            let expected = expectedPosition[row.sequence] ?? cache.length(of: row.sequence)
            guard row.position == expected else {
                throw .invalidBatch(reason: "row for sequence \(row.sequence) has position \(row.position), expected \(expected)")
            }
            expectedPosition[row.sequence] = expected + 1
            if row.wantsLogits { logitRowCount += 1 }
        }
        guard logitRowCount <= s.maxLogitRows else {
            throw .invalidBatch(reason: "\(logitRowCount) rows ask for logits; the scratch holds \(s.maxLogitRows)")
        }
        for (b, row) in batch.enumerated() {
            let (page, slot) = try cache.appendSlot(row.sequence, position: row.position)
            s.pages[b] = page
            s.slots[b] = slot
        }
        planAttention(batch: batch, cache: cache, scratch: s)

        let width = c.embeddingWidth, kvWidth = c.kvWidth, queryWidth = c.queryWidth, ffn = c.feedForwardWidth
        let half = c.ropeDimensions / 2
        for (b, row) in batch.enumerated() {
            for i in 0..<half {
                let angle = Double(row.position) * s.inverseFrequencies[i]
                s.cosines[b * half + i] = Float(cos(angle))
                s.sines[b * half + i] = Float(sin(angle))
            }
            weights.tokenEmbedding.decodeRow(row.token, into: s.hidden + b * width)
        }

        let adjacent = c.architecture.rotatesAdjacentPairs
        for (l, layer) in weights.layers.enumerated() {
            let jobBase = l * LlamaScratch.jobsPerLayer
            // Attention block.
            for b in 0..<rowCount {
                VectorKernels.rmsNorm(s.hidden + b * width, weight: layer.attentionNorm.pointer, epsilon: c.normEpsilon,
                                      into: s.normed + b * width, count: width)
            }
            MatrixMultiply.multiply(s.jobGroup(jobBase, count: 3), input: s.normed, inputStride: width, batch: rowCount,
                                    pool: s.pool, rowBuffers: s.rowBuffers, rowBufferStride: s.rowBufferStride,
                                    activations: s.activations)
            for b in 0..<rowCount {
                rotate(s.query + b * queryWidth, heads: c.headCount, row: b, scratch: s, adjacent: adjacent)
                rotate(s.key + b * kvWidth, heads: c.kvHeadCount, row: b, scratch: s, adjacent: adjacent)
                cache.store(key: s.key + b * kvWidth, value: s.value + b * kvWidth, page: s.pages[b], layer: l, slot: s.slots[b])
            }
            attend(batch: batch, layer: l, cache: cache, scratch: s)
            MatrixMultiply.multiply(s.jobGroup(jobBase + 3, count: 1), input: s.attention, inputStride: queryWidth,
                                    batch: rowCount, pool: s.pool, rowBuffers: s.rowBuffers, rowBufferStride: s.rowBufferStride,
                                    activations: s.activations)
            VectorKernels.addScaled(s.projected, scale: 1, into: s.hidden, count: rowCount * width)

            // Feed-forward block (SwiGLU).
            for b in 0..<rowCount {
                VectorKernels.rmsNorm(s.hidden + b * width, weight: layer.feedForwardNorm.pointer, epsilon: c.normEpsilon,
                                      into: s.normed + b * width, count: width)
            }
            MatrixMultiply.multiply(s.jobGroup(jobBase + 4, count: 2), input: s.normed, inputStride: width, batch: rowCount,
                                    pool: s.pool, rowBuffers: s.rowBuffers, rowBufferStride: s.rowBufferStride,
                                    activations: s.activations)
            VectorKernels.swiGLU(gate: s.gate, up: s.up, count: rowCount * ffn)
            MatrixMultiply.multiply(s.jobGroup(jobBase + 6, count: 1), input: s.gate, inputStride: ffn, batch: rowCount,
                                    pool: s.pool, rowBuffers: s.rowBuffers, rowBufferStride: s.rowBufferStride,
                                    activations: s.activations)
            VectorKernels.addScaled(s.projected, scale: 1, into: s.hidden, count: rowCount * width)
        }

        // Output head over the rows that want logits only.
        var n = 0
        for (b, row) in batch.enumerated() where row.wantsLogits {
            VectorKernels.rmsNorm(s.hidden + b * width, weight: weights.outputNorm.pointer, epsilon: c.normEpsilon,
                                  into: s.normed + n * width, count: width)
            n += 1
        }
        if n > 0 {
            MatrixMultiply.multiply(s.jobGroup(c.layerCount * LlamaScratch.jobsPerLayer, count: 1), input: s.normed,
                                    inputStride: width, batch: n, pool: s.pool,
                                    rowBuffers: s.rowBuffers, rowBufferStride: s.rowBufferStride, activations: s.activations)
        }
        return ForwardLogits(rowCount: n, vocabularySize: c.vocabularySize, base: s.logits)
    }

    @inline(__always)
    private func rotate(_ x: UnsafeMutablePointer<Float>, heads: Int, row: Int, scratch s: LlamaScratch, adjacent: Bool) {
        let c = configuration
        let half = c.ropeDimensions / 2
        for head in 0..<heads {
            VectorKernels.rotary(x + head * c.headDimension, headCount: 1, headDimension: c.ropeDimensions,
                                 cosines: s.cosines + row * half, sines: s.sines + row * half, adjacentPairs: adjacent)
        }
    }

    /// Groups the batch's rows for attention (once per forward; the same for every layer).
    ///
    /// Rows whose sequences begin with the same full page (samples forked from one
    /// prompt, or the rows of one prompt chunk) form a group; a group is cut into tasks of
    /// up to `rowsPerTask` rows, and each task's shared pages are the leading full pages
    /// all its rows have in common. Tasks × KV heads is about 6 per thread, so the pool
    /// stays balanced while each shared page is read a few times per step instead of once
    /// per row.
    private func planAttention(batch: [BatchRow], cache: PagedKVCache, scratch s: LlamaScratch) {
        let pageSize = cache.pageSize
        var groups: [[Int32]] = []
        var groupOfFirstPage: [Int32: Int] = [:]
        var longest = 0
        for (b, row) in batch.enumerated() {
            let table = cache.pageTable(row.sequence)
            s.pageTables[b] = table
            s.attendedCounts[b] = Int64(row.position + 1)
            longest = max(longest, row.position + 1)
            if row.position + 1 >= pageSize, let g = groupOfFirstPage[table[0]] {
                groups[g].append(Int32(b))
            } else {
                if row.position + 1 >= pageSize { groupOfFirstPage[table[0]] = groups.count }
                groups.append([Int32(b)])
            }
        }
        let group = configuration.headCount / configuration.kvHeadCount
        let paddedLongest = (longest + pageSize - 1) / pageSize * pageSize
        let targetTasks = 6 * s.pool.threadCount
        let rowsPerTask = max(1, min((batch.count * configuration.kvHeadCount + targetTasks - 1) / targetTasks,
                                     s.scoresStride / (group * paddedLongest), 64))
        var next = 0
        s.attentionTaskCount = 0
        for rows in groups {
            let chunks = (rows.count + rowsPerTask - 1) / rowsPerTask
            var start = 0
            for k in 0..<chunks {
                // Even chunk sizes: the first rows.count % chunks chunks take one row more.
                let size = rows.count / chunks + (k < rows.count % chunks ? 1 : 0)
                let members = rows[start..<start + size]
                start += size
                var shared = 0
                if members.count > 1 {
                    let first = s.pageTables[Int(members.first!)].unsafelyUnwrapped
                    let fullPages = members.map { Int(s.attendedCounts[Int($0)]) / pageSize }.min()!
                    while shared < fullPages, members.allSatisfy({ s.pageTables[Int($0)].unsafelyUnwrapped[shared] == first[shared] }) {
                        shared += 1
                    }
                }
                s.attentionTasks[s.attentionTaskCount] = LlamaScratch.AttentionTask(start: next, count: size, sharedPages: shared)
                s.attentionTaskCount += 1
                for b in members {
                    s.attentionRows[next] = b
                    next += 1
                }
            }
        }
    }

    /// Scaled dot-product attention, causal: each row attends to positions `0...position`
    /// of its own sequence through its page table (shared prompt pages included). Pages
    /// of 16 positions use the C kernel (`AttentionKernel`), one task per (planned row
    /// group, KV head) covering the query heads that share the KV head; rows of a group
    /// score their shared pages together. Other page sizes use the simple loop
    /// `attendSimple`, which tests compare it with.
    private func attend(batch: [BatchRow], layer: Int, cache: PagedKVCache, scratch s: LlamaScratch) {
        let c = configuration
        guard cache.pageSize == AttentionKernel.pageSize else {
            return attendSimple(batch: batch, layer: layer, cache: cache, scratch: s)
        }
        let d = c.headDimension
        let group = c.headCount / c.kvHeadCount
        let scale = 1 / Float(d).squareRoot()
        let keyOffset = cache.keyOffset(layer: layer), valueOffset = cache.valueOffset(layer: layer)
        let layout = AttentionPageLayout(slabs: cache.slabTable, pagesPerSlab: cache.pagesPerSlab, pageElements: cache.pageFloatCount,
                                         keyOffset: keyOffset, valueOffset: valueOffset, valueStride: c.kvWidth)
        s.pool.run(taskCount: s.attentionTaskCount * c.kvHeadCount) { t, worker in
            let task = s.attentionTasks[t / c.kvHeadCount], kvHead = t % c.kvHeadCount
            var headLayout = layout
            headLayout.keyOffset += kvHead * d * cache.pageSize
            headLayout.valueOffset += kvHead * d
            AttentionKernel.attend(rows: UnsafeBufferPointer(start: s.attentionRows + task.start, count: task.count),
                                   query: s.query + kvHead * group * d, queryStride: c.queryWidth,
                                   output: s.attention + kvHead * group * d, outputStride: c.queryWidth,
                                   group: group, headDimension: d, scale: scale, layout: headLayout,
                                   pageTables: s.pageTables, counts: s.attendedCounts, sharedPages: task.sharedPages,
                                   scores: s.scores + worker * s.scoresStride)
        }
    }

    /// The simple attention: per (row, head), scores, softmax, weighted values.
    private func attendSimple(batch: [BatchRow], layer: Int, cache: PagedKVCache, scratch s: LlamaScratch) {
        let c = configuration
        let d = c.headDimension
        let group = c.headCount / c.kvHeadCount
        let scale = 1 / Float(d).squareRoot()
        let pageSize = cache.pageSize
        batch.withUnsafeBufferPointer { rows in
            s.pool.run(taskCount: rows.count * c.headCount) { task, worker in
                let b = task / c.headCount, head = task % c.headCount
                let kvOffset = (head / group) * d
                let query = s.query + b * c.queryWidth + head * d
                let output = s.attention + b * c.queryWidth + head * d
                let scores = s.scores + worker * s.scoresStride
                let table = cache.pageTable(rows[b].sequence)
                let count = rows[b].position + 1
                for t in 0..<count {
                    var dot: Float = 0
                    for j in 0..<d {
                        dot += query[j] * cache.key(page: table[t / pageSize], layer: layer, slot: t % pageSize, index: kvOffset + j)
                    }
                    scores[t] = dot * scale
                }
                VectorKernels.softmax(scores, count: count)
                output.update(repeating: 0, count: d)
                for t in 0..<count {
                    let value = cache.valuePointer(page: table[t / pageSize], layer: layer, slot: t % pageSize) + kvOffset
                    for j in 0..<d { output[j] += scores[t] * Float(Float16(bitPattern: value[j])) }
                }
            }
        }
    }
}
