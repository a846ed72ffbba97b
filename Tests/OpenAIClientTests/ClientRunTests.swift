import Experiments
import Foundation
import OpenAIClient
import RunStore
import ScalingCore
import Testing
import Verifiers

/// The client inside a real run: a request that finally fails is recorded as failed (never
/// dropped) and a resumed run retries it; the API key reaches the server and nothing else.
struct ClientRunTests {
    static let problems = (0 ..< 3).map { i in
        Problem(id: "p\(i)", prompt: .text("Question \(i): what is \(i) + \(i)?"), reference: ProblemReference(answer: "\(2 * i)"))
    }

    static func configuration() -> RunConfiguration {
        RunConfiguration(dataset: "client-test", datasetSHA256: "0", model: "fake-model", modelSHA256: nil, backend: "openai",
                         promptTemplate: PromptTemplate.gsm8kChat.name, promptTemplateSHA256: PromptTemplate.gsm8kChat.sha256,
                         sampling: SamplingParameters(temperature: 0.7, maxTokens: 16), seed: 7, verifier: .math)
    }

    static func temporaryStorePath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("quorum-client-\(UUID().uuidString).sqlite").path
    }

    /// Answers "The answer is 2i" for question i, or 500 for question 1 while `failing` is set.
    static func handler(failing: Flag) -> FakeOpenAIServer.Handler {
        { request, _ in
            let prompt = request.promptText
            guard let i = (0 ..< 3).first(where: { prompt.contains("Question \($0):") }) else { return .error(400, "unknown question") }
            if i == 1 && failing.isSet { return .error(500, "CUDA out of memory") }
            return FakeResponses.chat((0 ..< request.n).map { _ in "The answer is \(2 * i)." }, usage: (prompt: 40, completion: 5 * request.n))
        }
    }

    @Test func permanentFailuresAreRecordedAndRetriedOnResume() async throws {
        let failing = Flag(true)
        try await ClientTestSupport.withServer(Self.handler(failing: failing)) { server in
            let provider = try ClientTestSupport.provider([server.baseURL], attempts: 2)
            let store = try RunStore(path: Self.temporaryStorePath())
            let plan = SamplingRun(configuration: Self.configuration(), problems: Self.problems, samplesPerProblem: 4,
                                   template: .gsm8kChat, samplesPerRequest: 4)
            let first = try await plan.run(store: store, provider: provider, verifier: MathVerifier())
            #expect(first.produced == 8)
            #expect(first.failed == 4)
            let failures = try store.failedRequests(runID: first.runID)
            #expect(failures.map(\.problemID) == ["p1", "p1", "p1", "p1"])
            #expect(failures.map(\.sampleIndex) == [0, 1, 2, 3])
            #expect(failures.allSatisfy { $0.error.contains("CUDA out of memory") && $0.error.contains("gave up after 2 attempts") })

            failing.isSet = false
            let before = server.requests.count
            let second = try await plan.run(store: store, provider: provider, verifier: MathVerifier())
            #expect(second.runID == first.runID)
            #expect(second.produced == 4)
            #expect(second.alreadyStored == 8)
            #expect(second.failed == 0)
            #expect(try store.failedRequests(runID: first.runID).isEmpty)
            // The resumed run asked only for the failed problem.
            #expect(server.requests.dropFirst(before).allSatisfy { $0.promptText.contains("Question 1:") })
            let samples = try store.samples(runID: first.runID)
            #expect(samples.count == 12)
            #expect(samples.allSatisfy { $0.verdict.isCorrect })
            try await provider.shutdown()
        }
    }

    @Test func theKeyGoesAsBearerAndNowhereElse() async throws {
        let key = "sk-quorum-test-\(UUID().uuidString)"
        try await ClientTestSupport.withServer({ request, _ in
            guard request.headers["authorization"] == "Bearer \(key)" else { return .error(401, "Incorrect API key provided") }
            return FakeResponses.chat((0 ..< request.n).map { _ in "The answer is 0." }, usage: (prompt: 40, completion: 5))
        }) { server in
            let provider = try ClientTestSupport.provider([server.baseURL], key: OpenAIAPIKey(key))
            let path = Self.temporaryStorePath()
            let store = try RunStore(path: path)
            let configuration = Self.configuration()
            let plan = SamplingRun(configuration: configuration, problems: [Self.problems[0]], samplesPerProblem: 2, template: .gsm8kChat)
            let outcome = try await plan.run(store: store, provider: provider, verifier: MathVerifier())
            #expect(outcome.produced == 2)
            #expect(server.requests.allSatisfy { $0.headers["authorization"] == "Bearer \(key)" })
            #expect(!configuration.canonicalJSON.contains(key))
            for file in [path, path + "-wal", path + "-journal"] where FileManager.default.fileExists(atPath: file) {
                let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
                #expect(bytes.range(of: Data(key.utf8)) == nil, "\(file) holds the API key")
            }
            try await provider.shutdown()
        }
    }

    @Test func aServerThatEchoesTheKeyHasItRedacted() async throws {
        let key = "sk-echo-\(UUID().uuidString)"
        try await ClientTestSupport.withServer({ _, _ in .error(401, "Incorrect API key provided: \(key).") }) { server in
            let provider = try ClientTestSupport.provider([server.baseURL], key: OpenAIAPIKey(key))
            await #expect {
                _ = try await provider.complete(ClientTestSupport.chatRequest(seeds: [1]))
            } throws: { error in
                let text = "\(error)"
                return !text.contains(key) && text.contains("<redacted>") && text.contains("--api-key")
            }
            #expect("\(OpenAIAPIKey(key))" == "<redacted>")
            try await provider.shutdown()
        }
    }

    @Test func keysComeFromTheEnvironmentOrAFile() throws {
        #expect(OpenAIAPIKey.fromEnvironment("QUORUM_TEST_KEY", environment: ["QUORUM_TEST_KEY": " sk-abc \n"])?.value == "sk-abc")
        #expect(OpenAIAPIKey.fromEnvironment("QUORUM_TEST_KEY", environment: [:]) == nil)
        #expect(throws: OpenAIClientError.missingAPIKey(variable: "QUORUM_TEST_KEY")) {
            try OpenAIAPIKey.requiredFromEnvironment("QUORUM_TEST_KEY", environment: ["QUORUM_TEST_KEY": ""])
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-key-\(UUID().uuidString)")
        try "sk-from-file\n".write(to: file, atomically: true, encoding: .utf8)
        #expect(try OpenAIAPIKey.fromFile(file.path).value == "sk-from-file")
        try FileManager.default.removeItem(at: file)
        #expect(throws: OpenAIClientError.self) { try OpenAIAPIKey.fromFile(file.path) }
    }
}
