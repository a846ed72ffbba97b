import Aggregation
import Foundation
import ScalingCore
import TestSupport
import Testing

/// The calls Mixture-of-Agents strategies make, checked on a scripted provider.
struct MixtureOfAgentsTests {
    /// The aggregator instruction as METHODS.md §4 quotes it from the MoA reference code.
    static func instructionFromMethods() throws -> String {
        let text = try String(contentsOf: TestPaths.sharedDocument("METHODS.md"), encoding: .utf8)
        // The quote: consecutive "> " lines after "Aggregator prompt".
        let lines = text.components(separatedBy: "\n")
        guard let start = lines.firstIndex(where: { $0.hasPrefix("> You have been provided") }) else {
            throw TestSupportError("METHODS.md no longer quotes the MoA prompt.")
        }
        let quote = lines[start...].prefix { $0.hasPrefix(">") }.map { $0 == ">" ? "" : String($0.dropFirst(2)) }
        return quote.joined(separator: "\n")
    }

    @Test func instructionIsTheMoAPromptVerbatim() throws {
        #expect(MixtureOfAgentsPrompt.instruction == (try Self.instructionFromMethods()))
    }

    @Test func referencesAreNumberedInASystemMessage() {
        let plain = MixtureOfAgentsPrompt.inject(["alpha", "beta"], into: .text("Why?"))
        #expect(plain == .messages([
            ChatMessage(role: "system", content: MixtureOfAgentsPrompt.instruction + "\n1. alpha\n2. beta"),
            ChatMessage(role: "user", content: "Why?"),
        ]))
        // An existing system message keeps its text; the references follow a blank line.
        let withSystem = MixtureOfAgentsPrompt.inject(["x"], into: .messages([
            ChatMessage(role: "system", content: "Be brief."), ChatMessage(role: "user", content: "Why?"),
        ]))
        #expect(withSystem.systemMessage == "Be brief.\n\n" + MixtureOfAgentsPrompt.instruction + "\n1. x")
    }

    @Test func selfMoADrawsNSamplesThenOneAggregation() async throws {
        let provider = ScriptedProvider(samples: ["a", "b", "c"])
        let context = StrategyContext(provider: provider, aggregatorParameters: SamplingParameters(temperature: 0, maxTokens: 7), seed: 5)
        let result = try await SelfMixtureOfAgents(samples: 3).answer(.text("Q"), using: context)
        let requests = await provider.requests
        #expect(requests.count == 2)
        #expect(requests[0].seeds == [5, 6, 7] && requests[0].prompt == .text("Q"))
        #expect(requests[1].seeds == [8])
        #expect(requests[1].parameters.maxTokens == 7)
        #expect(requests[1].prompt.systemMessage == MixtureOfAgentsPrompt.instruction + "\n1. a\n2. b\n3. c")
        #expect(result.text == "synthesis 1")
        guard case .synthesis(let evidence) = result.evidence else { Issue.record("expected synthesis evidence"); return }
        #expect(evidence.layers.map(\.role) == ["proposals", "aggregation"])
        #expect(evidence.layers[0].calls[0].outputs == ["a", "b", "c"])
        #expect(evidence.layers[1].calls[0].references == ["a", "b", "c"])
        #expect(result.spend.modelCalls == 2 && result.spend.samples == 4 && result.spend.promptTokens == 20)
    }

    @Test func selfMoASeqSlidesAWindowAndRepeatsTheSynthesis() async throws {
        let provider = ScriptedProvider(samples: ["s0", "s1", "s2", "s3", "s4"])
        let strategy = SequentialSelfMixtureOfAgents(samples: 5, window: 2, synthesisRepeats: 2)
        let result = try await strategy.answer(.text("Q"), using: StrategyContext(provider: provider))
        let requests = await provider.requests
        // Proposals, then ⌈5/2⌉ = 3 steps.
        #expect(requests.count == 4)
        #expect(requests.map(\.seeds.count) == [5, 1, 1, 1])
        let header = MixtureOfAgentsPrompt.instruction
        #expect(requests[1].prompt.systemMessage == header + "\n1. s0\n2. s1")
        #expect(requests[2].prompt.systemMessage == header + "\n1. synthesis 1\n2. synthesis 1\n3. s2\n4. s3")
        #expect(requests[3].prompt.systemMessage == header + "\n1. synthesis 2\n2. synthesis 2\n3. s4")
        #expect(result.text == "synthesis 3")
        guard case .synthesis(let evidence) = result.evidence else { Issue.record("expected synthesis evidence"); return }
        #expect(evidence.method == "self-moa-seq")
        #expect(evidence.layers.map { $0.calls[0].references.count } == [0, 2, 4, 3])
    }

    @Test func moaRunsProposerLayersThenTheAggregator() async throws {
        let first = ScriptedProvider(modelName: "first") { request, index in [("first-\(index)", nil)] }
        let second = ScriptedProvider(modelName: "second") { request, index in [("second-\(index)", nil)] }
        let aggregator = ScriptedProvider(modelName: "aggregator") { _, _ in [("final", nil)] }
        let context = StrategyContext(provider: aggregator, proposers: [first, second])
        let result = try await MixtureOfAgents(layers: 3).answer(.text("Q"), using: context)
        let (a, b, c) = (await first.requests, await second.requests, await aggregator.requests)
        #expect(a.count == 2 && b.count == 2 && c.count == 1)
        #expect(a[0].prompt == .text("Q") && b[0].prompt == .text("Q"))
        let header = MixtureOfAgentsPrompt.instruction
        #expect(a[1].prompt.systemMessage == header + "\n1. first-0\n2. second-0")
        #expect(b[1].prompt.systemMessage == header + "\n1. first-0\n2. second-0")
        #expect(c[0].prompt.systemMessage == header + "\n1. first-1\n2. second-1")
        #expect(result.text == "final")
        guard case .synthesis(let evidence) = result.evidence else { Issue.record("expected synthesis evidence"); return }
        #expect(evidence.layers.map(\.calls.count) == [2, 2, 1])
        #expect(evidence.layers[2].calls[0].model == "aggregator")
        #expect(result.spend.modelCalls == 5)
        // Seeds are handed out in call order, none reused.
        #expect(Set((a + b + c).flatMap(\.seeds)).count == 5)
    }

    @Test func anAggregatorPromptThatOverflowsTheContextIsRefusedBeforeTheCall() async {
        let provider = ScriptedProvider(samples: ["a", "b"])
        let window = ContextWindow(limit: 100) { prompt in prompt.systemMessage == nil ? 10 : 80 }
        let context = StrategyContext(provider: provider, parameters: SamplingParameters(maxTokens: 32), contextWindow: window)
        await #expect {
            try await SelfMixtureOfAgents(samples: 2).answer(.text("Q"), using: context)
        } throws: { error in
            guard case AggregationError.contextOverflow(_, 80, 32, 100, let hint) = error else { return false }
            return hint.contains("self-moa-seq")
        }
        #expect(await provider.requests.count == 1)   // the proposals only
    }
}
