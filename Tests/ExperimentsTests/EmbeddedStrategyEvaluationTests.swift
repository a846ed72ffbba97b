import Aggregation
import Datasets
import Engine
import Experiments
import Foundation
import GGUF
import RunStore
import ScalingCore
import TestSupport
import Testing
import Verifiers

/// Strategies evaluated over a real run: the default model samples two GSM8K problems, then
/// Self-MoA-Seq aggregates the stored samples with new calls on the same model. Checks the
/// calls made and recorded, the context sizes and the evidence, not the answers' quality.
struct EmbeddedStrategyEvaluationTests {
    @Test func selfMoASeqOverARunOfTheDefaultModel() async throws {
        let modelPath = try TestPaths.defaultModel().path
        let provider = try EmbeddedCompletionProvider(path: modelPath, modelName: "smollm2-135m-instruct", maxSamples: 4)
        let file = try GGUFFile(path: modelPath)
        let contextLength = try file.int("\(file.architecture ?? "llama").context_length")
        let problems = Array(try Dataset.load(path: TestPaths.sharedDataFile("gsm8k/test.jsonl").path).problems.prefix(2))
        let store = try RunStore(path: FileManager.default.temporaryDirectory.appendingPathComponent("quorum-embedded-strategy-\(UUID().uuidString).sqlite").path)
        let configuration = RunConfiguration(
            dataset: "gsm8k-slice", datasetSHA256: "-", model: provider.modelName, modelSHA256: nil, backend: "embedded",
            promptTemplate: PromptTemplate.gsm8kChat.name, promptTemplateSHA256: PromptTemplate.gsm8kChat.sha256,
            sampling: SamplingParameters(temperature: 0.7, maxTokens: 24, logprobs: 0), seed: 1, verifier: .math)
        let run = try await SamplingRun(configuration: configuration, problems: problems, samplesPerProblem: 4, template: .gsm8kChat,
                                        samplesPerRequest: 4).run(store: store, provider: provider, verifier: MathVerifier())
        #expect(run.produced == 8)

        let window = ContextWindow(limit: contextLength) { await provider.promptTokens(for: $0).count }
        let evaluation = StrategyEvaluation(specifications: [try StrategySpec(parsing: "self-moa-seq:4,window=2")])
        let outcome = try await evaluation.run(runID: run.runID, store: store, problems: problems, template: .gsm8kChat,
                                               provider: provider, verifier: MathVerifier(), contextWindow: window)
        // k = 1, 2, 4: 1 + 1 + 2 aggregator calls per problem; the proposals are the stored samples.
        #expect(outcome.newAnswers == 6 && outcome.newCalls == 8)
        let calls = try store.strategyCalls(runID: run.runID, strategy: "self-moa-seq:4,window=2")
        #expect(calls.count == 8 && calls.allSatisfy { $0.model == provider.modelName && $0.completions.count == 1 })
        let samples = try store.samples(runID: run.runID)
        for row in try store.strategyOutcomes(runID: run.runID, strategy: "self-moa-seq:4,window=2") {
            let evidence = try JSONDecoder().decode(Evidence.self, from: Data(try #require(row.evidence).utf8))
            guard case .synthesis(let synthesis) = evidence else { Issue.record("expected synthesis evidence"); continue }
            let stored = samples.filter { $0.problemID == row.problemID }.map { $0.completion.text.trimmingCharacters(in: .whitespacesAndNewlines) }
            let proposals = synthesis.layers[0].calls[0].outputs
            #expect(proposals.count == row.budget && proposals.allSatisfy(stored.contains))
            #expect(synthesis.layers.count == 1 + (row.budget + 1) / 2)
            // Every aggregator prompt is what the engine counts for the injected references, within the context.
            let prompt = PromptTemplate.gsm8kChat.render(problems.first { $0.id == row.problemID }!)
            for layer in synthesis.layers.dropFirst() {
                let call = layer.calls[0]
                let expected = await provider.promptTokens(for: MixtureOfAgentsPrompt.inject(call.references, into: prompt)).count
                #expect(call.promptTokens == expected && expected + 24 <= contextLength)
                #expect(call.references.count <= 2 + 2)   // window plus the repeated synthesis
            }
            #expect(synthesis.largestAggregatorPrompt <= contextLength)
        }
        // A second evaluation replays nothing and calls nothing: every answer is stored.
        let again = try await evaluation.run(runID: run.runID, store: store, problems: problems, template: .gsm8kChat,
                                             provider: provider, verifier: MathVerifier(), contextWindow: window)
        #expect(again.newCalls == 0 && again.storedAnswers == 6)
    }
}
