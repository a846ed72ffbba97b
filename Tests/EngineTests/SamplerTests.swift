import Engine
import Foundation
import ScalingCore
import Testing

/// Sampler probabilities against hand-written formulas, and draw frequencies against
/// those probabilities (as llama.cpp's test-sampling and mlx's SampleTests do).
struct SamplerTests {
    /// Five tokens; raw probabilities ≈ [0.563, 0.207, 0.126, 0.028, 0.076].
    static let logits: [Float] = [2.0, 1.0, 0.5, -1.0, 0.0]

    static func softmax(_ values: [Double]) -> [Double] {
        let m = values.max()!
        let e = values.map { exp($0 - m) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }

    /// The final distribution as `[token: probability]`.
    static func distribution(_ parameters: GenerationOptions, history: [Int] = [], logits: [Float] = logits) -> [Int: Double] {
        let sampler = Sampler(parameters: parameters, seed: 0)
        let (candidates, probabilities) = logits.withUnsafeBufferPointer {
            sampler.finalDistribution(logits: $0, history: history[...])
        }
        return Dictionary(uniqueKeysWithValues: zip(candidates.tokens, probabilities))
    }

    static func expectClose(_ actual: [Int: Double], _ expected: [Int: Double], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(Set(actual.keys) == Set(expected.keys), "tokens \(actual.keys.sorted()) vs \(expected.keys.sorted())", sourceLocation: sourceLocation)
        for (token, p) in expected {
            #expect(abs((actual[token] ?? -1) - p) < 1e-6, "token \(token): \(actual[token] ?? -1) vs \(p)", sourceLocation: sourceLocation)
        }
    }

    @Test func temperatureDividesLogits() {
        let p = Self.softmax(Self.logits.map { Double($0) / 0.5 })
        Self.expectClose(Self.distribution(GenerationOptions(temperature: 0.5)), Dictionary(uniqueKeysWithValues: p.enumerated().map { ($0.offset, $0.element) }))
    }

    @Test func topKKeepsTheKBest() {
        let p = Self.softmax([2.0, 1.0, 0.5])
        Self.expectClose(Self.distribution(GenerationOptions(topK: 3)), [0: p[0], 1: p[1], 2: p[2]])
    }

    @Test func topPKeepsTheSmallestPrefixReachingP() {
        // Sorted raw probabilities 0.563, 0.207, 0.126, ...: cumulative 0.563, 0.770, 0.896.
        let p = Self.softmax([2.0, 1.0, 0.5])
        Self.expectClose(Self.distribution(GenerationOptions(topP: 0.8)), [0: p[0], 1: p[1], 2: p[2]])
        let q = Self.softmax([2.0, 1.0])
        Self.expectClose(Self.distribution(GenerationOptions(topP: 0.7)), [0: q[0], 1: q[1]])
    }

    @Test func minPDropsTokensBelowAFractionOfTheBest() {
        // 0.25 × 0.563 = 0.141: token 2 (0.126) goes, token 1 (0.207) stays.
        let p = Self.softmax([2.0, 1.0])
        Self.expectClose(Self.distribution(GenerationOptions(minP: 0.25)), [0: p[0], 1: p[1]])
    }

    @Test func repetitionPenaltyDividesPositiveAndMultipliesNegativeLogits() {
        let p = Self.softmax([2.0 / 1.5, 1.0, 0.5, -1.0 * 1.5, 0.0])
        Self.expectClose(Self.distribution(GenerationOptions(repetitionPenalty: 1.5), history: [0, 3, 3]),
                         Dictionary(uniqueKeysWithValues: p.enumerated().map { ($0.offset, $0.element) }))
    }

    @Test func frequencyAndPresencePenaltiesSubtractPerOccurrenceAndOnce() {
        // Token 1 seen twice: 1 - 2·0.5 - 0.25; token 4 once: 0 - 0.5 - 0.25.
        let p = Self.softmax([2.0, 1.0 - 1.0 - 0.25, 0.5, -1.0, 0.0 - 0.5 - 0.25])
        Self.expectClose(Self.distribution(GenerationOptions(frequencyPenalty: 0.5, presencePenalty: 0.25), history: [1, 4, 1]),
                         Dictionary(uniqueKeysWithValues: p.enumerated().map { ($0.offset, $0.element) }))
    }

    @Test func penaltiesOnlyLookAtTheWindow() {
        let p = Self.softmax(Self.logits.map(Double.init))
        // Token 0 lies outside the last 2 tokens of history.
        Self.expectClose(Self.distribution(GenerationOptions(repetitionPenalty: 2, penaltyWindow: 2), history: [0, 7, 8]),
                         Dictionary(uniqueKeysWithValues: p.enumerated().map { ($0.offset, $0.element) }))
    }

    @Test func chainAppliesTopKTopPMinPThenTemperature() {
        // top-k 4 → {0,1,2,4}; top-p 0.9 over their renormalised probabilities
        // (0.579, 0.213, 0.129, 0.078): cumulative 0.579, 0.792, 0.922 → {0,1,2};
        // min-p 0.2 over {0,1,2} (0.629, 0.231, 0.140 ≥ 0.126) keeps all three;
        // temperature 0.7 sharpens.
        let p = Self.softmax([2.0 / 0.7, 1.0 / 0.7, 0.5 / 0.7])
        Self.expectClose(Self.distribution(GenerationOptions(temperature: 0.7, topK: 4, topP: 0.9, minP: 0.2)),
                         [0: p[0], 1: p[1], 2: p[2]])
    }

    @Test func greedyPicksTheHighestPenalisedLogitLowestIdOnTies() {
        Self.expectClose(Self.distribution(.greedy), [0: 1])
        Self.expectClose(Self.distribution(.greedy, logits: [0, 3, 1, 3]), [1: 1])
        Self.expectClose(Self.distribution(GenerationOptions(temperature: 0, repetitionPenalty: 4), history: [0]), [1: 1])
    }

    @Test func topPOnALargeVocabularyMatchesAFullSort() {
        // 50k logits: the fast path (sorting only tokens within 20 nats) must pick the same nucleus.
        var generator = SplitMix64(seed: 7)
        let logits = (0..<50_000).map { _ in Float(generator.nextUnit() * 12) }
        let parameters = GenerationOptions(topP: 0.9)
        let actual = Self.distribution(parameters, logits: logits)
        let order = logits.indices.sorted { logits[$0] != logits[$1] ? logits[$0] > logits[$1] : $0 < $1 }
        let all = Self.softmax(logits.map(Double.init))
        var cumulative = 0.0, kept: [Int] = []
        for t in order {
            kept.append(t)
            cumulative += all[t]
            if cumulative >= 0.9 { break }
        }
        let renormalised = Self.softmax(kept.map { Double(logits[$0]) })
        Self.expectClose(actual, Dictionary(uniqueKeysWithValues: zip(kept, renormalised)))
    }

    @Test func drawFrequenciesFollowTheDistribution() {
        let logits: [Float] = [1.0, 0.5, 0.0, -0.5, 0.25]
        let parameters = GenerationOptions(temperature: 0.8, topK: 4)
        let expected = Self.softmax([1.0, 0.5, 0.0, 0.25].map { $0 / 0.8 })
        let tokens = [0, 1, 2, 4]
        var sampler = Sampler(parameters: parameters, seed: 42)
        var counts = [Int: Int]()
        let draws = 20_000
        logits.withUnsafeBufferPointer { buffer in
            for _ in 0..<draws { counts[sampler.sample(logits: buffer, history: []), default: 0] += 1 }
        }
        #expect(counts[3] == nil, "top-k 4 must never draw token 3")
        let chiSquare = zip(tokens, expected).reduce(0.0) { sum, pair in
            let e = Double(draws) * pair.1
            let o = Double(counts[pair.0] ?? 0)
            return sum + (o - e) * (o - e) / e
        }
        // 3 degrees of freedom: P(χ² > 16.27) = 0.001.
        #expect(chiSquare < 16.27, "χ² = \(chiSquare), counts \(counts)")
    }

    @Test func sameSeedSameDrawsDifferentSeedDifferentDraws() {
        let logits: [Float] = Array(repeating: 0, count: 100)
        func draws(_ seed: UInt64) -> [Int] {
            var sampler = Sampler(parameters: GenerationOptions(), seed: seed)
            return logits.withUnsafeBufferPointer { b in (0..<50).map { _ in sampler.sample(logits: b, history: []) } }
        }
        #expect(draws(3) == draws(3))
        #expect(draws(3) != draws(4))
    }

    @Test func logprobsAreTheModelsLogSoftmax() {
        let raw = Self.logits.map(Double.init)
        let logNormaliser = log(raw.map(exp).reduce(0, +))
        let result = Self.logits.withUnsafeBufferPointer { Sampler.logprobs(logits: $0, chosen: 2, top: 3) }
        #expect(result.chosen.token == 2)
        #expect(abs(result.chosen.logprob - (0.5 - logNormaliser)) < 1e-9)
        #expect(result.alternatives.map(\.token) == [0, 1, 2])
        for alternative in result.alternatives {
            #expect(abs(alternative.logprob - (raw[alternative.token] - logNormaliser)) < 1e-9)
        }
    }

    @Test func invalidParametersAreRejectedByName() {
        #expect(throws: EngineError.self) { try GenerationOptions(topP: 0).validate() }
        #expect(throws: EngineError.self) { try GenerationOptions(temperature: -1).validate() }
        do {
            try GenerationOptions(minP: 2).validate()
            Issue.record("minP 2 accepted")
        } catch {
            #expect(error.description.contains("minP"))
        }
    }
}
