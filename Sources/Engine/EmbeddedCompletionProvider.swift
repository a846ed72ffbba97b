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
    private let scheduler: GenerationScheduler
    private let tokenizer: Tokenizer

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
        let tokens = promptTokens(for: request.prompt)
        let options = GenerationOptions(request.parameters)
        let wantsLogprobs = request.parameters.logprobs != nil
        // Requests wider than the decode batch run in slices of `maxSamples` seeds, all
        // submitted at once (the scheduler starts each as rows free up).
        let width = scheduler.maxSamples
        let slices = stride(from: 0, to: request.seeds.count, by: width).map {
            GenerationRequest(promptTokens: tokens, parameters: options,
                              seeds: Array(request.seeds[$0 ..< min($0 + width, request.seeds.count)]),
                              reportLogprobs: wantsLogprobs)
        }
        let scheduler = self.scheduler
        let outputs = try await withThrowingTaskGroup(of: (Int, GenerationOutput).self) { group in
            for (index, slice) in slices.enumerated() {
                group.addTask { (index, try await scheduler.generate(slice)) }
            }
            var outputs = [GenerationOutput?](repeating: nil, count: slices.count)
            for try await (index, output) in group { outputs[index] = output }
            return outputs.map { $0! }
        }
        return outputs.flatMap { output in
            output.samples.map { sample in
                Completion(text: sample.text ?? "", finishReason: sample.finishReason, seed: sample.seed,
                           promptTokens: output.promptTokenCount, completionTokens: sample.tokens.count,
                           seconds: sample.computeSeconds,
                           logprobSum: wantsLogprobs ? sample.logprobs.reduce(0) { $0 + $1.chosen.logprob } : nil)
            }
        }
    }
}
