import Aggregation
import Engine
import GGUF
import ScalingCore
import TestSupport
import Testing

/// The default model (SmolLM2-135M-Instruct) as proposer and aggregator, loaded once.
enum DefaultModel {
    static let loaded = Result<(provider: EmbeddedCompletionProvider, contextLength: Int), any Error> {
        let path = try TestPaths.defaultModel().path
        let file = try GGUFFile(path: path)
        guard let architecture = file.architecture else { throw TestSupportError("\(path) names no architecture.") }
        return (try EmbeddedCompletionProvider(path: path, maxSamples: 8), try file.int("\(architecture).context_length"))
    }

    /// A context for short runs: 32 tokens per call, aggregator prompts checked against the model's context.
    static func context(proposers: [any CompletionProvider] = []) throws -> (StrategyContext, EmbeddedCompletionProvider, Int) {
        let (provider, contextLength) = try loaded.get()
        let window = ContextWindow(limit: contextLength) { await provider.promptTokens(for: $0).count }
        let context = StrategyContext(provider: provider, proposers: proposers,
                                      parameters: SamplingParameters(temperature: 0.7, maxTokens: 32), seed: 11,
                                      contextWindow: window)
        return (context, provider, contextLength)
    }

    static let question = ProblemPrompt.messages([ChatMessage(role: "user", content: "What is 7 + 5? Answer in one sentence.")])
}

/// Mixture-of-Agents strategies end to end on the embedded default model. These check the
/// calls made, the context sizes and the evidence, not the quality of a 135M model's answers.
@Suite(.serialized)
struct EmbeddedStrategyTests {
    @Test func selfMoAOnTheDefaultModel() async throws {
        let (context, provider, contextLength) = try DefaultModel.context()
        let question = DefaultModel.question
        let result = try await SelfMixtureOfAgents(samples: 4).answer(question, using: context)
        guard case .synthesis(let evidence) = result.evidence else { Issue.record("expected synthesis evidence"); return }
        #expect(evidence.layers.map(\.role) == ["proposals", "aggregation"])
        let proposals = evidence.layers[0].calls[0]
        let aggregation = evidence.layers[1].calls[0]
        #expect(proposals.outputs.count == 4)
        #expect(aggregation.references == proposals.outputs)
        #expect(result.text == aggregation.outputs[0])

        // Context sizes: what the engine reports equals the tokenizer's count of the prompt we expect it saw.
        let questionTokens = await provider.promptTokens(for: question).count
        let aggregatorTokens = await provider.promptTokens(for: MixtureOfAgentsPrompt.inject(proposals.outputs, into: question)).count
        #expect(proposals.promptTokens == questionTokens)
        #expect(aggregation.promptTokens == aggregatorTokens)
        #expect(aggregatorTokens > questionTokens + 100)   // the instruction alone is over 100 tokens
        #expect(evidence.largestAggregatorPrompt == aggregatorTokens)
        #expect(evidence.contextLimit == contextLength)
        #expect(aggregatorTokens + 32 <= contextLength)

        #expect(result.spend.modelCalls == 2)
        #expect(result.spend.samples == 5)
        #expect(result.spend.promptTokens == questionTokens + aggregatorTokens)
        #expect(result.spend.completionTokens > 0 && result.spend.completionTokens <= 5 * 32)
        #expect(result.spend.seconds > 0)
    }

    @Test func selfMoASeqFromASpecOnTheDefaultModel() async throws {
        let (context, provider, _) = try DefaultModel.context()
        let question = DefaultModel.question
        let strategy = try StrategySpec(parsing: "self-moa-seq:4,window=2").makeStrategy()
        let result = try await strategy.answer(question, using: context)
        guard case .synthesis(let evidence) = result.evidence else { Issue.record("expected synthesis evidence"); return }
        #expect(evidence.method == "self-moa-seq")
        #expect(evidence.layers.map(\.role) == ["proposals", "aggregation", "aggregation"])
        let samples = evidence.layers[0].calls[0].outputs
        let first = evidence.layers[1].calls[0]
        let second = evidence.layers[2].calls[0]
        #expect(samples.count == 4)
        #expect(first.references == Array(samples[0..<2]))
        // The running synthesis, twice, then the next two new samples.
        #expect(second.references == [first.outputs[0], first.outputs[0], samples[2], samples[3]])
        #expect(result.text == second.outputs[0])
        for call in [first, second] {
            let expected = await provider.promptTokens(for: MixtureOfAgentsPrompt.inject(call.references, into: question)).count
            #expect(call.promptTokens == expected)
        }
        #expect(evidence.largestAggregatorPrompt == max(first.promptTokens, second.promptTokens))
        // The bound that makes any n fit: the instruction and question, plus at most
        // window + repeats references of at most 32 generated tokens each (a few more for
        // the "\n3. " numbering and retokenisation at the seams).
        let base = await provider.promptTokens(for: MixtureOfAgentsPrompt.inject([], into: question)).count
        #expect(first.promptTokens <= base + 2 * (32 + 6))
        #expect(second.promptTokens <= base + 4 * (32 + 6))
        #expect(result.spend.modelCalls == 3)
        #expect(result.spend.samples == 6)
    }

    @Test func pairwiseJudgeKnockoutOnTheDefaultModel() async throws {
        let (context, provider, contextLength) = try DefaultModel.context()
        let question = DefaultModel.question
        let strategy = try StrategySpec(parsing: "best-of-n:4,score=pairwise").makeStrategy()
        let result = try await strategy.answer(question, using: context)
        guard case .bestOfN(let evidence) = result.evidence else { Issue.record("expected best-of-N evidence"); return }
        let comparisons = try #require(evidence.comparisons)
        // A knockout of 4: rounds (0, 1), (2, 3), then the two that advanced; each judged in both orders.
        #expect(comparisons.map(\.round) == [1, 1, 2])
        #expect(comparisons[0].candidates == [0, 1] && comparisons[1].candidates == [2, 3])
        #expect(comparisons[2].candidates == [comparisons[0].advanced!, comparisons[1].advanced!])
        #expect(evidence.chosen == comparisons[2].advanced)
        #expect(result.text == evidence.samples[evidence.chosen].text)
        // Each judge call's prompt is what the engine counts for the two samples in that order, within the context.
        for judgement in comparisons.flatMap(\.judgements) {
            let prompt = PairwiseJudgePrompt.prompt(question: question, first: evidence.samples[judgement.shownFirst].text,
                                                    second: evidence.samples[judgement.shownSecond].text)
            let expected = await provider.promptTokens(for: prompt).count
            #expect(judgement.promptTokens == expected && expected + 24 <= contextLength)
            #expect(judgement.completionTokens >= 1 && judgement.completionTokens <= 24)
            #expect(judgement.verdict == PairwiseJudgePrompt.parseVerdict(judgement.reply))
        }
        // Spend: the sampling call and six judge calls.
        #expect(result.spend.modelCalls == 7 && result.spend.samples == 4 + 6)
        let judgePrompts = comparisons.flatMap(\.judgements).reduce(0) { $0 + $1.promptTokens }
        let questionTokens = await provider.promptTokens(for: question).count
        #expect(result.spend.promptTokens == questionTokens + judgePrompts)
        #expect(result.spend.completionTokens == evidence.samples.reduce(0) { $0 + $1.completionTokens }
                + comparisons.flatMap(\.judgements).reduce(0) { $0 + $1.completionTokens })
    }

    @Test func moaWithTwoProposersOnTheDefaultModel() async throws {
        let (provider, _) = try DefaultModel.loaded.get()
        let second = try EmbeddedCompletionProvider(path: try TestPaths.defaultModel().path, modelName: "second-proposer", maxSamples: 1)
        let (context, _, _) = try DefaultModel.context(proposers: [provider, second])
        let result = try await MixtureOfAgents(layers: 3).answer(DefaultModel.question, using: context)
        guard case .synthesis(let evidence) = result.evidence else { Issue.record("expected synthesis evidence"); return }
        #expect(evidence.layers.map(\.calls.count) == [2, 2, 1])
        #expect(evidence.layers[0].calls.map(\.model) == [provider.modelName, "second-proposer"])
        let firstOutputs = evidence.layers[0].calls.flatMap(\.outputs)
        #expect(evidence.layers[1].calls.allSatisfy { $0.references == firstOutputs })
        #expect(evidence.layers[2].calls[0].references == evidence.layers[1].calls.flatMap(\.outputs))
        #expect(evidence.layers[2].calls[0].model == provider.modelName)
        #expect(result.spend.modelCalls == 5 && result.spend.samples == 5)
        #expect(result.text == evidence.layers[2].calls[0].outputs[0])
    }
}

/// Mixture-of-Agents with one model as two proposers at different temperatures, end to end.
@Suite(.serialized)
struct EmbeddedProposerTests {
    @Test func moaWithTheDefaultModelAtTwoTemperatures() async throws {
        let (provider, _) = try DefaultModel.loaded.get()
        let hot = OverridingProvider(provider, temperature: 1.2)
        let (context, _, contextLength) = try DefaultModel.context(proposers: [provider, hot])
        let result = try await MixtureOfAgents(layers: 2).answer(DefaultModel.question, using: context)
        guard case .synthesis(let evidence) = result.evidence else { Issue.record("expected synthesis evidence"); return }
        #expect(evidence.layers.map(\.calls.count) == [2, 1])
        #expect(evidence.layers[0].calls.map(\.model) == [provider.modelName, provider.modelName + "@temperature=1.2"])
        let aggregation = evidence.layers[1].calls[0]
        #expect(aggregation.references == evidence.layers[0].calls.flatMap(\.outputs))
        let expected = await provider.promptTokens(for: MixtureOfAgentsPrompt.inject(aggregation.references, into: DefaultModel.question)).count
        #expect(aggregation.promptTokens == expected && expected + 32 <= contextLength)
        #expect(result.spend.modelCalls == 3 && result.spend.samples == 3)
    }
}
