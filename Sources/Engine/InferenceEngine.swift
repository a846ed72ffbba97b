import Kernels
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
}

/// Something that happened during generation, for streaming.
public struct GenerationEvent: Sendable {
    public let sampleIndex: Int
    public let token: Int
    /// Text this token completes and that is safe to show (stop strings held back).
    public let text: String
}

/// Wall-clock figures of one request.
public struct GenerationTimings: Sendable, Equatable {
    public var promptTokenCount = 0
    /// Prefill time.
    public var promptSeconds = 0.0
    /// Tokens generated over all samples.
    public var generatedTokenCount = 0
    /// Time from the end of prefill to the last token.
    public var decodeSeconds = 0.0
    /// Batched decode steps (forward passes after prefill).
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
/// others continue.
///
/// Synchronous and single-caller: it owns the KV cache, scratch and worker pool,
/// and a step never suspends. Wrap it in an actor or a serial queue to share it.
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
    /// Samples one request may ask for.
    public let maxSamples: Int
    public let pool: WorkerPool
    let scratch: LlamaScratch
    let cache: PagedKVCache

    /// - Parameters:
    ///   - threadCount: pool threads (the caller's included); default: all processors.
    ///   - maxSamples: samples per request (the decode batch width).
    ///   - maxTotalPositions: KV-cache positions over all sequences (shared prompt pages count once).
    public init(model: LlamaModel, tokenizer: Tokenizer?, threadCount: Int? = nil, maxSamples: Int = 64,
                maxTotalPositions: Int = 1 << 16) {
        self.model = model
        self.tokenizer = tokenizer
        self.maxSamples = maxSamples
        pool = WorkerPool(threadCount: threadCount)
        scratch = LlamaScratch(model: model, maxBatchRows: max(128, maxSamples), maxLogitRows: maxSamples, pool: pool)
        cache = model.makeCache(maxSequences: maxSamples + 1, maxTotalPositions: maxTotalPositions)
    }

    /// Loads model and tokenizer from one GGUF file.
    public convenience init(path: String, threadCount: Int? = nil, maxSamples: Int = 64) throws(EngineError) {
        let model: LlamaModel
        do { model = try LlamaModel(path: path) } catch { throw .model(error) }
        let tokenizer: Tokenizer
        do { tokenizer = try Tokenizer(gguf: model.weights.file) } catch { throw .tokenizer(error) }
        self.init(model: model, tokenizer: tokenizer, threadCount: threadCount, maxSamples: maxSamples)
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
        try parameters.validate()
        guard !promptTokens.isEmpty else { throw .emptyPrompt }
        let count = seeds.count
        guard count >= 1, count <= maxSamples else {
            throw .invalidParameter(name: "count", value: "\(count)", expected: "1 to \(maxSamples)")
        }
        let clock = ContinuousClock()
        var timings = GenerationTimings(promptTokenCount: promptTokens.count)
        let stopTokens = parameters.stopTokens.union(tokenizer?.eotIDs ?? [])

        // Prefill once, in chunks of the scratch's batch capacity.
        let prefillStart = clock.now
        var sequences: [Int] = []
        defer { for s in sequences { cache.release(s) } }
        var firstLogits: [Float]
        do {
            let root = try cache.createSequence()
            sequences = [root]
            var start = 0
            firstLogits = []
            while start < promptTokens.count {
                let end = min(start + scratch.maxBatchRows, promptTokens.count)
                let rows = (start..<end).map {
                    BatchRow(sequence: root, position: $0, token: promptTokens[$0], wantsLogits: $0 == promptTokens.count - 1)
                }
                let logits = try model.forward(batch: rows, cache: cache, scratch: scratch)
                if end == promptTokens.count { firstLogits = Array(logits.row(0)) }
                start = end
            }
            sequences = try cache.fork(root, count: count)
            cache.release(root)
        } catch { throw .model(error) }
        timings.promptSeconds = seconds(clock.now - prefillStart)

        // Per-sample state.
        var samples = (0..<count).map { GeneratedSample(index: $0, seed: seeds[$0]) }
        var samplers = seeds.map { Sampler(parameters: parameters, seed: $0) }
        var histories = Array(repeating: promptTokens, count: count)
        var detokenizers = tokenizer.map { t in
            Array(repeating: StreamingDetokenizer(tokenizer: t, stopStrings: parameters.stopStrings), count: count)
        }
        var active = parameters.maxTokens > 0 ? Array(0..<count) : []

        func choose(_ i: Int, _ logits: UnsafeBufferPointer<Float>) -> Bool {
            let token = samplers[i].sample(logits: logits, history: histories[i][...])
            if reportLogprobs {
                samples[i].logprobs.append(Sampler.logprobs(logits: logits, chosen: token, top: parameters.topLogprobs))
            }
            samples[i].tokens.append(token)
            histories[i].append(token)
            var finished = false
            var piece = ""
            if stopTokens.contains(token) {
                samples[i].finishReason = .stop
                finished = true
            } else if detokenizers != nil {
                piece = detokenizers![i].append(token)
                if detokenizers![i].stopString != nil {
                    samples[i].finishReason = .stop
                    finished = true
                }
            }
            if !finished && (samples[i].tokens.count >= parameters.maxTokens
                             || promptTokens.count + samples[i].tokens.count >= model.configuration.contextLength) {
                samples[i].finishReason = .length
                finished = true
            }
            if finished, detokenizers != nil {
                piece += detokenizers![i].finish()
            }
            onEvent?(GenerationEvent(sampleIndex: i, token: token, text: piece))
            return finished
        }

        let decodeStart = clock.now
        firstLogits.withUnsafeBufferPointer { logits in
            active = active.filter { !choose($0, logits) }
        }
        do {
            while !active.isEmpty {
                let rows = active.map { i in
                    BatchRow(sequence: sequences[i], position: promptTokens.count + samples[i].tokens.count - 1,
                             token: samples[i].tokens.last!, wantsLogits: true)
                }
                let logits = try model.forward(batch: rows, cache: cache, scratch: scratch)
                timings.decodeSteps += 1
                var stillActive: [Int] = []
                for (r, i) in active.enumerated() {
                    if choose(i, logits.row(r)) {
                        cache.release(sequences[i])
                    } else {
                        stillActive.append(i)
                    }
                }
                active = stillActive
            }
        } catch { throw .model(error) }
        timings.decodeSeconds = seconds(clock.now - decodeStart)
        timings.generatedTokenCount = samples.reduce(0) { $0 + $1.tokens.count }
        if let detokenizers {
            for i in 0..<count { samples[i].text = detokenizers[i].text }
        }
        return GenerationOutput(samples: samples, promptTokenCount: promptTokens.count, timings: timings)
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }
}
