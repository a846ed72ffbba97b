/// One matrix product of a group: `output[b * outputStride + r] = Σ_c weight[r, c] · input[b, c] (+ bias[r])`.
public struct MatrixJob: @unchecked Sendable {
    public let weight: WeightMatrix
    /// `[batch × outputStride]` floats; this job fills columns `0..<weight.rows`.
    public let output: UnsafeMutablePointer<Float>
    public let outputStride: Int
    /// `weight.rows` floats added to every output row (qwen2's QKV bias), or nil.
    public let bias: UnsafePointer<Float>?

    /// `@unchecked Sendable`: the pointers reference memory the model owns for its lifetime
    /// (mmap weights, scratch), and each task writes disjoint output elements.
    public init(weight: WeightMatrix, output: UnsafeMutablePointer<Float>, outputStride: Int,
                bias: UnsafePointer<Float>? = nil) {
        self.weight = weight
        self.output = output
        self.outputStride = outputStride
        self.bias = bias
    }
}

/// Matrix products over quantised weights, batched: each weight row is read and
/// decoded once per call, then multiplied with every input row. That makes a batch of
/// B sequences cost one pass over the weights (matrix-matrix), not B passes.
public enum MatrixMultiply {
    /// Rows of one matrix handled by one pool task: 16 made threads contend on the
    /// task counter (two threads decoded slower than one); 64 scales. A multiple of
    /// `PackedMatrix.groupRows`, so int8 tasks cover whole packed groups.
    public static let rowsPerTask = 64

    /// Runs a group of products that share one input (Q, K, V; or gate and up) as
    /// one pool job, so threads stay busy across the group.
    ///
    /// - Parameters:
    ///   - jobs: products; all have `weight.columns == columns`.
    ///   - input: `[batch × inputStride]` floats; row b's first `columns` are used.
    ///   - rowBuffers: one buffer of at least `rowBufferFloats(columns:)` floats per pool
    ///     thread, for decoded weight rows.
    ///   - activations: scratch for the int8 path: when given, jobs whose weight has a
    ///     `packed` form multiply the input quantised per block to int8 (the input is
    ///     quantised once for the group); nil runs every job in float32.
    public static func multiply(_ jobs: UnsafeBufferPointer<MatrixJob>, input: UnsafePointer<Float>,
                                inputStride: Int, batch: Int, pool: WorkerPool,
                                rowBuffers: UnsafeMutablePointer<Float>, rowBufferStride: Int,
                                activations: QuantizedActivations? = nil) {
        let quantized = activations.flatMap { a in jobs.contains { $0.weight.packed != nil } ? a : nil }
        if let quantized { quantize(input, stride: inputStride, batch: batch, columns: jobs[0].weight.columns, into: quantized, pool: pool) }
        var taskCount = 0
        for job in jobs { taskCount += (job.weight.rows + rowsPerTask - 1) / rowsPerTask }
        pool.run(taskCount: taskCount) { task, worker in
            // Find the job and row range of this task.
            var remaining = task
            var jobIndex = 0
            while true {
                let tasks = (jobs[jobIndex].weight.rows + rowsPerTask - 1) / rowsPerTask
                if remaining < tasks { break }
                remaining -= tasks
                jobIndex += 1
            }
            let job = jobs[jobIndex]
            let start = remaining * rowsPerTask
            let end = min(start + rowsPerTask, job.weight.rows)
            if let quantized, let packed = job.weight.packed {
                packed.multiply(rows: start..<end, activations: quantized, batch: batch, output: job.output,
                                outputStride: job.outputStride, bias: job.bias)
            } else {
                multiplyRows(job, rows: start..<end, input: input, inputStride: inputStride, batch: batch,
                             rowBuffer: rowBuffers + worker * rowBufferStride)
            }
        }
    }

    /// Quantises the batch's input rows for the int8 path, on the pool for large batches.
    static func quantize(_ input: UnsafePointer<Float>, stride: Int, batch: Int, columns: Int,
                         into activations: QuantizedActivations, pool: WorkerPool) {
        activations.prepare(rows: batch, columns: columns)
        let rowsPerTask = 16
        let tasks = (batch + rowsPerTask - 1) / rowsPerTask
        pool.run(taskCount: tasks) { task, _ in
            let start = task * rowsPerTask
            activations.quantizeRows(input, stride: stride, rows: start..<min(start + rowsPerTask, batch))
        }
    }

    /// Batches up to this size decode weights inside the dot product (no row buffer);
    /// larger ones decode each row once into the buffer and tile it against the
    /// batch. Both give bitwise-equal results (see `MatrixMultiply+AVX2.swift`), so
    /// a sequence's logits do not depend on the batch it ran in.
    public static let fusedBatchLimit = 1

    /// Floats of row buffer each pool thread needs for a matrix of `columns` columns.
    public static func rowBufferFloats(columns: Int) -> Int { columns }

    /// The body of one task: decode each row once, dot it with every input row.
    @inline(__always)
    static func multiplyRows(_ job: MatrixJob, rows: Range<Int>, input: UnsafePointer<Float>, inputStride: Int,
                             batch: Int, rowBuffer: UnsafeMutablePointer<Float>) {
        let columns = job.weight.columns
#if arch(x86_64)
        if tiledPathApplies(job.weight) {
            if batch <= fusedBatchLimit && RowDecoding.hasFusedDot(job.weight.type) {
                for row in rows {
                    let source = job.weight.rowPointer(row)
                    let bias = job.bias?[row] ?? 0
                    for b in 0..<batch {
                        job.output[b &* job.outputStride &+ row] =
                            RowDecoding.dotFused(job.weight.type, source, input + b &* inputStride, columns) + bias
                    }
                }
                return
            }
            return tiledRows(job, rows: rows, input: input, inputStride: inputStride, batch: batch, rowBuffer: rowBuffer)
        }
#endif
        for row in rows {
            let decoded = job.weight.floatRow(row, buffer: rowBuffer)
            let bias = job.bias?[row] ?? 0
            for b in 0..<batch {
                job.output[b &* job.outputStride &+ row] =
                    VectorKernels.dot(decoded, input + b &* inputStride, count: columns) + bias
            }
        }
    }
}
