import Engine
import ScalingCore
import Testing

/// The in-place top-k selection the sampler uses without penalties must keep exactly
/// the candidates of the documented chain: the whole vocabulary, then `TopKStage`.
struct TopKSelectionTests {
    @Test(arguments: [1, 2, 40, 999])
    func selectionEqualsTheFullCandidatesThenTopK(_ k: Int) {
        var generator = SplitMix64(seed: UInt64(k))
        // Coarse values: many ties, including at the k-th place.
        let logits = (0..<1000).map { _ in Float(Int(generator.nextUnit() * 40)) / 4 }
        let selected = logits.withUnsafeBufferPointer { TokenCandidates(topK: k, of: $0) }
        var expected = logits.withUnsafeBufferPointer { TokenCandidates(logits: $0) }
        TopKStage(k: k).apply(to: &expected)
        #expect(selected == expected)
        #expect(selected.count == k)
    }

    @Test func samplerDrawsTheSameTokensAsTheUnoptimisedChain() {
        var generator = SplitMix64(seed: 3)
        let logits = (0..<5000).map { _ in Float(generator.nextUnit() * 10) }
        let parameters = GenerationOptions(temperature: 0.8, topK: 40, topP: 0.9, seed: 0)
        var sampler = Sampler(parameters: parameters, seed: 9)
        var reference = SplitMix64(seed: 9)
        for _ in 0..<50 {
            // The documented chain by hand: all candidates, then each stage.
            var candidates = logits.withUnsafeBufferPointer { TokenCandidates(logits: $0) }
            for stage in sampler.stages { stage.apply(to: &candidates) }
            let probabilities = candidates.probabilities()
            let u = reference.nextUnit()
            var cumulative = 0.0, expected = candidates.tokens[candidates.count - 1]
            for i in 0..<probabilities.count {
                cumulative += probabilities[i]
                if u < cumulative { expected = candidates.tokens[i]; break }
            }
            let token = logits.withUnsafeBufferPointer { sampler.sample(logits: $0, history: []) }
            #expect(token == expected)
        }
    }
}
