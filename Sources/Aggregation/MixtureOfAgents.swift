import Foundation
import ScalingCore

/// The Mixture-of-Agents aggregator prompt and how references enter a conversation.
///
/// Mirrors `togethercomputer/MoA` `utils.py::inject_references_to_messages` (METHODS.md §4):
/// the instruction below, then `\n1. {ref1}\n2. {ref2}…`, as a system message, appended
/// (after a blank line) to an existing first system message, else put first.
public enum MixtureOfAgentsPrompt {
    /// The MoA synthesis instruction, verbatim from the MoA reference code.
    public static let instruction = """
        You have been provided with a set of responses from various open-source models to the latest user query. \
        Your task is to synthesize these responses into a single, high-quality response. It is crucial to critically \
        evaluate the information provided in these responses, recognizing that some of it may be biased or incorrect. \
        Your response should not simply replicate the given answers but should offer a refined, accurate, and \
        comprehensive reply to the instruction. Ensure your response is well-structured, coherent, and adheres to the \
        highest standards of accuracy and reliability.

        Responses from models:
        """

    /// `prompt` with `references` injected. A `.text` prompt is treated as one user message.
    public static func inject(_ references: [String], into prompt: ProblemPrompt) -> ProblemPrompt {
        var system = instruction
        for (i, reference) in references.enumerated() { system += "\n\(i + 1). \(reference)" }
        var messages = self.messages(prompt)
        if let first = messages.first, first.role == "system" {
            messages[0].content += "\n\n" + system
        } else {
            messages.insert(ChatMessage(role: "system", content: system), at: 0)
        }
        return .messages(messages)
    }

    /// The prompt as chat messages (`.text` becomes one user message).
    static func messages(_ prompt: ProblemPrompt) -> [ChatMessage] {
        switch prompt {
        case .text(let text): [ChatMessage(role: "user", content: text)]
        case .messages(let messages): messages
        }
    }

    /// The text of the last user message (the question a judge or aggregator is shown).
    static func lastUserText(_ prompt: ProblemPrompt) -> String {
        let messages = messages(prompt)
        return messages.last(where: { $0.role == "user" })?.content ?? messages.last?.content ?? ""
    }
}

/// Runs aggregation calls: checks each prompt against the context window, records the layer.
struct Synthesizer {
    var ledger: CallLedger
    let context: StrategyContext
    let strategy: String
    var layers: [SynthesisLayer] = []
    var largestAggregatorPrompt = 0

    init(context: StrategyContext, strategy: String) {
        ledger = CallLedger(seed: context.seed)
        self.context = context
        self.strategy = strategy
    }

    /// `count` samples of the plain prompt from `provider`: a proposal call.
    mutating func propose(_ provider: any CompletionProvider, _ prompt: ProblemPrompt, count: Int,
                          step: String) async throws -> SynthesisCall {
        let completions = try await ledger.sample(provider, prompt, context.parameters, count: count, role: .proposal, step: step)
        return SynthesisCall(model: provider.modelName, references: [], promptTokens: completions.first?.promptTokens ?? 0,
                             outputs: completions.map { Self.trimmed($0.text) })
    }

    /// One sample of `prompt` with `references` injected, after checking that it fits the
    /// context with its generation budget.
    mutating func aggregate(_ provider: any CompletionProvider, _ prompt: ProblemPrompt, references: [String],
                            parameters: SamplingParameters, step: String) async throws -> SynthesisCall {
        let injected = MixtureOfAgentsPrompt.inject(references, into: prompt)
        try await context.contextWindow?.ensureFits(
            injected, maxTokens: parameters.maxTokens, step: step,
            hint: strategy == "self-moa-seq"
                ? "Use a smaller window or fewer max tokens."
                : "Use self-moa-seq with a window that fits, fewer samples, or fewer max tokens.")
        let completion = try await ledger.sample(provider, injected, parameters, count: 1, role: .aggregation, step: step)[0]
        largestAggregatorPrompt = max(largestAggregatorPrompt, completion.promptTokens)
        return SynthesisCall(model: provider.modelName, references: references, promptTokens: completion.promptTokens,
                             outputs: [Self.trimmed(completion.text)])
    }

    /// Outputs lose surrounding whitespace before they become references, as the MoA
    /// reference code strips every generation.
    static func trimmed(_ text: String) -> String {
        text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func result(method: String) -> StrategyResult {
        let final = layers.last?.calls.last?.outputs.last ?? ""
        return StrategyResult(
            text: final, extractedAnswer: context.grouping.answer(of: final),
            evidence: .synthesis(SynthesisEvidence(method: method, layers: layers, contextLimit: context.contextWindow?.limit,
                                                   largestAggregatorPrompt: largestAggregatorPrompt)),
            spend: ledger.finalSpend)
    }

    var aggregatorParameters: SamplingParameters { context.aggregatorParameters ?? context.parameters }
}

/// Mixture-of-Agents (Wang et al. 2024): `layers − 1` layers of proposers, then one aggregator.
///
/// Layer 1: every proposer answers the prompt. Layers 2…L−1: every proposer answers with all
/// responses of the layer before injected (`MixtureOfAgentsPrompt`). Layer L: the context's
/// provider aggregates the last layer's responses. Proposers are the context's `proposers`
/// (several backends or models), or the provider alone. With `layers = 2` and one proposer
/// this is one proposal and one synthesis. Every aggregator-style prompt is checked against
/// the context window (counted with the aggregator's tokenizer).
public struct MixtureOfAgents: Strategy {
    /// MoA proposes with every model in `StrategyContext.proposers`.
    public var usesProposerModels: Bool { true }
    public var layers: Int

    public init(layers: Int = 3) { self.layers = layers }

    public var specification: String { "moa:layers=\(layers)" }

    public func answer(_ prompt: ProblemPrompt, using context: StrategyContext) async throws -> StrategyResult {
        let proposers = context.proposers.isEmpty ? [context.provider] : context.proposers
        var synthesizer = Synthesizer(context: context, strategy: "moa")
        var previous: [String] = []
        for layer in 1..<layers {
            var calls: [SynthesisCall] = []
            for (j, proposer) in proposers.enumerated() {
                let step = "layer \(layer), proposer \(j) (\(proposer.modelName))"
                let call = layer == 1
                    ? try await synthesizer.propose(proposer, prompt, count: 1, step: step)
                    : try await synthesizer.aggregate(proposer, prompt, references: previous,
                                                      parameters: context.parameters, step: step)
                calls.append(call)
            }
            synthesizer.layers.append(SynthesisLayer(role: layer == 1 ? "proposals" : "aggregation", calls: calls))
            previous = calls.flatMap(\.outputs)
        }
        let final = try await synthesizer.aggregate(context.provider, prompt, references: previous,
                                                    parameters: synthesizer.aggregatorParameters,
                                                    step: "layer \(layers), aggregator")
        synthesizer.layers.append(SynthesisLayer(role: "aggregation", calls: [final]))
        return synthesizer.result(method: "moa")
    }
}

/// Self-MoA (Li et al. 2025): n samples of one model, then one aggregator call over all of them.
public struct SelfMixtureOfAgents: Strategy {
    public var samples: Int

    public init(samples: Int) { self.samples = samples }

    public var specification: String { "self-moa:\(samples)" }

    public var sampleCount: Int? { samples }
    public func withSampleCount(_ count: Int) -> any Strategy {
        var copy = self
        copy.samples = count
        return copy
    }

    public func answer(_ prompt: ProblemPrompt, using context: StrategyContext) async throws -> StrategyResult {
        var synthesizer = Synthesizer(context: context, strategy: "self-moa")
        let proposals = try await synthesizer.propose(context.provider, prompt, count: samples, step: "proposals")
        synthesizer.layers.append(SynthesisLayer(role: "proposals", calls: [proposals]))
        let final = try await synthesizer.aggregate(context.provider, prompt, references: proposals.outputs,
                                                    parameters: synthesizer.aggregatorParameters, step: "aggregation")
        synthesizer.layers.append(SynthesisLayer(role: "aggregation", calls: [final]))
        return synthesizer.result(method: "self-moa")
    }
}

/// Self-MoA-Seq (Li et al. 2025, Fig. 1): aggregate n samples through a sliding window.
///
/// The n proposals are drawn in one call. Step 1 aggregates the first `window` samples; each
/// later step aggregates the running synthesis, repeated `synthesisRepeats` times at the head
/// of the references, plus the next `window` new samples. The paper repeats the synthesis "to
/// bias the aggregator toward it" without giving a count; the default here is 2, and 1 gives
/// the plain sliding window. An aggregator prompt therefore holds at most
/// `window + synthesisRepeats` references of at most `maxTokens` tokens each, whatever n is,
/// so any n fits a context that fits one step. Calls: 1 + ⌈n / window⌉.
public struct SequentialSelfMixtureOfAgents: Strategy {
    public var samples: Int
    public var window: Int
    public var synthesisRepeats: Int

    public init(samples: Int, window: Int = 4, synthesisRepeats: Int = 2) {
        self.samples = samples
        self.window = window
        self.synthesisRepeats = synthesisRepeats
    }

    public var specification: String { "self-moa-seq:\(samples),window=\(window),repeats=\(synthesisRepeats)" }

    public var sampleCount: Int? { samples }
    public func withSampleCount(_ count: Int) -> any Strategy {
        var copy = self
        copy.samples = count
        return copy
    }

    public func answer(_ prompt: ProblemPrompt, using context: StrategyContext) async throws -> StrategyResult {
        var synthesizer = Synthesizer(context: context, strategy: "self-moa-seq")
        let proposals = try await synthesizer.propose(context.provider, prompt, count: samples, step: "proposals")
        synthesizer.layers.append(SynthesisLayer(role: "proposals", calls: [proposals]))
        var synthesis: String?
        var start = 0
        var step = 1
        while start < samples {
            let fresh = Array(proposals.outputs[start ..< min(start + window, samples)])
            let references = (synthesis.map { Array(repeating: $0, count: synthesisRepeats) } ?? []) + fresh
            let call = try await synthesizer.aggregate(
                context.provider, prompt, references: references, parameters: synthesizer.aggregatorParameters,
                step: "step \(step) (samples \(start)-\(start + fresh.count - 1))")
            synthesizer.layers.append(SynthesisLayer(role: "aggregation", calls: [call]))
            synthesis = call.outputs[0]
            start += fresh.count
            step += 1
        }
        return synthesizer.result(method: "self-moa-seq")
    }
}
