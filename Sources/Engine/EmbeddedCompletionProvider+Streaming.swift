import ScalingCore
import Tokenizers

/// Token-by-token streaming for the server: the same samples as `complete`, with each
/// sample's safe text (stop strings held back) passed on as the engine reports it, and
/// per-token log-probabilities when asked for.
extension EmbeddedCompletionProvider: StreamingCompletionProvider {
    public func complete(_ request: CompletionRequest,
                         onDelta: @escaping @Sendable (CompletionDelta) -> Void) async throws -> [DetailedCompletion] {
        let samples = try await samples(for: request) { event in
            if !event.text.isEmpty { onDelta(CompletionDelta(sampleIndex: event.sampleIndex, text: event.text)) }
        }
        let top = request.parameters.logprobs
        return samples.map { sample, promptTokenCount in
            DetailedCompletion(
                completion: Completion(
                    text: sample.text ?? "", finishReason: sample.finishReason, seed: sample.seed,
                    promptTokens: promptTokenCount, completionTokens: sample.tokens.count, seconds: sample.computeSeconds,
                    logprobSum: top == nil ? nil : sample.logprobs.reduce(0) { $0 + $1.chosen.logprob }),
                tokenLogprobs: top.map { tokenLogprobs(sample, limit: $0) })
        }
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
