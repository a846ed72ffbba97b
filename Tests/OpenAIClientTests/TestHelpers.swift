import Foundation
import OpenAIClient
import ScalingCore

/// Shared set-up for the client tests: a provider with short backoffs, and a server that
/// is shut down when the test body ends.
enum ClientTestSupport {
    /// A provider for `urls` with millisecond backoffs (the policy's shape is unchanged).
    static func provider(_ urls: [String], key: OpenAIAPIKey? = nil, attempts: Int = 4, concurrency: Int = 8,
                         timeout: Double = 30, coolOff: Double = 30, seedMode: SeedMode = .batch) throws -> OpenAICompletionProvider {
        try OpenAICompletionProvider(OpenAIClientConfiguration(
            baseURLs: urls, model: "fake-model", apiKey: key,
            retry: RetryPolicy(maxAttempts: attempts, baseDelay: 0.01, maxDelay: 0.05),
            maxConcurrentRequests: concurrency, requestTimeout: timeout, coolOffSeconds: coolOff, seedMode: seedMode))
    }

    /// Runs `body` with a fake server, shutting it down afterwards even when `body` throws.
    static func withServer<T>(_ handler: @escaping FakeOpenAIServer.Handler,
                              _ body: (FakeOpenAIServer) async throws -> T) async throws -> T {
        let server = try await FakeOpenAIServer(handler: handler)
        do {
            let result = try await body(server)
            try await server.shutdown()
            return result
        } catch {
            try? await server.shutdown()
            throw error
        }
    }

    static func chatRequest(seeds: [UInt64], logprobs: Int? = nil) -> CompletionRequest {
        CompletionRequest(prompt: .messages([ChatMessage(role: "user", content: "What is 2 + 2?")]),
                          parameters: SamplingParameters(temperature: 0.7, maxTokens: 32, logprobs: logprobs), seeds: seeds)
    }

    /// A server answer that names the seed it was asked with: `seed S, choice I`.
    static func echoSeed(_ request: FakeOpenAIServer.Request, choices: Int) -> FakeOpenAIServer.Reply {
        FakeResponses.chat((0 ..< choices).map { "seed \(request.seed ?? -1), choice \($0)" }, usage: (prompt: 12, completion: 5 * choices))
    }
}

/// A Boolean the fake server's handler reads and the test flips.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Bool
    init(_ value: Bool) { self.value = value }
    var isSet: Bool {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}
