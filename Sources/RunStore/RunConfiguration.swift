import Foundation
import ScalingCore

/// Everything that decides what a run's samples are, except how many.
///
/// Two runs with equal configurations are the same run: running the same command
/// again resumes it, and a larger `-n` (or `--limit`) extends it, because neither the
/// sample count nor the problem limit is part of the configuration. Change anything
/// here (model, prompt template, temperature...) and it is a different run.
public struct RunConfiguration: Codable, Sendable, Hashable {
    /// The data set: a canonical path or a catalog name, plus the file's SHA-256 so an
    /// edited file is a different run.
    public var dataset: String
    public var datasetSHA256: String
    /// The model as the user named it, plus the weights' SHA-256 (for GGUF files).
    public var model: String
    public var modelSHA256: String?
    /// `embedded`, or `openai` for OpenAI-compatible servers (`openai:per-sample` with one
    /// request per seed). Never the servers' URLs (a fleet may grow) nor an API key.
    public var backend: String
    /// The prompt template's name and the SHA-256 of its text.
    public var promptTemplate: String
    public var promptTemplateSHA256: String
    public var sampling: SamplingParameters
    /// The base seed; sample i of problem p is drawn with `sampleSeed(problemID:index:)`.
    public var seed: UInt64
    /// Which verifier grades the samples (stored by its name: `math`, `python-tests`, `exact`).
    public var verifier: VerifierKind

    public init(dataset: String, datasetSHA256: String, model: String, modelSHA256: String?, backend: String,
                promptTemplate: String, promptTemplateSHA256: String, sampling: SamplingParameters,
                seed: UInt64, verifier: VerifierKind) {
        self.dataset = dataset
        self.datasetSHA256 = datasetSHA256
        self.model = model
        self.modelSHA256 = modelSHA256
        self.backend = backend
        self.promptTemplate = promptTemplate
        self.promptTemplateSHA256 = promptTemplateSHA256
        self.sampling = sampling
        self.seed = seed
        self.verifier = verifier
    }

    /// Canonical JSON (sorted keys), the input of `id`.
    public var canonicalJSON: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain value types cannot fail.
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    /// The run id: the first 16 hex digits of the SHA-256 of the canonical JSON.
    public var id: String {
        var h = SHA256()
        h.update(Array(canonicalJSON.utf8))
        return String(h.finalizeHex().prefix(16))
    }

    /// The seed of one sample: a SplitMix64 mix of the base seed, the problem id and the
    /// index, so a sample's seed does not depend on which other samples exist (extending
    /// a run from 8 to 16 samples keeps the first 8).
    public func sampleSeed(problemID: String, index: Int) -> UInt64 {
        var h = SHA256()
        h.update(Array("\(seed)/\(problemID)/\(index)".utf8))
        let hex = h.finalizeHex()
        return UInt64(hex.prefix(16), radix: 16)! >> 1   // 63 bits: fits signed 64-bit SQLite integers
    }
}
