import Foundation
import GGUF

/// The hyper-parameters of a llama-shaped decoder, read from GGUF metadata
/// (keys are prefixed with the architecture name, `llama.block_count` and so on).
public struct LlamaConfiguration: Sendable, Equatable {
    public let architecture: ModelArchitecture
    public let layerCount: Int               // {arch}.block_count
    public let embeddingWidth: Int           // {arch}.embedding_length
    public let feedForwardWidth: Int         // {arch}.feed_forward_length
    public let headCount: Int                // {arch}.attention.head_count
    public let kvHeadCount: Int              // {arch}.attention.head_count_kv (default: head_count)
    public let headDimension: Int            // {arch}.attention.key_length (default: width / heads)
    public let vocabularySize: Int           // rows of token_embd.weight
    public let contextLength: Int            // {arch}.context_length
    public let normEpsilon: Float            // {arch}.attention.layer_norm_rms_epsilon
    public let ropeBase: Double              // {arch}.rope.freq_base (default 10000)
    public let ropeDimensions: Int           // {arch}.rope.dimension_count (default: head dimension)
    /// Positions are divided by this before rotation: `{arch}.rope.scaling.factor` when
    /// `{arch}.rope.scaling.type` is `linear`, else 1.
    public let ropeLinearScale: Double

    public var queryWidth: Int { headCount * headDimension }
    /// RoPE's `base^(-2i/ropeDimensions) / linearScale` for `i < ropeDimensions/2`: the angle of
    /// pair i at position p is `p · ropeInverseFrequencies[i]` (in Double, by the engine and the trainer alike).
    public var ropeInverseFrequencies: [Double] {
        (0..<ropeDimensions / 2).map { i in 1 / ropeLinearScale / pow(ropeBase, 2 * Double(i) / Double(ropeDimensions)) }
    }
    public var kvWidth: Int { kvHeadCount * headDimension }

    /// Reads the configuration; `vocabularySize` from the token embedding's shape.
    /// - Throws: `ModelsError` for an unsupported architecture, rope scaling type, or
    ///   missing / inconsistent values.
    public init(file: GGUFFile) throws(ModelsError) {
        let path = file.path
        let name = file.architecture ?? "(no general.architecture)"
        architecture = try ModelArchitecture.named(name)
        let a = name
        func int(_ key: String) throws(ModelsError) -> Int {
            do { return try file.int("\(a).\(key)") } catch { throw .file(error) }
        }
        func optionalInt(_ key: String) -> Int? { file["\(a).\(key)"]?.intValue }
        func optionalDouble(_ key: String) -> Double? { file["\(a).\(key)"]?.doubleValue }

        layerCount = try int("block_count")
        embeddingWidth = try int("embedding_length")
        feedForwardWidth = try int("feed_forward_length")
        headCount = try int("attention.head_count")
        kvHeadCount = optionalInt("attention.head_count_kv") ?? headCount
        guard headCount > 0, kvHeadCount > 0, headCount % kvHeadCount == 0 else {
            throw .invalidModel(path: path, reason: "\(headCount) attention heads is not a multiple of \(kvHeadCount) KV heads")
        }
        headDimension = optionalInt("attention.key_length") ?? embeddingWidth / headCount
        contextLength = optionalInt("context_length") ?? 2048
        guard let epsilon = optionalDouble("attention.layer_norm_rms_epsilon") else {
            throw .file(.missingKey(path: path, key: "\(a).attention.layer_norm_rms_epsilon"))
        }
        normEpsilon = Float(epsilon)
        ropeBase = optionalDouble("rope.freq_base") ?? 10_000
        ropeDimensions = optionalInt("rope.dimension_count") ?? headDimension
        guard ropeDimensions > 0, ropeDimensions <= headDimension, ropeDimensions % 2 == 0 else {
            throw .invalidModel(path: path, reason: "rope.dimension_count \(ropeDimensions) does not fit head dimension \(headDimension)")
        }
        switch file["\(a).rope.scaling.type"]?.stringValue ?? "none" {
        case "none": ropeLinearScale = 1
        case "linear": ropeLinearScale = optionalDouble("rope.scaling.factor") ?? 1
        case let other: throw .unsupportedFeature(path: path, feature: "rope scaling '\(other)' (supported: none, linear)")
        }
        guard ropeLinearScale > 0 else {
            throw .invalidModel(path: path, reason: "rope.scaling.factor \(ropeLinearScale) is not positive")
        }
        let embedding: GGUFTensorInfo
        do { embedding = try file.tensor("token_embd.weight") } catch { throw .file(error) }
        guard embedding.shape.count == 2, embedding.shape[0] == embeddingWidth else {
            throw .invalidModel(path: path, reason: "token_embd.weight has shape \(embedding.shape), expected [\(embeddingWidth), vocabulary]")
        }
        vocabularySize = embedding.shape[1]
        guard [layerCount, embeddingWidth, feedForwardWidth, headDimension, contextLength].allSatisfy({ $0 > 0 }) else {
            throw .invalidModel(path: path, reason: "a size in the metadata is zero or negative")
        }
    }
}
