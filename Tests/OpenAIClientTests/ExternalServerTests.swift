import Engine
import Foundation
import ModelHub
import OpenAIClient
import ScalingCore
import TestSupport
import Testing

/// The client against real servers of the default model (SmolLM2-135M-Instruct Q4_1):
/// Quorum's own `quorum serve`, and (opt-in, slow to install) the independent
/// llama-cpp-python server.
@Suite(.serialized) struct ExternalServerTests {
    static let question = [ChatMessage(role: "user", content: "What is the capital of France? Answer in one sentence.")]

    static func provider(_ baseURL: String, model: String, concurrency: Int = 8, attempts: Int = 8,
                         seedMode: SeedMode = .batch) throws -> OpenAICompletionProvider {
        try OpenAICompletionProvider(OpenAIClientConfiguration(
            baseURLs: [baseURL], model: model, retry: RetryPolicy(maxAttempts: attempts, baseDelay: 0.05, maxDelay: 1),
            maxConcurrentRequests: concurrency, requestTimeout: 120, seedMode: seedMode))
    }

    /// `quorum serve` on the default model, two threads, with `options`, on a free port.
    static func quorumServe(_ options: [String]) async throws -> ServerProcess {
        _ = try TestPaths.defaultModel()
        let port = try await ServerProcess.freePort()
        return try await ServerProcess(
            executable: try TestPaths.quorumBinary(),
            arguments: ["serve", "--model", ModelCatalog.defaultModel.name, "--port", "\(port)", "--threads", "2"] + options,
            port: port)
    }

    @Test func quorumServeMatchesTheEmbeddedEngine() async throws {
        let model = try TestPaths.defaultModel()
        let server = try await Self.quorumServe(["--max-n", "8"])
        defer { server.stop() }
        let remote = try Self.provider(server.baseURL, model: ModelCatalog.defaultModel.name)
        let local = try EmbeddedCompletionProvider(path: model.path, threadCount: 2, maxSamples: 8)

        // Greedy, so the seeds do not matter and both sides must produce the same text. Six
        // tokens end by length, so both report the log-probabilities of the same tokens.
        let chat = CompletionRequest(prompt: .messages(Self.question),
                                     parameters: SamplingParameters(temperature: 0, maxTokens: 6, logprobs: 0), seeds: [1, 2, 3])
        let served = try await remote.complete(chat)
        let expected = try await local.complete(chat)
        #expect(served.count == 3)
        #expect(await remote.endpointStatuses().first?.supportsMultipleChoices == true, "quorum serve answers n > 1 natively")
        for (got, want) in zip(served, expected) {
            #expect(got.text == want.text)
            #expect(!got.text.isEmpty)
            #expect(got.finishReason == .length)
            #expect(got.promptTokens == want.promptTokens)
            #expect(got.completionTokens == want.completionTokens)
            let (gotSum, wantSum) = (try #require(got.logprobSum), try #require(want.logprobSum))
            #expect(abs(gotSum - wantSum) <= 1e-4 * max(1, abs(wantSum)))
        }

        // Ended by the model: same text, usage gives the same token counts, and the sequence
        // log-probability is the same sum on both sides (content tokens only: the server does
        // not report the end-of-text token, so the embedded engine leaves it out too).
        let whole = CompletionRequest(prompt: .messages(Self.question),
                                      parameters: SamplingParameters(temperature: 0, maxTokens: 48, logprobs: 0), seeds: [1, 2])
        let servedWhole = try await remote.complete(whole)
        let expectedWhole = try await local.complete(whole)
        #expect(servedWhole.map(\.text) == expectedWhole.map(\.text))
        #expect(expectedWhole.allSatisfy { $0.finishReason == .stop }, "the answer must end on the end-of-text token for this check")
        #expect(servedWhole.map(\.finishReason) == expectedWhole.map(\.finishReason))
        #expect(servedWhole.map(\.completionTokens) == expectedWhole.map(\.completionTokens))
        for (got, want) in zip(servedWhole, expectedWhole) {
            let (gotSum, wantSum) = (try #require(got.logprobSum), try #require(want.logprobSum))
            #expect(abs(gotSum - wantSum) <= 1e-4 * max(1, abs(wantSum)), "served \(gotSum), embedded \(wantSum)")
            let (gotMean, wantMean) = (try #require(got.meanLogprob), try #require(want.meanLogprob))
            #expect(abs(gotMean - wantMean) <= 1e-4 * max(1, abs(wantMean)), "mean: served \(gotMean), embedded \(wantMean)")
        }

        let text = CompletionRequest(prompt: .text("The three primary colours are"),
                                     parameters: SamplingParameters(temperature: 0, maxTokens: 16, stop: ["\n"]), seeds: [5])
        let servedText = try await remote.complete(text)
        let expectedText = try await local.complete(text)
        #expect(servedText.map(\.text) == expectedText.map(\.text))
        #expect(servedText.map(\.promptTokens) == expectedText.map(\.promptTokens))
        try await remote.shutdown()
    }

    /// The client streaming from `quorum serve`: per-chunk log-probabilities that add up to
    /// the whole response's, the same texts and token counts (from the usage chunk), chat and legacy.
    @Test func streamingFromQuorumServeMatchesTheWholeResponse() async throws {
        let server = try await Self.quorumServe(["--max-n", "4"])
        defer { server.stop() }
        let remote = try Self.provider(server.baseURL, model: ModelCatalog.defaultModel.name)
        let requests = [
            CompletionRequest(prompt: .messages(Self.question),
                              parameters: SamplingParameters(temperature: 0.9, maxTokens: 40, logprobs: 2), seeds: [31, 32, 33]),
            CompletionRequest(prompt: .text("The three primary colours are"),
                              parameters: SamplingParameters(temperature: 0.9, maxTokens: 24, logprobs: 1), seeds: [7]),
        ]
        for request in requests {
            let whole = try await remote.complete(request)
            let deltas = StreamingTests.Deltas()
            let streamed = try await remote.complete(request) { deltas.append($0) }
            #expect(streamed.count == request.seeds.count)
            for (index, (choice, want)) in zip(streamed, whole).enumerated() {
                let mine = deltas.all.filter { $0.sampleIndex == index }
                #expect(choice.completion.text == want.text)
                #expect(mine.map(\.text).joined() == want.text)
                #expect(choice.completion.finishReason == want.finishReason)
                #expect(choice.completion.completionTokens == want.completionTokens)
                #expect(choice.completion.promptTokens == want.promptTokens)
                let tokens = try #require(choice.tokenLogprobs)
                #expect(mine.flatMap(\.tokenLogprobs) == tokens, "without stop strings every token comes with the delta that shows it")
                #expect(!tokens.isEmpty && tokens.allSatisfy { $0.alternatives.count == request.parameters.logprobs })
                let (gotSum, wantSum) = (try #require(choice.completion.logprobSum), try #require(want.logprobSum))
                #expect(abs(gotSum - wantSum) <= 1e-9 * max(1, abs(wantSum)), "streamed \(gotSum), whole \(wantSum)")
            }
        }
        try await remote.shutdown()
    }

    @Test func quorumServeRateLimitsAndTheClientRetries() async throws {
        // One request at a time and no queue: the rest get 429 with Retry-After.
        let server = try await Self.quorumServe(["--max-concurrency", "1", "--max-queue", "0"])
        defer { server.stop() }
        // Each Retry-After round lets one request in, so the last may need six rounds or more.
        let remote = try Self.provider(server.baseURL, model: ModelCatalog.defaultModel.name, concurrency: 6, attempts: 30,
                                       seedMode: .perSample)
        let request = CompletionRequest(prompt: .messages(Self.question),
                                        parameters: SamplingParameters(temperature: 0.8, maxTokens: 24), seeds: Array(1 ... 6))
        let completions = try await remote.complete(request)
        #expect(completions.count == 6)
        #expect(completions.allSatisfy { $0.finishReason != .error && !$0.text.isEmpty }, "\(completions.compactMap(\.error))")
        let status = try #require(await remote.endpointStatuses().first)
        #expect(status.failures > 0, "six concurrent requests against one slot and no queue: some must have been refused and retried")
        try await remote.shutdown()
    }

    static let llamaCppPythonEnabled = ProcessInfo.processInfo.environment["QUORUM_TEST_LLAMA_CPP_PYTHON"] == "1"

    /// Opt-in (`QUORUM_TEST_LLAMA_CPP_PYTHON=1`): llama-cpp-python's server, an independent
    /// implementation, serving the same GGUF file. `QUORUM_LLAMA_CPP_PYTHON` names the
    /// Python that has `llama-cpp-python[server]` installed (default `python3`).
    @Test(.enabled(if: llamaCppPythonEnabled, "set QUORUM_TEST_LLAMA_CPP_PYTHON=1 (needs pip install 'llama-cpp-python[server]')"))
    func llamaCppPythonServer() async throws {
        let model = try TestPaths.defaultModel()
        let pythonName = ProcessInfo.processInfo.environment["QUORUM_LLAMA_CPP_PYTHON"] ?? "python3"
        guard let python = ServerProcess.onPath(pythonName) else {
            throw TestSupportError("No Python at '\(pythonName)'; set QUORUM_LLAMA_CPP_PYTHON to one with llama-cpp-python[server] installed.")
        }
        let port = try await ServerProcess.freePort()
        let server: ServerProcess
        do {
            server = try await ServerProcess(
                executable: python,
                arguments: ["-m", "llama_cpp.server", "--model", model.path, "--model_alias", "smollm2", "--host", "127.0.0.1",
                            "--port", "\(port)", "--n_ctx", "2048", "--n_threads", "2"],
                port: port, startupTimeout: 180)
        } catch {
            throw TestSupportError("The llama-cpp-python server did not start (pip install 'llama-cpp-python[server]' into \(python)): \(error)")
        }
        defer { server.stop() }
        let remote = try Self.provider(server.baseURL, model: "smollm2")
        let local = try EmbeddedCompletionProvider(path: model.path, threadCount: 2, maxSamples: 4)

        // Chat through the server's own rendering of the GGUF's chat template.
        let chat = try await remote.complete(CompletionRequest(prompt: .messages(Self.question),
                                                                parameters: SamplingParameters(temperature: 0, maxTokens: 24), seeds: [1]))
        let reply = try #require(chat.first)
        #expect(reply.finishReason != .error)
        #expect(reply.text.localizedCaseInsensitiveContains("paris"), "reply: \(reply.text)")
        #expect(reply.completionTokens > 0)

        // Completions: the same prompt tokenised by llama.cpp and by Quorum's tokenizer.
        let prompt = ProblemPrompt.text("The three primary colours are")
        let text = try await remote.complete(CompletionRequest(prompt: prompt,
                                                                parameters: SamplingParameters(temperature: 0, maxTokens: 12), seeds: [1]))
        #expect(text.first?.promptTokens == (await local.promptTokens(for: prompt)).count)
        #expect(text.first.map { !$0.text.isEmpty } == true)

        // n > 1: this server answers with one choice; the client notices and fills in.
        let sampled = try await remote.complete(CompletionRequest(prompt: .messages(Self.question),
                                                                   parameters: SamplingParameters(temperature: 0.9, maxTokens: 16), seeds: [11, 12, 13]))
        #expect(sampled.count == 3)
        #expect(sampled.allSatisfy { $0.finishReason != .error && !$0.text.isEmpty }, "\(sampled.compactMap(\.error))")
        #expect(await remote.endpointStatuses().first?.supportsMultipleChoices == false)
        try await remote.shutdown()
    }
}
