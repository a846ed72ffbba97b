import Aggregation
import Engine
import Foundation
import GGUF
import Metrics
import ModelHub
import OpenAIClient
import ScalingCore

/// A model ready to answer: the `CompletionProvider` that samples it and what callers
/// need to know about it (its context window, its identity for the run store).
///
/// Every command, the server and a Swift program get their models here, from the same
/// three spellings a user types:
/// - a catalog name (`smollm2-135m-instruct`, `quorum model list --known`) or a GGUF path:
///   the embedded engine, in this process;
/// - `NAME@http://host:8000/v1`, or a name with `OpenAIEndpoints`: an OpenAI-compatible
///   server (vLLM, SGLang, llama.cpp, Ollama, a hosted API), or a fleet of them.
///
/// ```swift
/// let backend = try ModelBackend.embedded("smollm2-135m-instruct")
/// let answers = try await backend.provider.complete(CompletionRequest(...))
/// ```
public struct ModelBackend: Sendable {
    /// Samples the model.
    public let provider: any CompletionProvider
    /// The model's name as runs store it (the served name for an OpenAI backend).
    public let modelName: String
    /// `embedded`, `openai`, or `openai:per-sample`: part of a run's identity (the seed mode
    /// decides which samples a run holds; URLs and keys are not, so a fleet can grow).
    public let backendName: String
    /// The GGUF file's SHA-256 for an embedded model (the catalog's pin when it has one);
    /// nil for a served model, whose weights Quorum cannot see.
    public let modelSHA256: String?
    /// The embedded model's file (nil for in-memory and served models).
    public let file: URL?
    /// Prompt plus generated tokens must fit this, counted with the model's own tokenizer
    /// and chat template; nil when the backend does not say (a served model).
    public let contextWindow: ContextWindow?

    public init(provider: any CompletionProvider, modelName: String, backendName: String, modelSHA256: String?,
                file: URL?, contextWindow: ContextWindow?) {
        self.provider = provider
        self.modelName = modelName
        self.backendName = backendName
        self.modelSHA256 = modelSHA256
        self.file = file
        self.contextWindow = contextWindow
    }

    /// Samples the embedded engine decodes at once over all in-flight requests, unless told
    /// otherwise: enough for a 64-sample request, or four 16-sample requests, per step.
    public static let defaultBatchWidth = 64

    /// The embedded engine on a cached catalog model or a GGUF path.
    /// - Parameters:
    ///   - model: a catalog name or a path to a `.gguf` file.
    ///   - name: the name the provider answers to and runs store; default the catalog's
    ///     name when `model` is a catalog model (also given by its path), else `model`.
    ///   - threads: engine worker threads (nil: all processors).
    ///   - batchWidth: samples decoding at once over all requests.
    ///   - hashFile: compute the file's SHA-256 when the catalog does not pin it (a run's
    ///     identity needs it; a one-off `ask` does not, and a 1 GB file takes seconds).
    public static func embedded(_ model: String, name: String? = nil, threads: Int? = nil, batchWidth: Int = defaultBatchWidth,
                                cache: ModelCache = ModelCache(), hashFile: Bool = true) throws -> ModelBackend {
        let url = try cache.resolve(model)
        let name = name ?? catalogName(of: model, at: url, cache: cache) ?? model
        let provider = try EmbeddedCompletionProvider(path: url.path, modelName: name, threadCount: threads, maxSamples: batchWidth)
        let sha256 = try ModelCatalog.named(model)?.sha256 ?? (hashFile ? ModelCache.sha256(of: url) : nil)
        return ModelBackend(provider: provider, modelName: name, backendName: "embedded", modelSHA256: sha256, file: url,
                            contextWindow: window(of: provider))
    }

    /// The embedded engine on a model that exists only in memory (weights the training
    /// engine has just serialised), under `name`.
    public static func embedded(inMemory gguf: [UInt8], name: String, threads: Int? = nil,
                                batchWidth: Int = defaultBatchWidth) throws -> ModelBackend {
        let file = try GGUFFile(mapping: MappedFile(copying: gguf, name: name))
        let provider = try EmbeddedCompletionProvider(file: file, modelName: name, threadCount: threads, maxSamples: batchWidth)
        return ModelBackend(provider: provider, modelName: name, backendName: "embedded",
                            modelSHA256: gguf.withUnsafeBytes { SHA256.hex(of: $0) }, file: nil, contextWindow: window(of: provider))
    }

    /// OpenAI-compatible servers serving one model.
    public static func openAI(_ configuration: OpenAIClientConfiguration) throws -> ModelBackend {
        ModelBackend(provider: try OpenAICompletionProvider(configuration), modelName: configuration.model,
                     backendName: configuration.seedMode == .batch ? "openai" : "openai:\(configuration.seedMode.rawValue)",
                     modelSHA256: nil, file: nil, contextWindow: nil)
    }

    /// The catalog's name for `model` when it names a catalog model, also when it is given
    /// by its path in the cache (so a run or a served model keeps one name however it was typed).
    public static func catalogName(of model: String, cache: ModelCache = ModelCache()) -> String? {
        guard let url = try? cache.resolve(model) else { return ModelCatalog.named(model)?.name }
        return catalogName(of: model, at: url, cache: cache)
    }

    static func catalogName(of model: String, at url: URL, cache: ModelCache) -> String? {
        ModelCatalog.named(model)?.name
            ?? ModelCatalog.all.first { cache.path(for: $0).standardizedFileURL == url.standardizedFileURL }?.name
    }

    static func window(of provider: EmbeddedCompletionProvider) -> ContextWindow {
        ContextWindow(limit: provider.contextLength) { await provider.promptTokens(for: $0).count }
    }
}

/// What the FLOPs figures of a report need to know about a model, read from its GGUF
/// metadata; nil for models Quorum cannot read (a served model), whose FLOPs are then
/// not reported.
public enum ModelFacts {
    public static func shape(of model: String, cache: ModelCache = ModelCache()) -> ModelShape? {
        guard let url = try? cache.resolve(model), let file = try? GGUFFile(path: url.path),
              let arch = file.architecture, let layers = try? file.int("\(arch).block_count"),
              let width = try? file.int("\(arch).embedding_length") else { return nil }
        return ModelShape(parameters: Double(file.parameterCount), layers: layers, width: width)
    }
}
