import GGUF
import Kernels

/// The weights of one decoder layer: views into the mapped file.
public struct LlamaLayerWeights: Sendable {
    public let attentionNorm: FloatVector   // blk.N.attn_norm.weight   [width] f32
    public let query: WeightMatrix                     // blk.N.attn_q.weight      [heads·d × width]
    public let key: WeightMatrix                       // blk.N.attn_k.weight      [kvHeads·d × width]
    public let value: WeightMatrix                     // blk.N.attn_v.weight      [kvHeads·d × width]
    public let queryBias: FloatVector?      // blk.N.attn_q.bias        [heads·d] (qwen2)
    public let keyBias: FloatVector?        // blk.N.attn_k.bias        [kvHeads·d]
    public let valueBias: FloatVector?      // blk.N.attn_v.bias        [kvHeads·d]
    public let attentionOutput: WeightMatrix           // blk.N.attn_output.weight [width × heads·d]
    public let feedForwardNorm: FloatVector // blk.N.ffn_norm.weight    [width] f32
    public let gate: WeightMatrix                      // blk.N.ffn_gate.weight    [ffn × width]
    public let up: WeightMatrix                        // blk.N.ffn_up.weight      [ffn × width]
    public let down: WeightMatrix                      // blk.N.ffn_down.weight    [width × ffn]
}

/// A read-only float vector inside the mapped file (norm weights, biases).
///
/// `@unchecked Sendable`: immutable memory that the owning `GGUFFile` keeps mapped.
public struct FloatVector: @unchecked Sendable {
    public let pointer: UnsafePointer<Float>
    public let count: Int
}

/// All weights of a llama-shaped model as immutable views into the memory-mapped
/// GGUF file: nothing is copied, so loading costs no heap memory and no time.
public struct LlamaWeights: Sendable {
    /// Keeps the mapping alive as long as the views are used.
    public let file: GGUFFile
    public let tokenEmbedding: WeightMatrix            // token_embd.weight [vocab × width]
    public let layers: [LlamaLayerWeights]
    public let outputNorm: FloatVector      // output_norm.weight [width] f32
    /// output.weight [vocab × width], or the token embedding when the file has none (tied).
    public let output: WeightMatrix

    /// How the matrices multiply; with `.int8Activations` the q4_0 / q4_1 / q8_0 / q4_K / q6_K
    /// matrices are repacked for the int8 kernel (heap copies of the same size).
    public let precision: MatrixPrecision

    /// - Parameter precision: `.int8Activations` repacks the quantised matrices now.
    public init(file: GGUFFile, configuration c: LlamaConfiguration,
                precision: MatrixPrecision = .float32) throws(ModelsError) {
        self.file = file
        self.precision = precision
        let packingPool = precision == .int8Activations ? WorkerPool() : nil
        func matrix(_ name: String, rows: Int, columns: Int) throws(ModelsError) -> WeightMatrix {
            let weight = try mappedMatrix(name, rows: rows, columns: columns)
            return packingPool.map { weight.packedForInt8(pool: $0) } ?? weight
        }
        func mappedMatrix(_ name: String, rows: Int, columns: Int) throws(ModelsError) -> WeightMatrix {
            let info: GGUFTensorInfo
            do { info = try file.tensor(name) } catch { throw .file(error) }
            guard info.shape == [columns, rows] else {
                throw .invalidModel(path: file.path, reason: "tensor \(name) has shape \(info.shape), expected [\(columns), \(rows)]")
            }
            do {
                return try WeightMatrix(name: name, type: info.type, rows: rows, columns: columns, data: file.data(for: info))
            } catch { throw .kernel(error) }
        }
        func vector(_ name: String, count: Int) throws(ModelsError) -> FloatVector {
            let info: GGUFTensorInfo
            do { info = try file.tensor(name) } catch { throw .file(error) }
            guard info.elementCount == count, info.type == .f32 else {
                throw .invalidModel(path: file.path, reason: "tensor \(name) is \(info.type) \(info.shape), expected f32 [\(count)]")
            }
            let data = file.data(for: info)
            return FloatVector(pointer: data.baseAddress!.assumingMemoryBound(to: Float.self), count: count)
        }
        func optionalVector(_ name: String, count: Int) throws(ModelsError) -> FloatVector? {
            file.hasTensor(name) ? try vector(name, count: count) : nil
        }

        // With an untied output head the embedding is only looked up, so it needs no packed copy
        // (Qwen2.5-Coder-1.5B's would be 135 MB of heap).
        tokenEmbedding = file.hasTensor("output.weight")
            ? try mappedMatrix("token_embd.weight", rows: c.vocabularySize, columns: c.embeddingWidth)
            : try matrix("token_embd.weight", rows: c.vocabularySize, columns: c.embeddingWidth)
        var layers: [LlamaLayerWeights] = []
        for i in 0..<c.layerCount {
            let p = "blk.\(i)."
            layers.append(LlamaLayerWeights(
                attentionNorm: try vector(p + "attn_norm.weight", count: c.embeddingWidth),
                query: try matrix(p + "attn_q.weight", rows: c.queryWidth, columns: c.embeddingWidth),
                key: try matrix(p + "attn_k.weight", rows: c.kvWidth, columns: c.embeddingWidth),
                value: try matrix(p + "attn_v.weight", rows: c.kvWidth, columns: c.embeddingWidth),
                queryBias: try optionalVector(p + "attn_q.bias", count: c.queryWidth),
                keyBias: try optionalVector(p + "attn_k.bias", count: c.kvWidth),
                valueBias: try optionalVector(p + "attn_v.bias", count: c.kvWidth),
                attentionOutput: try matrix(p + "attn_output.weight", rows: c.embeddingWidth, columns: c.queryWidth),
                feedForwardNorm: try vector(p + "ffn_norm.weight", count: c.embeddingWidth),
                gate: try matrix(p + "ffn_gate.weight", rows: c.feedForwardWidth, columns: c.embeddingWidth),
                up: try matrix(p + "ffn_up.weight", rows: c.feedForwardWidth, columns: c.embeddingWidth),
                down: try matrix(p + "ffn_down.weight", rows: c.embeddingWidth, columns: c.feedForwardWidth)))
        }
        self.layers = layers
        outputNorm = try vector("output_norm.weight", count: c.embeddingWidth)
        output = file.hasTensor("output.weight")
            ? try matrix("output.weight", rows: c.vocabularySize, columns: c.embeddingWidth)
            : tokenEmbedding
    }
}
