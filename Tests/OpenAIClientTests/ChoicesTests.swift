import Foundation
import OpenAIClient
import ScalingCore
import Testing

/// `n` > 1: native, refused by the server (llama.cpp, Ollama), or silently ignored
/// (llama-cpp-python); the client must always return one sample per seed.
struct ChoicesTests {
    @Test func nativeChoicesComeFromOneRequestInIndexOrder() async throws {
        try await ClientTestSupport.withServer({ request, _ in
            // Choices listed out of order, as a server may: the client must sort by index.
            let indices = Array((0 ..< request.n).reversed())
            return FakeResponses.chat(indices.map { "choice \($0)" }, indices: indices, usage: (prompt: 12, completion: 20))
        }) { server in
            let provider = try ClientTestSupport.provider([server.baseURL])
            let completions = try await provider.complete(ClientTestSupport.chatRequest(seeds: [11, 22, 33, 44]))
            #expect(completions.map(\.text) == ["choice 0", "choice 1", "choice 2", "choice 3"])
            #expect(server.requests.count == 1)
            let request = try #require(server.requests.first)
            #expect(request.path == "/v1/chat/completions")
            #expect(request.n == 4)
            #expect(request.seed == 11, "with n, the request carries the first sample's seed")
            #expect(await provider.endpointStatuses().first?.supportsMultipleChoices == true)
            try await provider.shutdown()
        }
    }

    @Test func refusedChoicesFallBackToSingleRequestsAndAreRemembered() async throws {
        try await ClientTestSupport.withServer({ request, _ in
            request.n > 1 ? .error(400, "Only one completion choice is allowed") : ClientTestSupport.echoSeed(request, choices: 1)
        }) { server in
            let provider = try ClientTestSupport.provider([server.baseURL])
            let completions = try await provider.complete(ClientTestSupport.chatRequest(seeds: [11, 22, 33, 44]))
            #expect(completions.map(\.text) == ["seed 11, choice 0", "seed 22, choice 0", "seed 33, choice 0", "seed 44, choice 0"])
            #expect(completions.map(\.seed) == [11, 22, 33, 44])
            #expect(completions.allSatisfy { $0.finishReason == .stop })
            // The refused n = 4, the n = 1 probe (seed 11), then one request per remaining seed.
            #expect(server.requests.map(\.n) == [4, 1, 1, 1, 1])
            #expect(Set(server.requests.dropFirst().map(\.seed)) == [11, 22, 33, 44])
            #expect(await provider.endpointStatuses().first?.supportsMultipleChoices == false)

            // Remembered: the next request goes out as singles straight away.
            let again = try await provider.complete(ClientTestSupport.chatRequest(seeds: [55, 66]))
            #expect(again.map(\.text) == ["seed 55, choice 0", "seed 66, choice 0"])
            #expect(server.requests.count == 7)
            #expect(server.requests.suffix(2).allSatisfy { $0.n == 1 })
            try await provider.shutdown()
        }
    }

    @Test func fewerChoicesThanAskedFallBackForTheRest() async throws {
        // llama-cpp-python's server ignores n and answers with one choice.
        try await ClientTestSupport.withServer({ request, _ in ClientTestSupport.echoSeed(request, choices: 1) }) { server in
            let provider = try ClientTestSupport.provider([server.baseURL])
            let completions = try await provider.complete(ClientTestSupport.chatRequest(seeds: [11, 22, 33]))
            #expect(completions.map(\.text) == ["seed 11, choice 0", "seed 22, choice 0", "seed 33, choice 0"])
            #expect(server.requests.map(\.n) == [3, 1, 1])
            #expect(await provider.endpointStatuses().first?.supportsMultipleChoices == false)
            _ = try await provider.complete(ClientTestSupport.chatRequest(seeds: [44, 55]))
            #expect(server.requests.count == 5)
            #expect(server.requests.suffix(2).allSatisfy { $0.n == 1 })
            try await provider.shutdown()
        }
    }

    @Test func aBadRequestThatIsNotAboutChoicesStillFails() async throws {
        try await ClientTestSupport.withServer({ _, _ in .error(400, "'messages' must contain at least one user message") }) { server in
            let provider = try ClientTestSupport.provider([server.baseURL])
            await #expect {
                _ = try await provider.complete(ClientTestSupport.chatRequest(seeds: [1, 2]))
            } throws: { error in
                guard case OpenAIClientError.rejected(_, 400, let message) = error else { return false }
                return message.contains("at least one user message")
            }
            // n = 2 refused, n = 1 refused too: n was not the problem, so nothing is remembered.
            #expect(server.requests.map(\.n) == [2, 1])
            #expect(await provider.endpointStatuses().first?.supportsMultipleChoices == nil)
            try await provider.shutdown()
        }
    }

    @Test func perSampleSeedModeSendsOneRequestPerSeed() async throws {
        try await ClientTestSupport.withServer({ request, _ in ClientTestSupport.echoSeed(request, choices: request.n) }) { server in
            let provider = try ClientTestSupport.provider([server.baseURL], seedMode: .perSample)
            let completions = try await provider.complete(ClientTestSupport.chatRequest(seeds: [7, 8, 9]))
            #expect(completions.map(\.text) == ["seed 7, choice 0", "seed 8, choice 0", "seed 9, choice 0"])
            #expect(server.requests.allSatisfy { $0.n == 1 })
            #expect(Set(server.requests.map(\.seed)) == [7, 8, 9])
            try await provider.shutdown()
        }
    }
}
