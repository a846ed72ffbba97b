import ScalingCore
import Tokenizers

/// Token-by-token streaming for the server: the same batch as `complete`, with each
/// sample's safe text (stop strings held back) passed on as the engine reports it.
extension EmbeddedCompletionProvider: StreamingCompletionProvider {
    public func complete(_ request: CompletionRequest,
                         onDelta: @escaping @Sendable (CompletionDelta) -> Void) async throws -> [DetailedCompletion] {
        let tokens = promptTokens(for: request.prompt)
        let options = GenerationOptions(request.parameters)
        let wantsLogprobs = request.parameters.logprobs != nil
        var results: [DetailedCompletion] = []
        var start = 0
        while start < request.seeds.count {
            let seeds = Array(request.seeds[start ..< min(start + engine.maxSamples, request.seeds.count)])
            let offset = start
            let output = try engine.generate(promptTokens: tokens, parameters: options, seeds: seeds,
                                             reportLogprobs: wantsLogprobs) { event in
                if !event.text.isEmpty { onDelta(CompletionDelta(sampleIndex: offset + event.sampleIndex, text: event.text)) }
            }
            let seconds = (output.timings.promptSeconds + output.timings.decodeSeconds) / Double(seeds.count)
            for sample in output.samples {
                let completion = Completion(
                    text: sample.text ?? "", finishReason: sample.finishReason, seed: sample.seed,
                    promptTokens: output.promptTokenCount, completionTokens: sample.tokens.count, seconds: seconds,
                    logprobSum: wantsLogprobs ? sample.logprobs.reduce(0) { $0 + $1.chosen.logprob } : nil)
                results.append(DetailedCompletion(
                    completion: completion,
                    tokenLogprobs: wantsLogprobs ? tokenLogprobs(sample, limit: request.parameters.logprobs ?? 0) : nil))
            }
            start += seeds.count
        }
        return results
    }

    /// The sample's visible tokens (a final end-of-generation token left out) with their alternatives.
    private func tokenLogprobs(_ sample: GeneratedSample, limit: Int) -> [GeneratedTokenLogprob] {
        var positions = sample.logprobs
        if sample.finishReason == .stop, let last = sample.tokens.last, tokenizer.isEndOfGeneration(last) {
            positions = Array(positions.dropLast())
        }
        func candidate(_ probability: TokenProbability) -> GeneratedTokenLogprob.Candidate {
            let bytes = tokenizer.tokenBytes(probability.token)
            return .init(text: String(decoding: bytes, as: UTF8.self), bytes: bytes, logprob: probability.logprob)
        }
        return positions.map { position in
            GeneratedTokenLogprob(chosen: candidate(position.chosen), alternatives: position.alternatives.prefix(limit).map(candidate))
        }
    }
}
