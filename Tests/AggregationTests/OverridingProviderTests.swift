import Aggregation
import ScalingCore
import Testing

/// One model as several Mixture-of-Agents proposers with other sampling settings.
struct OverridingProviderTests {
    @Test func moaProposersAtOtherTemperaturesReachTheModelWithThem() async throws {
        let model = ScriptedProvider { request, index in request.seeds.map { _ in ("answer \(index)", nil) } }
        let hot = OverridingProvider(model, temperature: 1.3)
        let nucleus = OverridingProvider(model, topP: 0.5, name: "nucleus")
        let context = StrategyContext(provider: model, proposers: [model, hot, nucleus],
                                      parameters: SamplingParameters(temperature: 0.7, maxTokens: 16), seed: 3)
        let result = try await MixtureOfAgents(layers: 2).answer(.text("2 + 2?"), using: context)
        let requests = await model.requests
        // Three proposals, then the aggregator; each proposal with its proposer's settings.
        #expect(requests.count == 4)
        #expect(requests.map(\.parameters.temperature) == [0.7, 1.3, 0.7, 0.7])
        #expect(requests.map(\.parameters.topP) == [nil, nil, 0.5, nil])
        guard case .synthesis(let evidence) = result.evidence else { Issue.record("expected synthesis evidence"); return }
        #expect(evidence.layers[0].calls.map(\.model) == ["scripted", "scripted@temperature=1.3", "nucleus"])
        #expect(evidence.layers[1].calls[0].references == ["answer 0", "answer 1", "answer 2"])
    }

    @Test func proposerSpecsParse() throws {
        let plain = try OverridingProvider.parse("smollm2-135m-instruct")
        #expect(plain.model == "smollm2-135m-instruct" && plain.temperature == nil && plain.topP == nil)
        let both = try OverridingProvider.parse("/models/a.gguf@temperature=1.1,top-p=0.9")
        #expect(both.model == "/models/a.gguf" && both.temperature == 1.1 && both.topP == 0.9)
        for bad in ["@temperature=1", "m@temp=1", "m@temperature=hot", "m@temperature=-1"] {
            #expect(throws: AggregationError.self, "\(bad)") { try OverridingProvider.parse(bad) }
        }
    }
}
