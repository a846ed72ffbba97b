import Aggregation
import ScalingCore
import Testing

/// `StrategySpec.worstCaseSpend` (the bound a server checks before any call) against the calls
/// each strategy really makes when every answer differs, the case that makes the most calls.
struct StrategySpendTests {
    @Test func theWorstCaseIsWhatTheStrategiesSpend() async throws {
        let specs = [
            "single", "self-consistency:6", "weighted-vote:5", "best-of-n:6", "best-of-n:5,score=judge",
            "best-of-n:5,score=pairwise", "best-of-n:6,score=pairwise,bracket=round-robin", "moa", "moa:layers=5",
            "self-moa:4", "self-moa-seq:10,window=3", "self-moa-seq:8,window=4,repeats=1", "self-moa-seq:7",
        ]
        for text in specs {
            let spec = try StrategySpec(parsing: text)
            let provider = ScriptedProvider { request, index in
                // Distinct answers; a neutral judge (scores and ties), so no comparison is skipped.
                request.seeds.indices.map { i in (index == 0 ? "Final answer: \(i + 1)" : "Rating: [[5]] [[C]] \(index)", -0.5) }
            }
            let parameters = SamplingParameters(temperature: 0.7, maxTokens: 16, logprobs: 0)
            _ = try await spec.makeStrategy(defaultSamples: 3).answer(.text("Pick a number."),
                                                                      using: StrategyContext(provider: provider, parameters: parameters))
            let requests = await provider.requests
            let worst = spec.worstCaseSpend(defaultSamples: 3)
            #expect(worst.calls == requests.count, "\(text): \(requests.count) calls")
            #expect(worst.samples == requests.reduce(0) { $0 + $1.seeds.count }, "\(text)")
        }
    }
}
