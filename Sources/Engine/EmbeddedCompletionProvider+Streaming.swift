import ScalingCore
import Synchronization
import Tokenizers

/// Token-by-token streaming for the server: the same samples as `complete`, with each
/// sample's safe text (stop strings held back) passed on as the engine reports it, and
/// per-token log-probabilities when asked for: each delta carries those of the tokens
/// its text came from, and the finished sample all of them.
extension EmbeddedCompletionProvider: StreamingCompletionProvider {
    public func complete(_ request: CompletionRequest,
                         onDelta: @escaping @Sendable (CompletionDelta) -> Void) async throws -> [DetailedCompletion] {
        let top = request.parameters.logprobs
        let tokenizer = self.tokenizer
        // Per sample: log-probabilities of tokens whose text has not shown yet. Events come
        // in order from the engine thread; the lock only satisfies the compiler.
        let held = Mutex<[Int: [GeneratedTokenLogprob]]>([:])
        let samples = try await samples(for: request) { event in
            var logprobs: [GeneratedTokenLogprob] = []
            if let top, let position = event.logprobs {
                // The end-of-text token is never reported (it ends the sample, see `visiblePositions`).
                let reported = !tokenizer.isEndOfGeneration(event.token)
                logprobs = held.withLock { held in
                    if reported { held[event.sampleIndex, default: []].append(Self.tokenLogprob(position, limit: top, tokenizer)) }
                    guard !event.text.isEmpty else { return [] }
                    return held.removeValue(forKey: event.sampleIndex) ?? []
                }
            }
            if !event.text.isEmpty { onDelta(CompletionDelta(sampleIndex: event.sampleIndex, text: event.text, tokenLogprobs: logprobs)) }
        }
        return samples.map { sample, promptTokenCount in
            let positions = visiblePositions(sample)
            return DetailedCompletion(
                completion: Completion(
                    text: sample.text ?? "", finishReason: sample.finishReason, seed: sample.seed,
                    promptTokens: promptTokenCount, completionTokens: sample.tokens.count, seconds: sample.computeSeconds,
                    logprobSum: top == nil ? nil : positions.reduce(0) { $0 + $1.chosen.logprob }),
                tokenLogprobs: top.map { limit in positions.map { Self.tokenLogprob($0, limit: limit, tokenizer) } })
        }
    }

    /// The sample's reported positions: a final end-of-generation token left out, as
    /// OpenAI-compatible servers leave it out (see `Completion.logprobSum`).
    private func visiblePositions(_ sample: GeneratedSample) -> ArraySlice<PositionLogprobs> {
        if sample.finishReason == .stop, let last = sample.tokens.last, tokenizer.isEndOfGeneration(last) {
            return sample.logprobs.dropLast()
        }
        return sample.logprobs[...]
    }

    private static func tokenLogprob(_ position: PositionLogprobs, limit: Int, _ tokenizer: Tokenizer) -> GeneratedTokenLogprob {
        func candidate(_ probability: TokenProbability) -> GeneratedTokenLogprob.Candidate {
            let bytes = tokenizer.tokenBytes(probability.token)
            return .init(text: String(decoding: bytes, as: UTF8.self), bytes: bytes, logprob: probability.logprob)
        }
        return GeneratedTokenLogprob(chosen: candidate(position.chosen), alternatives: position.alternatives.prefix(limit).map(candidate))
    }
}
