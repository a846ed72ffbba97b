import ArgumentParser
import Engine
import Foundation
import ModelHub
import OpenAIClient
import ScalingCore
import Tokenizers

/// `quorum generate`: sample completions from a local GGUF model.
public struct GenerateCommand: AsyncParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate text with the embedded engine; n > 1 samples decode together as one batch.",
        discussion: """
            With -n 1 the text streams to stdout as it is produced; with -n N the N samples \
            are printed when done. Token counts and timings go to stderr.
            """)

    @Option(help: "Model name in the cache or a path to a .gguf file.")
    var model: String = ModelCatalog.defaultModel.name

    @Option(help: "The user message (or, with --raw, the whole prompt).")
    var prompt: String?

    @Option(help: "A JSON file of chat messages: [{\"role\": \"user\", \"content\": \"...\"}, ...] or {\"messages\": [...]}.")
    var messages: String?

    @Flag(help: "Send --prompt as is, without the chat template.")
    var raw = false

    @Option(name: .shortAndLong, help: "Number of samples.")
    var n: Int = 1

    @Option(help: "Seed of sample 0; sample i uses seed + i.")
    var seed: UInt64 = 0

    @OptionGroup(title: "Sampling") var sampling: SamplingOptions

    @Option(help: "Worker threads (default: all processors).")
    var threads: Int?

    @OptionGroup(title: "OpenAI-compatible servers") var backendOptions: BackendOptions

    public func validate() throws {
        guard (prompt == nil) != (messages == nil) else {
            throw ValidationError("Give exactly one of --prompt and --messages.")
        }
        if raw && messages != nil { throw ValidationError("--raw applies to --prompt only.") }
        guard n >= 1 && n <= 256 else { throw ValidationError("-n must be 1 to 256.") }
        do { try ThreadCount.validate(threads) } catch { throw ValidationError(error.description) }
        do { try parameters.validate() } catch { throw ValidationError(error.description) }
    }

    /// How the command samples (the same options and defaults as every sampling command).
    public var samplingParameters: SamplingParameters { sampling.parameters }

    /// The engine's resolved form of the sampling options (its one conversion point).
    var parameters: GenerationOptions { GenerationOptions(sampling.parameters, seed: seed) }

    public func run() async throws {
        if let openAI = try backendOptions.openAIConfiguration(model: model) {
            try await generateRemotely(openAI)
            return
        }
        let path = try ModelCache().resolve(model).path
        let loadStart = Date()
        let engine = try InferenceEngine(path: path, threadCount: threads, maxSamples: max(n, 1))
        guard let tokenizer = engine.tokenizer else { throw ValidationError("The model has no tokenizer.") }
        let text: String
        if raw, let prompt {
            text = prompt
        } else {
            let chat = try prompt.map { [ChatMessage(role: "user", content: $0)] } ?? MessagesFile.load(messages!)
            let rendered = tokenizer.renderChat(chat)
            if let note = rendered.usedFallback { printError("Chat template: \(note)") }
            text = rendered.text
        }
        let tokens = tokenizer.encode(text)
        printError("Loaded \(URL(fileURLWithPath: path).lastPathComponent) in \(String(format: "%.2f", Date().timeIntervalSince(loadStart))) s; prompt \(tokens.count) tokens.")

        let output = try engine.generate(promptTokens: tokens, parameters: parameters, count: n) { event in
            if n == 1, !event.text.isEmpty {
                FileHandle.standardOutput.write(Data(event.text.utf8))
            }
        }
        if n == 1 {
            print()
        } else {
            for sample in output.samples {
                print("--- sample \(sample.index) (seed \(seed &+ UInt64(sample.index)), \(sample.tokens.count) tokens, \(sample.finishReason.rawValue)) ---")
                print(sample.text ?? "")
            }
        }
        let t = output.timings
        printError(String(format: "prompt: %d tokens in %.3f s (%.1f tok/s); generated: %d tokens over %d samples in %.3f s (%.1f tok/s, %d steps)",
                          t.promptTokenCount, t.promptSeconds, t.promptTokensPerSecond, t.generatedTokenCount,
                          output.samples.count, t.decodeSeconds, t.decodeTokensPerSecond, t.decodeSteps))
    }
}

extension GenerateCommand {
    /// Samples from OpenAI-compatible servers: `--raw` prompts go to /completions, the
    /// rest to /chat/completions (the server applies its chat template). Not streamed.
    func generateRemotely(_ configuration: OpenAIClientConfiguration) async throws {
        let prompt: ProblemPrompt
        if raw, let text = self.prompt {
            prompt = .text(text)
        } else {
            prompt = .messages(try self.prompt.map { [ChatMessage(role: "user", content: $0)] } ?? MessagesFile.load(messages!))
        }
        let provider = try OpenAICompletionProvider(configuration)
        let parameters = sampling.parameters
        let seeds = (0 ..< n).map { seed &+ UInt64($0) }
        let completions = try await provider.complete(CompletionRequest(prompt: prompt, parameters: parameters, seeds: seeds))
        try await provider.shutdown()
        for (index, completion) in completions.enumerated() {
            if n > 1 {
                print("--- sample \(index) (\(completion.completionTokens) tokens, \(completion.finishReason.rawValue)) ---")
            }
            print(completion.error.map { "error: \($0)" } ?? completion.text)
        }
        let generated = completions.reduce(0) { $0 + $1.completionTokens }
        printError("\(configuration.model) at \(configuration.baseURLs.joined(separator: ", ")): prompt \(completions.first?.promptTokens ?? 0) tokens; generated \(generated) tokens over \(completions.count) samples (server usage).")
    }
}

/// A `--messages` file: `[{"role", "content"}, ...]` or `{"messages": [...]}`.
enum MessagesFile {
    private struct Message: Decodable {
        let role: String
        let content: String
    }
    private struct Wrapped: Decodable { let messages: [Message] }

    static func load(_ path: String) throws -> [ChatMessage] {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ValidationError("Cannot read \(path): \(error.localizedDescription)")
        }
        let messages: [Message]
        if let list = try? JSONDecoder().decode([Message].self, from: data) {
            messages = list
        } else {
            do { messages = try JSONDecoder().decode(Wrapped.self, from: data).messages } catch {
                throw ValidationError("\(path) is not a JSON list of {\"role\", \"content\"} messages (or {\"messages\": [...]}): \(error)")
            }
        }
        return messages.map { ChatMessage(role: $0.role, content: $0.content) }
    }
}
