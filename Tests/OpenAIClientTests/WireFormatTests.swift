import Foundation
import OpenAIClient
import ScalingCore
import Testing

/// What goes over the wire and how answers come back: sampling fields, the two
/// endpoints, log-probabilities and usage.
struct WireFormatTests {
    @Test func chatRequestCarriesTheSamplingParameters() async throws {
        try await ClientTestSupport.withServer({ _, _ in FakeResponses.chat(["4"], usage: (prompt: 9, completion: 1)) }) { server in
            let provider = try ClientTestSupport.provider([server.baseURL])
            let request = CompletionRequest(
                prompt: .messages([ChatMessage(role: "system", content: "Be brief."), ChatMessage(role: "user", content: "2+2?")]),
                parameters: SamplingParameters(temperature: 0.25, topP: 0.9, maxTokens: 17, stop: ["\n\n", "END"]), seeds: [123])
            _ = try await provider.complete(request)
            let body = try #require(server.requests.first).json
            #expect(body["model"] as? String == "fake-model")
            #expect(body["temperature"] as? Double == 0.25)
            #expect(body["top_p"] as? Double == 0.9)
            #expect(body["max_tokens"] as? Int == 17)
            #expect(body["stop"] as? [String] == ["\n\n", "END"])
            #expect((body["seed"] as? NSNumber)?.int64Value == 123)
            #expect(body["n"] as? Int == 1)
            #expect(body["logprobs"] == nil, "no log-probabilities asked, none requested")
            #expect(body["top_k"] == nil, "fields outside OpenAI's API are sent only when set")
            let messages = try #require(body["messages"] as? [[String: String]])
            #expect(messages == [["role": "system", "content": "Be brief."], ["role": "user", "content": "2+2?"]])
            try await provider.shutdown()
        }
    }

    @Test func textPromptsGoToCompletionsWithTokenLogprobs() async throws {
        try await ClientTestSupport.withServer({ _, _ in
            FakeResponses.text([" return a + b"], usage: (prompt: 30, completion: 3), tokenLogprobs: [[-0.5, -0.25, -1.0]])
        }) { server in
            let provider = try ClientTestSupport.provider([server.baseURL])
            let request = CompletionRequest(prompt: .text("def add(a, b):\n"),
                                            parameters: SamplingParameters(temperature: 0, topK: 40, maxTokens: 3, logprobs: 0), seeds: [5])
            let completions = try await provider.complete(request)
            let completion = try #require(completions.first)
            #expect(completion.text == " return a + b")
            #expect(completion.finishReason == .length)
            #expect(completion.logprobSum == -1.75)
            #expect(completion.promptTokens == 30)
            #expect(completion.completionTokens == 3)
            let sent = try #require(server.requests.first)
            #expect(sent.path == "/v1/completions")
            #expect(sent.json["prompt"] as? String == "def add(a, b):\n")
            #expect(sent.json["logprobs"] as? Int == 0)
            #expect(sent.json["top_k"] as? Int == 40)
            try await provider.shutdown()
        }
    }

    @Test func chatLogprobsSumTheChosenTokens() async throws {
        try await ClientTestSupport.withServer({ request, _ in
            FakeResponses.chat(["a", "bb"], usage: (prompt: 8, completion: 5), logprobs: [[-0.5, -0.125], [-2, -0.25, -0.0625]])
        }) { server in
            let provider = try ClientTestSupport.provider([server.baseURL])
            let completions = try await provider.complete(ClientTestSupport.chatRequest(seeds: [1, 2], logprobs: 0))
            #expect(completions.map(\.logprobSum) == [-0.625, -2.3125])
            // usage (5) split by the log-probability entries (2 and 3).
            #expect(completions.map(\.completionTokens) == [2, 3])
            let sent = try #require(server.requests.first)
            #expect(sent.json["logprobs"] as? Bool == true)
            #expect(sent.json["top_logprobs"] == nil)
            try await provider.shutdown()
        }
    }

    @Test func usageIsSplitOverChoicesByTextLength() async throws {
        // completion_tokens 9 over texts of 4, 2 and 2 bytes: shares 4.5, 2.25, 2.25 →
        // floors 4, 2, 2 and the leftover token to the largest remainder (the first).
        try await ClientTestSupport.withServer({ _, _ in FakeResponses.chat(["aaaa", "bb", "cc"], usage: (prompt: 17, completion: 9)) }) { server in
            let provider = try ClientTestSupport.provider([server.baseURL])
            let completions = try await provider.complete(ClientTestSupport.chatRequest(seeds: [1, 2, 3]))
            #expect(completions.map(\.completionTokens) == [5, 2, 2])
            #expect(completions.map(\.promptTokens) == [17, 17, 17])
            try await provider.shutdown()
        }
    }

    @Test func usageSplitRules() {
        typealias Choice = UsageAccounting.Choice
        // Hand-computed: 10 over three equal texts → 3⅓ each → [4, 3, 3].
        #expect(UsageAccounting.completionTokens(total: 10, choices: Array(repeating: Choice(textBytes: 1), count: 3)) == [4, 3, 3])
        // 7 over bytes 10, 0, 30 → shares 1.75, 0, 5.25 → floors 1, 0, 5; the leftover goes to .75.
        #expect(UsageAccounting.completionTokens(total: 7, choices: [Choice(textBytes: 10), Choice(textBytes: 0), Choice(textBytes: 30)]) == [2, 0, 5])
        // One choice takes the whole count, whatever its log-probability entries say.
        #expect(UsageAccounting.completionTokens(total: 12, choices: [Choice(textBytes: 3)]) == [12])
        #expect(UsageAccounting.completionTokens(total: 8, choices: [Choice(textBytes: 3, logprobTokens: 7)]) == [8])
        // Log-probability counts, not text lengths, weigh the split when every choice has them.
        #expect(UsageAccounting.completionTokens(total: 12, choices: [Choice(textBytes: 3, logprobTokens: 4), Choice(textBytes: 9, logprobTokens: 8)]) == [4, 8])
        // Entries that miss each choice's end token: 24 over 7, 7, 7 → 8 each.
        #expect(UsageAccounting.completionTokens(total: 24, choices: Array(repeating: Choice(textBytes: 1, logprobTokens: 7), count: 3)) == [8, 8, 8])
        // No usage: the log-probability entries are all there is.
        #expect(UsageAccounting.completionTokens(total: nil, choices: [Choice(textBytes: 3, logprobTokens: 2), Choice(textBytes: 4, logprobTokens: 5)]) == [2, 5])
        // No usage and no log-probabilities: nothing to count.
        #expect(UsageAccounting.completionTokens(total: nil, choices: [Choice(textBytes: 3), Choice(textBytes: 4)]) == [0, 0])
    }
}
