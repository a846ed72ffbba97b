import Models
import ScalingCore
import Tokenizers

/// The embedded engine as a `CompletionProvider`: renders the prompt with the model's
/// chat template, then samples all of a request's seeds as one batch (one prefill,
/// shared prompt pages, batched decode).
///
/// An actor, so requests take turns on the one engine; a request runs synchronously
/// inside the actor (a decode step never suspends), occupying one cooperative thread
/// while it runs.
public actor EmbeddedCompletionProvider: CompletionProvider {
    public nonisolated let modelName: String
    let engine: InferenceEngine
    let tokenizer: Tokenizer

    /// - Parameters:
    ///   - path: a GGUF file with a tokenizer.
    ///   - maxSamples: the most seeds one request may carry.
    public init(path: String, modelName: String? = nil, threadCount: Int? = nil, maxSamples: Int = 64) throws(EngineError) {
        let engine = try InferenceEngine(path: path, threadCount: threadCount, maxSamples: maxSamples)
        self.engine = engine
        tokenizer = engine.tokenizer!   // init(path:) always loads one
        self.modelName = modelName ?? String(path.split(separator: "/").last ?? Substring(path))
    }

    /// The prompt's tokens: `.text` as is, `.messages` through the chat template.
    public func promptTokens(for prompt: ProblemPrompt) -> [Int] {
        switch prompt {
        case .text(let text):
            return tokenizer.encode(text)
        case .messages(let messages):
            let rendered = tokenizer.renderChat(messages)
            return tokenizer.encode(rendered.text)
        }
    }

    public func complete(_ request: CompletionRequest) async throws -> [Completion] {
        try await complete(request, onDelta: { _ in }).map(\.completion)
    }

    /// The engine's samples for `request`, in seed order, each with its prompt's token
    /// count: what `complete` (and the streaming conformance) turns into completions.
    /// Requests wider than the engine's batch run in slices of `maxSamples` seeds.
    ///
    /// - Parameter onEvent: called after each token of each sample; `sampleIndex` counts
    ///   over the whole request (seed order).
    func samples(for request: CompletionRequest, onEvent: (@Sendable (GenerationEvent) -> Void)? = nil)
        async throws -> [(sample: GeneratedSample, promptTokenCount: Int)] {
        let tokens = promptTokens(for: request.prompt)
        let options = GenerationOptions(request.parameters)
        let wantsLogprobs = request.parameters.logprobs != nil
        var samples: [(sample: GeneratedSample, promptTokenCount: Int)] = []
        var start = 0
        while start < request.seeds.count {
            let seeds = Array(request.seeds[start ..< min(start + engine.maxSamples, request.seeds.count)])
            let offset = start
            let relay = onEvent.map { onEvent in
                { (event: GenerationEvent) in
                    onEvent(GenerationEvent(sampleIndex: offset + event.sampleIndex, token: event.token, text: event.text))
                }
            }
            let output = try engine.generate(promptTokens: tokens, parameters: options, seeds: seeds,
                                             reportLogprobs: wantsLogprobs, onEvent: relay)
            samples += output.samples.map { ($0, output.promptTokenCount) }
            start += seeds.count
        }
        return samples
    }
}
