import GGUF
import Models
import TensorCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One named tensor of a `ParameterArena`: `rows × columns` floats at `offset`
/// (vectors have one row), stored row-major as ggml lays out a GGUF `[columns, rows]` tensor.
public struct ParameterTensor: Sendable, Equatable {
    /// The GGUF tensor name (`blk.3.attn_q.weight`), so export writes it back under it.
    public let name: String
    public let rows: Int
    public let columns: Int
    public let offset: Int
    public var count: Int { rows * columns }
    /// The GGUF shape: `[columns, rows]` for matrices, `[columns]` for vectors.
    public var ggufShape: [Int] { rows == 1 ? [columns] : [columns, rows] }
}

/// Where each tensor of one decoder layer sits in the arena.
public struct LayerParameterTensors: Sendable {
    public let attentionNorm: ParameterTensor   // [C]
    public let query: ParameterTensor           // [QW × C]
    public let key: ParameterTensor             // [KW × C]
    public let value: ParameterTensor           // [KW × C]
    public let queryBias: ParameterTensor?      // [QW] (qwen2)
    public let keyBias: ParameterTensor?        // [KW]
    public let valueBias: ParameterTensor?      // [KW]
    public let attentionOutput: ParameterTensor // [C × QW]
    public let feedForwardNorm: ParameterTensor // [C]
    public let gate: ParameterTensor            // [F × C]
    public let up: ParameterTensor              // [F × C]
    public let down: ParameterTensor            // [C × F]
}

/// The layout of every trainable tensor of a llama-family model in one float arena,
/// in the manner of llm.c's single parameter allocation. Parameters, gradients and the
/// two AdamW moments are each one `ParameterArena` of this layout, so an optimizer step
/// is a loop over one array.
public struct ParameterLayout: Sendable {
    public let configuration: LlamaConfiguration
    public let tokenEmbedding: ParameterTensor          // token_embd.weight [V × C]
    public let layers: [LayerParameterTensors]
    public let outputNorm: ParameterTensor              // output_norm.weight [C]
    /// output.weight [V × C]; nil when the file ties the head to the token embedding,
    /// which then gets gradient from both ends of the model.
    public let output: ParameterTensor?
    /// All tensors in arena order.
    public let tensors: [ParameterTensor]
    public let count: Int

    /// - Parameters:
    ///   - hasBiases: whether the layers have Q/K/V biases (qwen2 files do).
    ///   - tiedOutput: whether the output head is the token embedding.
    public init(configuration c: LlamaConfiguration, hasBiases: Bool, tiedOutput: Bool) {
        configuration = c
        var all: [ParameterTensor] = []
        var offset = 0
        func add(_ name: String, _ rows: Int, _ columns: Int) -> ParameterTensor {
            let tensor = ParameterTensor(name: name, rows: rows, columns: columns, offset: offset)
            // Keep every tensor 64-byte aligned, so the kernels' loads start on a cache line.
            offset += (rows * columns + 15) / 16 * 16
            all.append(tensor)
            return tensor
        }
        tokenEmbedding = add("token_embd.weight", c.vocabularySize, c.embeddingWidth)
        layers = (0..<c.layerCount).map { l in
            let p = "blk.\(l)."
            return LayerParameterTensors(
                attentionNorm: add(p + "attn_norm.weight", 1, c.embeddingWidth),
                query: add(p + "attn_q.weight", c.queryWidth, c.embeddingWidth),
                key: add(p + "attn_k.weight", c.kvWidth, c.embeddingWidth),
                value: add(p + "attn_v.weight", c.kvWidth, c.embeddingWidth),
                queryBias: hasBiases ? add(p + "attn_q.bias", 1, c.queryWidth) : nil,
                keyBias: hasBiases ? add(p + "attn_k.bias", 1, c.kvWidth) : nil,
                valueBias: hasBiases ? add(p + "attn_v.bias", 1, c.kvWidth) : nil,
                attentionOutput: add(p + "attn_output.weight", c.embeddingWidth, c.queryWidth),
                feedForwardNorm: add(p + "ffn_norm.weight", 1, c.embeddingWidth),
                gate: add(p + "ffn_gate.weight", c.feedForwardWidth, c.embeddingWidth),
                up: add(p + "ffn_up.weight", c.feedForwardWidth, c.embeddingWidth),
                down: add(p + "ffn_down.weight", c.embeddingWidth, c.feedForwardWidth))
        }
        outputNorm = add("output_norm.weight", 1, c.embeddingWidth)
        output = tiedOutput ? nil : add("output.weight", c.vocabularySize, c.embeddingWidth)
        tensors = all
        count = offset
    }

    /// The head's weights: `output`, or the token embedding when tied.
    public var head: ParameterTensor { output ?? tokenEmbedding }

    /// Trainable parameters (padding excluded).
    public var parameterCount: Int { tensors.reduce(0) { $0 + $1.count } }
}

/// One float array in a `ParameterLayout`: the parameters, their gradients, or an
/// optimizer moment. Zero-filled on creation; 64-byte aligned.
///
/// `@unchecked Sendable`: the trainer owns it and writes it from one job at a time
/// (the pool's tasks write disjoint ranges).
public final class ParameterArena: @unchecked Sendable {
    public let layout: ParameterLayout
    public let base: UnsafeMutablePointer<Float>

    public init(layout: ParameterLayout) {
        self.layout = layout
        var raw: UnsafeMutableRawPointer?
        let bytes = max(64, layout.count * MemoryLayout<Float>.stride)
        precondition(posix_memalign(&raw, 64, bytes) == 0 && raw != nil, "ParameterArena: out of memory for \(bytes) bytes")
        base = raw!.bindMemory(to: Float.self, capacity: max(16, layout.count))
        base.initialize(repeating: 0, count: layout.count)
    }

    deinit { free(base) }

    public subscript(tensor: ParameterTensor) -> UnsafeMutablePointer<Float> { base + tensor.offset }

    /// All floats of the layout (padding included, always zero in gradients).
    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: base, count: layout.count) }

    public func zero() { base.update(repeating: 0, count: layout.count) }

    public func copy(from other: ParameterArena) {
        precondition(other.layout.count == layout.count, "ParameterArena.copy: layouts differ")
        base.update(from: other.base, count: layout.count)
    }
}

extension ParameterLayout {
    /// The layout of a GGUF file's model, with its master weights dequantised to f32.
    ///
    /// - Throws: `TrainingError` for an architecture the engine does not run, a missing
    ///   or misshapen tensor, or a tensor type without a dequantiser.
    public static func load(file: GGUFFile) throws(TrainingError) -> (ParameterLayout, ParameterArena) {
        let configuration: LlamaConfiguration
        do { configuration = try LlamaConfiguration(file: file) } catch { throw .model(error) }
        let layout = ParameterLayout(configuration: configuration, hasBiases: file.hasTensor("blk.0.attn_q.bias"),
                                     tiedOutput: !file.hasTensor("output.weight"))
        let arena = ParameterArena(layout: layout)
        for tensor in layout.tensors {
            let info: GGUFTensorInfo
            do { info = try file.tensor(tensor.name) } catch { throw .file(error) }
            guard info.elementCount == tensor.count, info.shape.reduce(1, *) == tensor.count,
                  info.shape[0] == tensor.columns else {
                throw .model(.invalidModel(path: file.path, reason: "tensor \(tensor.name) has shape \(info.shape), expected \(tensor.ggufShape)"))
            }
            guard info.type.canDequantize else {
                throw .untrainableTensor(path: file.path, tensor: tensor.name, type: info.type)
            }
            let data = file.data(for: info)
            do {
                try dequantize(info.type, from: data.baseAddress!, count: tensor.count, into: arena[tensor])
            } catch {
                throw .untrainableTensor(path: file.path, tensor: tensor.name, type: info.type)
            }
        }
        return (layout, arena)
    }
}
