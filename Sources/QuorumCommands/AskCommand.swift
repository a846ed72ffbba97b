import Aggregation
import ArgumentParser
import Engine
import Foundation
import GGUF
import ModelHub
import OpenAIClient
import QuorumKit
import ScalingCore
import Verifiers

/// `quorum ask`: answer one question with a strategy and show the evidence and the spend.
public struct AskCommand: AsyncParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "ask",
        abstract: "Answer one question with an inference-time strategy (vote, best-of-N, Mixture-of-Agents).",
        discussion: """
            Strategies (--strategy NAME[:PARAMS]; a bare number in PARAMS is n):
            \(StrategySpec.catalog.map { "  \($0.name)\($0.parameters.isEmpty ? "" : ":" + $0.parameters)  \($0.summary)" }.joined(separator: "\n"))
            Stopping rules of adaptive (adaptive:RULE,max=N,...):
            \(StrategySpec.stoppingRules.map { "  \($0.name)\($0.parameters.isEmpty ? "" : " " + $0.parameters)  \($0.summary)" }.joined(separator: "\n"))
            The answer goes to stdout, then the evidence and the spend (or, with --json, one JSON object).
            """)

    @Argument(help: "The question (sent as one user message through the model's chat template).")
    var question: String

    @Option(help: "Model name in the cache or a path to a .gguf file (proposer, aggregator and judge).")
    var model: String = ModelCatalog.defaultModel.name

    @Option(help: "The strategy, e.g. self-consistency:16, best-of-n:8,score=judge, self-moa-seq:16,window=4.")
    var strategy: String = "self-consistency"

    @Option(name: .shortAndLong, help: "Samples, when the strategy spec gives none.")
    var n: Int = 8

    @OptionGroup(title: "Sampling (proposals; aggregator and judge calls take the same limits)") var sampling: SamplingOptions

    @Option(help: "Seed of the first sample; later samples and calls take the next seeds.")
    var seed: UInt64 = 0

    @Option(name: .customLong("proposer"), parsing: .singleValue,
            help: "A proposer model for moa (repeatable); default: --model alone.")
    var proposers: [String] = []

    @Option(help: "How votes group answers: math, extracted or text.")
    var group: String = "math"

    @Option(help: "A reference answer: best-of-n with score=verifier picks the first sample the math verifier accepts.")
    var reference: String?

    @Option(help: "Worker threads (default: all processors).")
    var threads: Int?

    @Flag(help: "Print the whole result (answer, evidence, spend) as JSON.")
    var json = false

    @OptionGroup(title: "OpenAI-compatible servers") var backendOptions: BackendOptions

    public func validate() throws {
        do { try ThreadCount.validate(threads) } catch { throw ValidationError(error.description) }
        guard n >= 1 && n <= 256 else { throw ValidationError("-n must be 1 to 256.") }
        guard AnswerGrouping(rawValue: group) != nil else {
            throw ValidationError("--group must be one of: \(AnswerGrouping.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        do { _ = try StrategySpec(parsing: strategy).makeStrategy(defaultSamples: n) } catch {
            throw ValidationError(error.description)
        }
    }

    /// How the command samples proposals (the same options and defaults as every sampling command).
    public var samplingParameters: SamplingParameters { sampling.parameters }

    public func run() async throws {
        let result = try await answer()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
            return
        }
        print(result.text)
        print()
        if let answer = result.extractedAnswer { print("extracted answer: \(answer)") }
        print(result.summary())
    }

    /// The strategy's answer to the question, with its evidence and spend (what `--json` prints).
    public func answer() async throws -> StrategyResult {
        let strategy = try StrategySpec(parsing: strategy).makeStrategy(defaultSamples: n)
        if let openAI = try backendOptions.openAIConfiguration(model: model) {
            // Proposers are served models too: NAME@URL, or NAME on the same base URLs.
            let proposerProviders: [any CompletionProvider] = try proposers.map { name in
                var configuration = try backendOptions.openAIConfiguration(model: name) ?? openAI
                if OpenAIClientConfiguration.splitModelURL(name) == nil { configuration.model = name }
                return try OpenAICompletionProvider(configuration)
            }
            return try await answer(with: strategy, provider: try OpenAICompletionProvider(openAI), proposers: proposerProviders,
                                    contextWindow: nil, note: "served by \(openAI.baseURLs.joined(separator: ", "))")
        }
        let backend = try ModelBackend.embedded(model, threads: threads, batchWidth: min(n, 64), hashFile: false)
        let proposerProviders: [any CompletionProvider] = try proposers.map { name in
            try ModelBackend.embedded(name, threads: threads, batchWidth: 1, hashFile: false).provider
        }
        return try await answer(with: strategy, provider: backend.provider, proposers: proposerProviders,
                                contextWindow: backend.contextWindow, note: "context \(backend.contextWindow?.limit ?? 0) tokens")
    }

    private func answer(with strategy: any Strategy, provider: any CompletionProvider, proposers proposerProviders: [any CompletionProvider],
                        contextWindow: ContextWindow?, note: String) async throws -> StrategyResult {
        let prompt = ProblemPrompt.messages([ChatMessage(role: "user", content: question)])
        let context = StrategyContext(
            provider: provider, proposers: proposerProviders,
            parameters: sampling.parameters, seed: seed,
            grouping: AnswerGrouping(rawValue: group) ?? .math,
            verifier: reference == nil ? nil : MathVerifier(),
            problem: reference.map { Problem(id: "ask", prompt: prompt, reference: ProblemReference(answer: $0)) },
            contextWindow: contextWindow)
        printError("Strategy \(strategy.specification) on \(provider.modelName) (\(note)).")
        return try await strategy.answer(prompt, using: context)
    }
}
