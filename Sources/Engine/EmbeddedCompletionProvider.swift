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
        let tokens = promptTokens(for: request.prompt)
        let options = GenerationOptions(request.parameters)
        let wantsLogprobs = request.parameters.logprobs != nil
        var completions: [Completion] = []
        // Requests wider than the engine's batch run in slices of `maxSamples` seeds.
        var start = 0
        while start < request.seeds.count {
            let seeds = Array(request.seeds[start ..< min(start + engine.maxSamples, request.seeds.count)])
            let output = try engine.generate(promptTokens: tokens, parameters: options, seeds: seeds, reportLogprobs: wantsLogprobs)
            let seconds = (output.timings.promptSeconds + output.timings.decodeSeconds) / Double(seeds.count)
            for sample in output.samples {
                completions.append(Completion(
                    text: sample.text ?? "", finishReason: sample.finishReason, seed: sample.seed,
                    promptTokens: output.promptTokenCount, completionTokens: sample.tokens.count, seconds: seconds,
                    logprobSum: wantsLogprobs ? sample.logprobs.reduce(0) { $0 + $1.chosen.logprob } : nil))
            }
            start += seeds.count
        }
        return completions
    }
}
