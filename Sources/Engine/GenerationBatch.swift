// The decode loop of the embedded engine, shared by `InferenceEngine.generate` (one
// caller, on its own thread) and `GenerationScheduler` (many callers, one engine
// thread). Continuous batching in the manner of Orca / vLLM's iteration-level
// scheduling: every step is one forward pass over the decode rows of all live samples
// plus prompt chunks of requests still prefilling; finished samples leave after any
// step and waiting samples take their rows before the next.
import Models
import ScalingCore
import Tokenizers

/// What to generate: one prompt, sampled once per seed.
public struct GenerationRequest: Sendable, Equatable {
    /// The prompt, already tokenised (chat template applied).
    public var promptTokens: [Int]
    /// Sampling and stopping (`parameters.seed` is not used: `seeds` are).
    public var parameters: GenerationOptions
    /// One per sample; sample i draws from `SplitMix64(seed: seeds[i])`.
    public var seeds: [UInt64]
    /// Record `PositionLogprobs` for each generated token.
    public var reportLogprobs: Bool

    public init(promptTokens: [Int], parameters: GenerationOptions, seeds: [UInt64], reportLogprobs: Bool = false) {
        self.promptTokens = promptTokens
        self.parameters = parameters
        self.seeds = seeds
        self.reportLogprobs = reportLogprobs
    }

    /// Throws what makes this request impossible for a model, whatever else runs:
    /// bad parameters, an empty prompt or one that fills the context, a token outside
    /// the vocabulary, or a sample count outside `1...maxSamples`.
    func validate(for model: LlamaConfiguration, maxSamples: Int) throws(EngineError) {
        try parameters.validate()
        guard !promptTokens.isEmpty else { throw .emptyPrompt }
        guard seeds.count >= 1, seeds.count <= maxSamples else {
            throw .invalidParameter(name: "count", value: "\(seeds.count)", expected: "1 to \(maxSamples)")
        }
        if let bad = promptTokens.first(where: { $0 < 0 || $0 >= model.vocabularySize }) {
            throw .model(.invalidBatch(reason: "prompt token \(bad) is outside the vocabulary 0..<\(model.vocabularySize)"))
        }
        guard promptTokens.count < model.contextLength else {
            throw .promptTooLong(tokens: promptTokens.count, contextLength: model.contextLength)
        }
    }
}

/// The live work of one engine: requests prefilling, samples decoding, and the
/// capacity bookkeeping that decides what may join.
///
/// Single-threaded: whoever owns the engine (the caller of `InferenceEngine.generate`
/// or the scheduler's engine thread) calls every method. Not `Sendable`.
///
/// Capacity rules, so a step never runs out of room:
/// - decode rows: at most `maxDecodeRows` samples decode at once; a prefilled request
///   forks its samples into free rows, in request order, as rows free up (its prompt's
///   KV pages and first-token logits wait meanwhile);
/// - prefill: prompt chunks fill the rest of the scratch's rows; at most
///   `prefillLogitRows` prompts may end in one step (each ends on a row with logits);
/// - KV pages: a request is admitted only when its worst case (the prompt once plus
///   every sample at full length) fits beside the worst cases of those already admitted,
///   so the cache can never run out mid-request; a request too large for an empty cache
///   still runs, alone, and fails with `cacheExhausted` only if its samples really grow
///   that long;
/// - sequences: one per live sample plus one root per request whose samples have not
///   all forked (at most `maxPrefillingRequests`).
final class GenerationBatch {
    let model: LlamaModel
    let tokenizer: Tokenizer?
    let scratch: LlamaScratch
    let cache: PagedKVCache
    /// Samples that decode at once, over all requests.
    let maxDecodeRows: Int
    /// Prompts that may end (ask for logits) in one step.
    let prefillLogitRows: Int
    /// Requests admitted whose samples have not all forked yet (each holds a root sequence).
    let maxPrefillingRequests: Int

    /// Rows, decode rows, and forward passes that had decode rows, over every pass so far.
    private(set) var counters = (rows: 0, decodeRows: 0, decodeSteps: 0)
    private var requests: [ActiveRequest] = []
    private var reservedPages = 0
    private var liveSamples = 0
    /// Samples of admitted requests that have not forked yet.
    private var waitingSamples = 0
    private let clock = ContinuousClock()

    init(model: LlamaModel, tokenizer: Tokenizer?, scratch: LlamaScratch, cache: PagedKVCache,
         maxDecodeRows: Int, prefillLogitRows: Int, maxPrefillingRequests: Int) {
        precondition(maxDecodeRows + prefillLogitRows <= scratch.maxLogitRows && maxDecodeRows < scratch.maxBatchRows)
        precondition(maxDecodeRows + maxPrefillingRequests <= cache.maxSequences)
        self.model = model
        self.tokenizer = tokenizer
        self.scratch = scratch
        self.cache = cache
        self.maxDecodeRows = maxDecodeRows
        self.prefillLogitRows = prefillLogitRows
        self.maxPrefillingRequests = maxPrefillingRequests
    }

    /// No request is admitted.
    var isIdle: Bool { requests.isEmpty }

    /// Throws what makes `request` impossible on this engine, whatever else runs.
    func validate(_ request: GenerationRequest) throws(EngineError) {
        try request.validate(for: model.configuration, maxSamples: maxDecodeRows)
    }

    /// KV pages `request` may hold at most: its prompt once, plus per sample the pages
    /// from the prompt's last (possibly shared, then copied) page to its full length.
    func worstCasePages(_ request: GenerationRequest) -> Int {
        let pageSize = cache.pageSize
        let promptCount = request.promptTokens.count
        let promptPages = (promptCount + pageSize - 1) / pageSize
        let finalLength = min(promptCount + request.parameters.maxTokens, model.configuration.contextLength)
        let samplePages = max(0, (finalLength + pageSize - 1) / pageSize - promptCount / pageSize)
        return promptPages + request.seeds.count * samplePages
    }

    /// Whether `request` (already validated) may start now. An idle batch takes anything.
    func canAdmit(_ request: GenerationRequest) -> Bool {
        if requests.isEmpty { return true }
        guard requests.count(where: { $0.nextToFork < $0.samples.count }) < maxPrefillingRequests else { return false }
        guard reservedPages + worstCasePages(request) <= cache.maxPages else { return false }
        // Keep one request prefilled ahead of the free rows, so a freed row never waits for a prefill.
        return waitingSamples == 0 || liveSamples + waitingSamples < maxDecodeRows
    }

    /// Starts `request` (validated, and `canAdmit`); its result comes from `step` under `id`.
    func admit(_ request: GenerationRequest, id: Int, onEvent: ((GenerationEvent) -> Void)?) {
        let pages = worstCasePages(request)
        let tokenizer = self.tokenizer
        let parameters = request.parameters
        let active = ActiveRequest(
            id: id, request: request, reservedPages: pages, admittedAt: clock.now,
            stopTokens: parameters.stopTokens.union(tokenizer?.eotIDs ?? []), onEvent: onEvent,
            detokenizers: tokenizer.map { t in
                Array(repeating: StreamingDetokenizer(tokenizer: t, stopStrings: parameters.stopStrings), count: request.seeds.count)
            })
        reservedPages += pages
        waitingSamples += request.seeds.count
        requests.append(active)
    }

    /// Removes request `id` (cancelled by its caller), freeing its sequences. Returns
    /// false when it is not in the batch.
    @discardableResult
    func remove(id: Int) -> Bool {
        guard let index = requests.firstIndex(where: { $0.id == id }) else { return false }
        retire(requests.remove(at: index))
        return true
    }

    /// One iteration: forks waiting samples into free rows, runs one forward pass over
    /// every live sample's next token and the next prompt chunks, samples, and returns
    /// the requests that finished (or failed) in it.
    func step() -> [(id: Int, result: Result<GenerationOutput, EngineError>)] {
        var finished: [(id: Int, result: Result<GenerationOutput, EngineError>)] = []
        let stepStart = clock.now
        forkWaitingSamples()
        // Samples that finished at their first token may have completed a request.
        finished += collectFinished()

        // Decode rows first, then prompt chunks in admission order.
        enum LogitsOwner { case sample(ActiveRequest, Int), promptEnd(ActiveRequest) }
        var rows: [BatchRow] = []
        var owners: [LogitsOwner] = []
        for request in requests {
            let promptCount = request.request.promptTokens.count
            for i in request.decoding {
                let sample = request.samples[i]
                rows.append(BatchRow(sequence: request.sequences[i], position: promptCount + sample.tokens.count - 1,
                                     token: sample.tokens.last!, wantsLogits: true))
                owners.append(.sample(request, i))
            }
        }
        let decodeRowCount = rows.count
        var promptEnds = 0
        var prefilling: [(ActiveRequest, rows: Int)] = []
        do {
            for request in requests where request.prefilled < request.request.promptTokens.count {
                let budget = scratch.maxBatchRows - rows.count
                guard budget > 0 else { break }
                let prompt = request.request.promptTokens
                let end = min(prompt.count, request.prefilled + budget)
                if end == prompt.count {
                    guard promptEnds < prefillLogitRows else { continue }
                    promptEnds += 1
                }
                if request.root == nil { request.root = try cache.createSequence() }
                for position in request.prefilled..<end {
                    rows.append(BatchRow(sequence: request.root!, position: position, token: prompt[position],
                                         wantsLogits: position == prompt.count - 1))
                }
                if end == prompt.count { owners.append(.promptEnd(request)) }
                prefilling.append((request, end - request.prefilled))
                request.prefilled = end
            }
        } catch {
            return finished + failAll(.model(error))
        }
        guard !rows.isEmpty else { return finished }

        let logits: ForwardLogits
        do {
            logits = try model.forward(batch: rows, cache: cache, scratch: scratch)
        } catch {
            return finished + failAll(.model(error))
        }
        counters.rows += rows.count
        counters.decodeRows += decodeRowCount
        if decodeRowCount > 0 { counters.decodeSteps += 1 }
        for request in requests where !request.decoding.isEmpty { request.timings.decodeSteps += 1 }
        var draws: [Draw] = []
        for (row, owner) in owners.enumerated() {
            switch owner {
            case .sample(let request, let i):
                draws.append(Draw(request: request, sample: i, logits: logits.row(row)))
            case .promptEnd(let request):
                request.firstLogits = Array(logits.row(row))
                request.timings.promptSeconds = (clock.now - request.admittedAt).inSeconds
            }
        }
        drawAndAccept(draws)

        // Attribute the step's wall time to its rows, evenly (a row costs about the same
        // in every matrix product; attention differs a little with length).
        let share = (clock.now - stepStart).inSeconds / Double(rows.count)
        for owner in owners.prefix(decodeRowCount) {
            if case .sample(let request, let i) = owner { request.samples[i].computeSeconds += share }
        }
        for (request, count) in prefilling { request.prefillComputeSeconds += share * Double(count) }
        finished += collectFinished()
        return finished
    }

    // MARK: Steps

    /// Prefilled requests fork their unstarted samples into free decode rows, oldest
    /// request first, and draw each one's first token from the prompt's logits.
    private func forkWaitingSamples() {
        for request in requests where request.firstLogits != nil && request.nextToFork < request.samples.count {
            let free = maxDecodeRows - liveSamples
            guard free > 0 else { return }
            let count = min(free, request.samples.count - request.nextToFork)
            let children: [Int]
            do { children = try cache.fork(request.root!, count: count) } catch {
                // Cannot happen: sequences are reserved at admission. Fail the request rather than crash.
                request.failure = .model(error)
                continue
            }
            let first = request.nextToFork
            request.nextToFork += count
            waitingSamples -= count
            liveSamples += count
            if request.nextToFork == request.samples.count {
                cache.release(request.root!)
                request.root = nil
            }
            if request.decodeStart == nil { request.decodeStart = clock.now }
            let logits = request.firstLogits!
            if request.nextToFork == request.samples.count { request.firstLogits = nil }
            var draws: [Draw] = []
            for (offset, child) in children.enumerated() {
                let i = first + offset
                request.sequences[i] = child
                request.samples[i].computeSeconds += request.prefillComputeSeconds / Double(request.samples.count)
                if request.request.parameters.maxTokens == 0 {
                    finishSample(request, i)
                    continue
                }
                request.decoding.append(i)
                draws.append(Draw(request: request, sample: i, logits: UnsafeBufferPointer(start: nil, count: 0)))
            }
            logits.withUnsafeBufferPointer { buffer in
                for k in draws.indices { draws[k].logits = buffer }
                drawAndAccept(draws)
            }
        }
    }

    /// One sample's next token to draw from `logits` (valid for the draw's duration).
    private struct Draw {
        let request: ActiveRequest
        let sample: Int
        var logits: UnsafeBufferPointer<Float>
    }

    /// Draws the next token of every sample in `draws` in parallel on the engine's
    /// worker pool (each draw reads only its logits and its sample's history and
    /// advances only its own sampler, so the tokens do not depend on the split), then
    /// records them in order and retires the samples that finished.
    ///
    /// Why parallel: a draw makes a few passes over the vocabulary (softmax, log-softmax
    /// for logprobs), about a millisecond for 49k tokens; 64 of them one after another
    /// would leave the pool's other threads idle for a good part of each step.
    private func drawAndAccept(_ draws: [Draw]) {
        guard !draws.isEmpty else { return }
        var samplers = draws.map { $0.request.samplers[$0.sample] }
        var tokens = [Int](repeating: 0, count: draws.count)
        var logprobs = [PositionLogprobs?](repeating: nil, count: draws.count)
        samplers.withUnsafeMutableBufferPointer { samplers in
            tokens.withUnsafeMutableBufferPointer { tokens in
                logprobs.withUnsafeMutableBufferPointer { logprobs in
                    scratch.pool.run(taskCount: draws.count) { k, _ in
                        let draw = draws[k]
                        let history = draw.request.histories[draw.sample][...]
                        tokens[k] = samplers[k].sample(logits: draw.logits, history: history)
                        if draw.request.request.reportLogprobs {
                            logprobs[k] = Sampler.logprobs(logits: draw.logits, chosen: tokens[k],
                                                           top: draw.request.request.parameters.topLogprobs)
                        }
                    }
                }
            }
        }
        for (k, draw) in draws.enumerated() {
            draw.request.samplers[draw.sample] = samplers[k]
            if accept(draw.request, draw.sample, token: tokens[k], logprobs: logprobs[k]) {
                finishSample(draw.request, draw.sample)
            }
        }
    }

    /// Records sample i's drawn token: stop tokens and strings, length, the streamed
    /// text. True when the sample is finished.
    private func accept(_ request: ActiveRequest, _ i: Int, token: Int, logprobs: PositionLogprobs?) -> Bool {
        let parameters = request.request.parameters
        if let logprobs { request.samples[i].logprobs.append(logprobs) }
        request.samples[i].tokens.append(token)
        request.histories[i].append(token)
        var finished = false
        var piece = ""
        if request.stopTokens.contains(token) {
            request.samples[i].finishReason = .stop
            finished = true
        } else if request.detokenizers != nil {
            piece = request.detokenizers![i].append(token)
            if request.detokenizers![i].stopString != nil {
                request.samples[i].finishReason = .stop
                finished = true
            }
        }
        let length = request.request.promptTokens.count + request.samples[i].tokens.count
        if !finished && (request.samples[i].tokens.count >= parameters.maxTokens || length >= model.configuration.contextLength) {
            request.samples[i].finishReason = .length
            finished = true
        }
        if finished, request.detokenizers != nil {
            piece += request.detokenizers![i].finish()
        }
        request.onEvent?(GenerationEvent(sampleIndex: i, token: token, text: piece, logprobs: logprobs))
        return finished
    }

    /// Sample i leaves the batch: its sequence and its share of the reservation are freed.
    private func finishSample(_ request: ActiveRequest, _ i: Int) {
        if let index = request.decoding.firstIndex(of: i) { request.decoding.remove(at: index) }
        cache.release(request.sequences[i])
        request.sequences[i] = -1
        request.finishedCount += 1
        request.lastTokenAt = clock.now
        liveSamples -= 1
    }

    /// Removes and returns requests whose samples have all finished, or that failed.
    private func collectFinished() -> [(id: Int, result: Result<GenerationOutput, EngineError>)] {
        var done: [(id: Int, result: Result<GenerationOutput, EngineError>)] = []
        requests.removeAll { request in
            if let failure = request.failure {
                retire(request)
                done.append((request.id, .failure(failure)))
                return true
            }
            guard request.finishedCount == request.samples.count else { return false }
            retire(request)
            done.append((request.id, .success(output(of: request))))
            return true
        }
        return done
    }

    /// Fails every request (after a forward pass threw, the cache may hold partial rows).
    private func failAll(_ error: EngineError) -> [(id: Int, result: Result<GenerationOutput, EngineError>)] {
        let all = requests
        requests.removeAll()
        for request in all { retire(request) }
        return all.map { ($0.id, .failure(error)) }
    }

    /// Frees whatever `request` still holds (sequences, reservations).
    private func retire(_ request: ActiveRequest) {
        if let root = request.root { cache.release(root) }
        request.root = nil
        for (i, sequence) in request.sequences.enumerated() where sequence >= 0 {
            cache.release(sequence)
            request.sequences[i] = -1
            liveSamples -= 1
        }
        waitingSamples -= request.samples.count - request.nextToFork
        request.nextToFork = request.samples.count
        reservedPages -= request.reservedPages
        request.reservedPages = 0
    }

    private func output(of request: ActiveRequest) -> GenerationOutput {
        var timings = request.timings
        if let start = request.decodeStart, let end = request.lastTokenAt {
            timings.decodeSeconds = (end - start).inSeconds
        }
        timings.generatedTokenCount = request.samples.reduce(0) { $0 + $1.tokens.count }
        var samples = request.samples
        if let detokenizers = request.detokenizers {
            for i in samples.indices { samples[i].text = detokenizers[i].text }
        }
        return GenerationOutput(samples: samples, promptTokenCount: request.request.promptTokens.count, timings: timings)
    }

}

/// The state of one admitted request. A class so the step loop can update it in place.
private final class ActiveRequest {
    let id: Int
    let request: GenerationRequest
    let admittedAt: ContinuousClock.Instant
    let stopTokens: Set<Int>
    let onEvent: ((GenerationEvent) -> Void)?
    var reservedPages: Int
    /// The prompt's sequence, until every sample has forked from it.
    var root: Int?
    /// Prompt tokens written to the cache.
    var prefilled = 0
    /// The last prompt row's logits, kept until every sample has drawn its first token.
    var firstLogits: [Float]?
    /// Samples `0..<nextToFork` have forked.
    var nextToFork = 0
    var samples: [GeneratedSample]
    var samplers: [Sampler]
    var histories: [[Int]]
    var detokenizers: [StreamingDetokenizer]?
    /// Per sample: its KV sequence, -1 before the fork and after it finished.
    var sequences: [Int]
    /// Samples with a token to feed, in fork order.
    var decoding: [Int] = []
    var finishedCount = 0
    var timings: GenerationTimings
    var prefillComputeSeconds = 0.0
    var decodeStart: ContinuousClock.Instant?
    var lastTokenAt: ContinuousClock.Instant?
    var failure: EngineError?

    init(id: Int, request: GenerationRequest, reservedPages: Int, admittedAt: ContinuousClock.Instant,
         stopTokens: Set<Int>, onEvent: ((GenerationEvent) -> Void)?, detokenizers: [StreamingDetokenizer]?) {
        self.id = id
        self.request = request
        self.reservedPages = reservedPages
        self.admittedAt = admittedAt
        self.stopTokens = stopTokens
        self.onEvent = onEvent
        self.detokenizers = detokenizers
        let count = request.seeds.count
        samples = request.seeds.enumerated().map { GeneratedSample(index: $0.offset, seed: $0.element) }
        samplers = request.seeds.map { Sampler(parameters: request.parameters, seed: $0) }
        histories = Array(repeating: request.promptTokens, count: count)
        sequences = Array(repeating: -1, count: count)
        timings = GenerationTimings(promptTokenCount: request.promptTokens.count)
    }
}
