import Kernels
import GGUF
import Models
import ScalingCore
import Tokenizers

/// One generated sample.
public struct GeneratedSample: Sendable, Equatable {
    /// Position in the request (`0..<count`).
    public let index: Int
    /// The seed this sample drew with.
    public let seed: UInt64
    /// Every generated token, a final stop token included.
    public internal(set) var tokens: [Int] = []
    /// The text of `tokens` without control tokens and before any stop string; nil
    /// when the engine has no tokenizer.
    public internal(set) var text: String?
    public internal(set) var finishReason: FinishReason = .length
    /// Per generated token when `generate(reportLogprobs: true)`; empty otherwise.
    public internal(set) var logprobs: [PositionLogprobs] = []
    /// Engine time attributed to this sample, in seconds: its share of every forward
    /// pass it took part in (a pass's wall time split evenly over the pass's rows) plus
    /// an equal share of its prompt's prefill. Over all samples of all requests that
    /// ran together, these add up to the engine's busy time, so per-sample cost stays
    /// meaningful when requests share decode steps.
    public internal(set) var computeSeconds: Double = 0
}

/// Something that happened during generation, for streaming.
public struct GenerationEvent: Sendable {
    public let sampleIndex: Int
    public let token: Int
    /// Text this token completes and that is safe to show (stop strings held back).
    public let text: String
    /// The token's log-probabilities, when the request reports them (`reportLogprobs`).
    public let logprobs: PositionLogprobs?
}

/// Wall-clock figures of one request. When requests share the engine, prefill and
/// decode wall times overlap other requests' work; `GeneratedSample.computeSeconds`
/// holds each sample's share of the engine instead.
public struct GenerationTimings: Sendable, Equatable {
    public init(promptTokenCount: Int = 0) { self.promptTokenCount = promptTokenCount }

    public var promptTokenCount = 0
    /// From submission to admission (waiting in the scheduler's queue); 0 for `InferenceEngine.generate`.
    public var queueSeconds = 0.0
    /// From admission to the end of the prompt's prefill.
    public var promptSeconds = 0.0
    /// Tokens generated over all samples.
    public var generatedTokenCount = 0
    /// From the first sample's first token to the last sample's last token.
    public var decodeSeconds = 0.0
    /// Forward passes in which at least one of the request's samples decoded.
    public var decodeSteps = 0

    public var promptTokensPerSecond: Double { promptSeconds > 0 ? Double(promptTokenCount) / promptSeconds : 0 }
    /// Generated tokens per second over all samples.
    public var decodeTokensPerSecond: Double { decodeSeconds > 0 ? Double(generatedTokenCount) / decodeSeconds : 0 }
}

/// The result of `InferenceEngine.generate`.
public struct GenerationOutput: Sendable, Equatable {
    public let samples: [GeneratedSample]
    public let promptTokenCount: Int
    public let timings: GenerationTimings
}

/// Runs a model: prefills a prompt once, forks one KV-cache sequence per sample
/// (sharing the prompt's pages), and decodes all samples together, one batched
/// forward pass per step, so each weight matrix is read once per step for the
/// whole batch. Samples that finish leave the batch (and free their pages) while the
/// others continue. `generate(_ requests:)` runs several prompts the same way, with
/// continuous batching across them.
///
/// Synchronous and single-caller: it owns the KV cache, scratch and worker pool,
/// and a step never suspends. `GenerationScheduler` shares one engine between many
/// concurrent callers.
///
/// ```swift
/// let engine = try InferenceEngine(path: modelPath)
/// let output = try engine.generate(promptTokens: engine.tokenizer!.encode(prompt),
///                                  parameters: GenerationOptions(temperature: 0.7, seed: 1), count: 4)
/// for sample in output.samples { print(sample.text ?? "") }
/// ```
public final class InferenceEngine {
    public let model: LlamaModel
    public let tokenizer: Tokenizer?
    /// Samples that decode at once (the decode batch width); the most one request may ask for.
    public let maxSamples: Int
    public let pool: WorkerPool
    let batch: GenerationBatch
    private var nextRequestID = 0

    /// Forward passes with decode rows since the engine started (the benchmark's step count).
    public var decodeSteps: Int { batch.counters.decodeSteps }

    /// Rows of prompt a step may prefill beside a full decode batch.
    static let prefillChunkRows = 128
    /// Prompts that may end in one step (each ends on a row with logits).
    static let prefillLogitRows = 4

    /// - Parameters:
    ///   - threadCount: pool threads (the caller's included); default: all processors.
    ///   - maxSamples: samples decoding at once, over all requests (the decode batch width).
    ///   - maxTotalPositions: KV-cache positions over all sequences (shared prompt pages count once).
    public convenience init(model: LlamaModel, tokenizer: Tokenizer?, threadCount: Int? = nil, maxSamples: Int = 64,
                            maxTotalPositions: Int = 1 << 16) {
        self.init(model: model, tokenizer: tokenizer, threadCount: threadCount, maxSamples: maxSamples,
                  maxTotalPositions: maxTotalPositions, maxPrefillingRequests: 1)
    }

    /// - Parameter maxPrefillingRequests: requests that may be prefilling or waiting
    ///   for decode rows at once (each holds one KV sequence for its prompt).
    public init(model: LlamaModel, tokenizer: Tokenizer?, threadCount: Int?, maxSamples: Int, maxTotalPositions: Int,
         maxPrefillingRequests: Int) {
        precondition(maxSamples >= 1 && maxPrefillingRequests >= 1)
        self.model = model
        self.tokenizer = tokenizer
        self.maxSamples = maxSamples
        pool = WorkerPool(threadCount: threadCount)
        let scratch = LlamaScratch(model: model, maxBatchRows: maxSamples + Self.prefillChunkRows,
                                   maxLogitRows: maxSamples + Self.prefillLogitRows, pool: pool)
        let cache = model.makeCache(maxSequences: maxSamples + maxPrefillingRequests, maxTotalPositions: maxTotalPositions)
        batch = GenerationBatch(model: model, tokenizer: tokenizer, scratch: scratch, cache: cache, maxDecodeRows: maxSamples,
                                prefillLogitRows: Self.prefillLogitRows, maxPrefillingRequests: maxPrefillingRequests)
    }

    /// Loads model and tokenizer from one GGUF file.
    public convenience init(path: String, threadCount: Int? = nil, maxSamples: Int = 64) throws(EngineError) {
        try ThreadCount.validate(threadCount)
        let (model, tokenizer) = try Self.load(path: path)
        self.init(model: model, tokenizer: tokenizer, threadCount: threadCount, maxSamples: maxSamples)
    }

    /// Model and tokenizer of one GGUF file.
    static func load(path: String) throws(EngineError) -> (LlamaModel, Tokenizer) {
        let model: LlamaModel
        do { model = try LlamaModel(path: path) } catch { throw .model(error) }
        return try load(model: model)
    }

    /// Model and tokenizer from an open GGUF file, which may live only in memory
    /// (`MappedFile(copying:name:)`: weights the training engine has just written).
    static func load(file: GGUFFile) throws(EngineError) -> (LlamaModel, Tokenizer) {
        let model: LlamaModel
        do { model = try LlamaModel(file: file) } catch { throw .model(error) }
        return try load(model: model)
    }

    private static func load(model: LlamaModel) throws(EngineError) -> (LlamaModel, Tokenizer) {
        let tokenizer: Tokenizer
        do { tokenizer = try Tokenizer(gguf: model.weights.file) } catch { throw .tokenizer(error) }
        return (model, tokenizer)
    }

    /// Generates `count` samples continuing `promptTokens`; sample i draws with seed
    /// `parameters.seed &+ i`.
    public func generate(promptTokens: [Int], parameters: GenerationOptions, count: Int = 1,
                         reportLogprobs: Bool = false,
                         onEvent: ((GenerationEvent) -> Void)? = nil) throws(EngineError) -> GenerationOutput {
        guard count >= 1 else { throw .invalidParameter(name: "count", value: "\(count)", expected: "1 to \(maxSamples)") }
        return try generate(promptTokens: promptTokens, parameters: parameters,
                            seeds: (0..<count).map { parameters.seed &+ UInt64($0) },
                            reportLogprobs: reportLogprobs, onEvent: onEvent)
    }

    /// Generates one sample per seed continuing `promptTokens`.
    ///
    /// The prompt is prefilled once; each sample forks its KV-cache pages and all
    /// decode together. A sample's tokens depend only on the prompt, the parameters
    /// and its seed, not on the other samples in the batch.
    ///
    /// - Parameters:
    ///   - promptTokens: the prompt, already tokenised (chat template applied).
    ///   - parameters: sampling and stopping (`parameters.seed` is not used).
    ///   - seeds: one per sample, 1 to `maxSamples` of them.
    ///   - reportLogprobs: record `PositionLogprobs` for each generated token.
    ///   - onEvent: called after each token of each sample, on the caller's thread.
    /// - Returns: the samples in seed order, with counts and timings.
    public func generate(promptTokens: [Int], parameters: GenerationOptions, seeds: [UInt64],
                         reportLogprobs: Bool = false,
                         onEvent: ((GenerationEvent) -> Void)? = nil) throws(EngineError) -> GenerationOutput {
        let request = GenerationRequest(promptTokens: promptTokens, parameters: parameters, seeds: seeds,
                                        reportLogprobs: reportLogprobs)
        try batch.validate(request)
        return try run([(request, onEvent)])[0].get()
    }

    /// Runs several requests together on the caller's thread, with continuous batching
    /// across them: they are admitted in order as KV-cache room and decode rows allow,
    /// prompts prefill in chunks beside the live samples' decode rows, and samples of a
    /// later request take the rows that finished samples leave. Each sample's tokens
    /// are those `generate` gives for its prompt, parameters and seed alone.
    ///
    /// - Returns: one result per request, in order; a request that is invalid fails
    ///   alone, while an error of the model fails every request still running.
    public func generate(_ requests: [GenerationRequest]) -> [Result<GenerationOutput, EngineError>] {
        var results = [Result<GenerationOutput, EngineError>?](repeating: nil, count: requests.count)
        var valid: [(GenerationRequest, ((GenerationEvent) -> Void)?)] = []
        var positions: [Int] = []
        for (i, request) in requests.enumerated() {
            do throws(EngineError) {
                try batch.validate(request)
                valid.append((request, nil))
                positions.append(i)
            } catch {
                results[i] = .failure(error)
            }
        }
        for (position, result) in zip(positions, run(valid)) { results[position] = result }
        return results.map { $0! }
    }

    /// Admits `requests` (validated) in order as the batch allows and steps until all
    /// have finished.
    private func run(_ requests: [(GenerationRequest, ((GenerationEvent) -> Void)?)]) -> [Result<GenerationOutput, EngineError>] {
        precondition(batch.isIdle, "InferenceEngine is single-caller: generate was called while a request was running")
        var results = [Result<GenerationOutput, EngineError>?](repeating: nil, count: requests.count)
        let firstID = nextRequestID
        nextRequestID += requests.count
        var next = 0
        var remaining = requests.count
        while remaining > 0 {
            while next < requests.count && batch.canAdmit(requests[next].0) {
                batch.admit(requests[next].0, id: firstID + next, onEvent: requests[next].1)
                next += 1
            }
            for (id, result) in batch.step() {
                results[id - firstID] = result
                remaining -= 1
            }
        }
        return results.map { $0! }
    }
}
