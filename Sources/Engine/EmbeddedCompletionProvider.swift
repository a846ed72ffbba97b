import GGUF
import Models
import ScalingCore
import Tokenizers

/// The embedded engine as a `CompletionProvider`: renders the prompt with the model's
/// chat template, then samples all of a request's seeds as one shared-prompt batch
/// (one prefill, shared prompt pages) on a `GenerationScheduler`, so concurrent
/// `complete` calls share decode steps (continuous batching across prompts).
///
/// Each completion's `seconds` is the engine time attributed to that sample
/// (`GeneratedSample.computeSeconds`): its share of the forward passes it took part in
/// plus its share of the prompt's prefill. Summed over a run's samples it gives the
/// engine's busy time, however many requests were in flight.
public actor EmbeddedCompletionProvider: CompletionProvider {
    public nonisolated let modelName: String
    let scheduler: GenerationScheduler
    let tokenizer: Tokenizer

    /// - Parameters:
    ///   - path: a GGUF file with a tokenizer.
    ///   - threadCount: engine worker threads; default all processors.
    ///   - maxSamples: samples decoding at once over all requests (the decode batch
    ///     width); a request with more seeds runs in slices of this size.
    public init(path: String, modelName: String? = nil, threadCount: Int? = nil, maxSamples: Int = 64) throws(EngineError) {
        let scheduler = try GenerationScheduler(path: path, threadCount: threadCount, maxSamples: maxSamples)
        self.scheduler = scheduler
        tokenizer = scheduler.tokenizer!   // init(path:) always loads one
        self.modelName = modelName ?? String(path.split(separator: "/").last ?? Substring(path))
    }

    /// The engine on an already open GGUF file, on disk or only in memory: how the
    /// training engine hands new weights to the sampler without writing a file
    /// (`GGUFFile(mapping: MappedFile(copying: GGUFWriter.serialize(), name: ...))`).
    public init(file: GGUFFile, modelName: String, threadCount: Int? = nil, maxSamples: Int = 64) throws(EngineError) {
        try ThreadCount.validate(threadCount)
        let (model, tokenizer) = try InferenceEngine.load(file: file)
        scheduler = GenerationScheduler(model: model, tokenizer: tokenizer, threadCount: threadCount, maxSamples: maxSamples)
        self.tokenizer = tokenizer
        self.modelName = modelName
    }

    /// Tokens of context the model was trained for (`{architecture}.context_length`):
    /// prompt plus generated tokens must fit.
    public nonisolated var contextLength: Int { scheduler.model.configuration.contextLength }

    /// The engine's counts so far (requests running, queued, cancelled, steps).
    public nonisolated var statistics: SchedulerStatistics { scheduler.statistics }

    /// The prompt's tokens: `.text` as is, `.messages` through the chat template.
    public func promptTokens(for prompt: ProblemPrompt) -> [Int] {
        tokenizer.encode(promptText(for: prompt))
    }

    /// The text the engine tokenises for `prompt`.
    func promptText(for prompt: ProblemPrompt) -> String {
        switch prompt {
        case .text(let text): text
        case .messages(let messages): tokenizer.renderChat(messages).text
        }
    }

    /// The prompt's tokens, refusing with `.promptTooLarge` a text with so many bytes that it
    /// cannot fit the context whatever its tokens, before tokenising it (a 50 MB record would
    /// otherwise take gigabytes and half a minute to be refused).
    func checkedPromptTokens(for prompt: ProblemPrompt) throws(EngineError) -> [Int] {
        let text = promptText(for: prompt)
        let contextLength = scheduler.model.configuration.contextLength
        let bytes = text.utf8.count
        let minimumTokens = tokenizer.minimumTokenCount(utf8Count: bytes)
        guard minimumTokens < contextLength else {
            throw .promptTooLarge(bytes: bytes, minimumTokens: minimumTokens, contextLength: contextLength)
        }
        return tokenizer.encode(text)
    }

    public func complete(_ request: CompletionRequest) async throws -> [Completion] {
        // One conversion from samples to completions: the streaming entry point's.
        try await complete(request, onDelta: { _ in }).map(\.completion)
    }

    /// The engine's samples for `request`, in seed order, each with its prompt's token
    /// count: what `complete` (and a streaming front end) turns into completions.
    ///
    /// Requests wider than the decode batch run in slices of `maxSamples` seeds, all
    /// submitted at once (the scheduler starts each as rows free up).
    ///
    /// - Parameter onEvent: called on the engine thread after each token of each sample;
    ///   `sampleIndex` counts over the whole request (seed order).
    func samples(for request: CompletionRequest, onEvent: (@Sendable (GenerationEvent) -> Void)? = nil)
        async throws -> [(sample: GeneratedSample, promptTokenCount: Int)] {
        let tokens = try checkedPromptTokens(for: request.prompt)
        let options = GenerationOptions(request.parameters)
        let wantsLogprobs = request.parameters.logprobs != nil
        let width = scheduler.maxSamples
        let starts = Array(stride(from: 0, to: request.seeds.count, by: width))
        let scheduler = self.scheduler
        let outputs = try await withThrowingTaskGroup(of: (Int, GenerationOutput).self) { group in
            for (index, start) in starts.enumerated() {
                let slice = GenerationRequest(promptTokens: tokens, parameters: options,
                                              seeds: Array(request.seeds[start ..< min(start + width, request.seeds.count)]),
                                              reportLogprobs: wantsLogprobs)
                let relay = onEvent.map { onEvent in
                    { @Sendable (event: GenerationEvent) in
                        onEvent(GenerationEvent(sampleIndex: start + event.sampleIndex, token: event.token, text: event.text,
                                                logprobs: event.logprobs))
                    }
                }
                group.addTask { (index, try await scheduler.generate(slice, onEvent: relay)) }
            }
            var outputs = [GenerationOutput?](repeating: nil, count: starts.count)
            for try await (index, output) in group { outputs[index] = output }
            return outputs.map { $0! }
        }
        return outputs.flatMap { output in output.samples.map { ($0, output.promptTokenCount) } }
    }
}
