import Foundation
import OpenAIClient
import ScalingCore
import Synchronization
import Testing

/// Streaming through `OpenAICompletionProvider` (`stream: true`): deltas with their tokens'
/// log-probabilities, usage from the last chunk or counted without it, and clear errors for
/// streams that are not OpenAI event streams. The bodies are written here as OpenAI's API
/// reference shows them.
struct StreamingTests {
    /// Collects deltas from the engine's callback thread.
    final class Deltas: Sendable {
        private let list = Mutex<[CompletionDelta]>([])
        func append(_ delta: CompletionDelta) { list.withLock { $0.append(delta) } }
        var all: [CompletionDelta] { list.withLock { $0 } }
    }

    static func chatChunk(_ choices: [String], usage: String = "null") -> String {
        #"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"fake-model","choices":[\#(choices.joined(separator: ","))],"usage":\#(usage)}"#
    }

    /// One chat chunk choice; `logprobs` pairs each token with its log-probability.
    static func chatChoice(_ index: Int, content: String?, logprobs: [(String, Double)]? = nil, finish: String? = nil) -> String {
        let delta = content.map { #"{"content":"\#($0)"}"# } ?? "{}"
        let entries = logprobs.map { pairs in
            #"{"content":["# + pairs.map { #"{"token":"\#($0.0)","logprob":\#($0.1),"bytes":[\#(Array($0.0.utf8).map(String.init).joined(separator: ","))],"top_logprobs":[]}"# }.joined(separator: ",") + "]}"
        } ?? "null"
        return #"{"index":\#(index),"delta":\#(delta),"logprobs":\#(entries),"finish_reason":\#(finish.map { "\"\($0)\"" } ?? "null")}"#
    }

    @Test func chatDeltasCarryTheirTokensAndUsageComesFromTheLastChunk() async throws {
        let events = [
            Self.chatChunk([#"{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}"#,
                            #"{"index":1,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}"#]),
            Self.chatChunk([Self.chatChoice(0, content: "Hel", logprobs: [("Hel", -0.5)])]),
            Self.chatChunk([Self.chatChoice(1, content: "Yes", logprobs: [("Yes", -1.25)])]),
            Self.chatChunk([Self.chatChoice(0, content: "lo", logprobs: [("lo", -0.125)])]),
            Self.chatChunk([Self.chatChoice(1, content: " sir", logprobs: [(" s", -0.5), ("ir", -0.25)])]),
            Self.chatChunk([Self.chatChoice(0, content: nil, logprobs: [], finish: "stop"), Self.chatChoice(1, content: nil, finish: "length")]),
            Self.chatChunk([], usage: #"{"prompt_tokens":7,"completion_tokens":6,"total_tokens":13}"#),
            "[DONE]",
        ]
        try await ClientTestSupport.withServer({ _, _ in FakeResponses.stream(events) }) { server in
            let provider = try ClientTestSupport.provider([server.baseURL])
            let deltas = Deltas()
            let choices = try await provider.complete(ClientTestSupport.chatRequest(seeds: [3, 4], logprobs: 0)) { deltas.append($0) }
            #expect(deltas.all.map(\.sampleIndex) == [0, 1, 0, 1])
            #expect(deltas.all.map(\.text) == ["Hel", "Yes", "lo", " sir"])
            #expect(deltas.all.map { $0.tokenLogprobs.map(\.chosen.logprob) } == [[-0.5], [-1.25], [-0.125], [-0.5, -0.25]])
            #expect(deltas.all.last?.tokenLogprobs.map(\.chosen.bytes) == [Array(" s".utf8), Array("ir".utf8)])
            #expect(choices.map(\.completion.text) == ["Hello", "Yes sir"])
            #expect(choices.map(\.completion.finishReason) == [.stop, .length])
            #expect(choices.map(\.completion.logprobSum) == [-0.625, -2.0])
            #expect(choices.map(\.completion.promptTokens) == [7, 7])
            // usage (6) split by the log-probability entries (2 and 3): 2.4 and 3.6, largest remainder.
            #expect(choices.map(\.completion.completionTokens) == [2, 4])
            #expect(choices.map(\.completion.seed) == [3, 3])
            let sent = try #require(server.requests.first).json
            #expect(sent["stream"] as? Bool == true)
            #expect((sent["stream_options"] as? [String: Any])?["include_usage"] as? Bool == true)
            #expect(sent["n"] as? Int == 2)
            try await provider.shutdown()
        }
    }

    @Test func withoutAUsageChunkTokensAreCounted() async throws {
        // A server that ignores stream_options: no usage chunk, no [DONE] either (every choice finished).
        let events = [
            Self.chatChunk([Self.chatChoice(0, content: "a")]),
            Self.chatChunk([Self.chatChoice(0, content: "b")]),
            Self.chatChunk([Self.chatChoice(0, content: "c", finish: "stop")]),
        ]
        try await ClientTestSupport.withServer({ _, _ in FakeResponses.stream(events) }) { server in
            let provider = try ClientTestSupport.provider([server.baseURL])
            let choices = try await provider.complete(ClientTestSupport.chatRequest(seeds: [1])) { _ in }
            #expect(choices.map(\.completion.text) == ["abc"])
            #expect(choices.map(\.completion.completionTokens) == [3], "one token per chunk that carried text")
            #expect(choices.map(\.completion.promptTokens) == [0])
            #expect(choices.first?.tokenLogprobs == nil)
            try await provider.shutdown()
        }
    }

    @Test func legacyStreamsReadTheParallelArrays() async throws {
        let chunk = { (text: String, tokens: [String], logprobs: [Double], finish: String?) -> String in
            let top = tokens.map { _ in "{}" }.joined(separator: ",")
            let tokenList = tokens.map { "\"\($0)\"" }.joined(separator: ",")
            let values = logprobs.map { "\($0)" }.joined(separator: ",")
            let reason = finish.map { "\"\($0)\"" } ?? "null"
            return #"{"id":"cmpl-1","object":"text_completion","created":1,"model":"fake-model","choices":[{"index":0,"text":"\#(text)","logprobs":{"tokens":[\#(tokenList)],"token_logprobs":[\#(values)],"top_logprobs":[\#(top)],"text_offset":[]},"finish_reason":\#(reason)}]}"#
        }
        let events = [chunk(" one", [" one"], [-0.5], nil), chunk(" two", [" two"], [-0.25], nil), chunk("", [], [], "length"),
                      #"{"id":"cmpl-1","object":"text_completion","created":1,"model":"fake-model","choices":[],"usage":{"prompt_tokens":4,"completion_tokens":2,"total_tokens":6}}"#,
                      "[DONE]"]
        try await ClientTestSupport.withServer({ _, _ in FakeResponses.stream(events) }) { server in
            let provider = try ClientTestSupport.provider([server.baseURL])
            let deltas = Deltas()
            let request = CompletionRequest(prompt: .text("Count:"), parameters: SamplingParameters(maxTokens: 2, logprobs: 0), seeds: [9])
            let choices = try await provider.complete(request) { deltas.append($0) }
            #expect(deltas.all.map(\.text) == [" one", " two"])
            #expect(deltas.all.map { $0.tokenLogprobs.map(\.chosen.text) } == [[" one"], [" two"]])
            #expect(choices.first?.completion.text == " one two")
            #expect(choices.first?.completion.logprobSum == -0.75)
            #expect(choices.first?.completion.completionTokens == 2)
            #expect(choices.first?.completion.finishReason == .length)
            #expect(try #require(server.requests.first).path == "/v1/completions")
            try await provider.shutdown()
        }
    }

    /// What a broken stream does: each fails with a message that says what was wrong.
    @Test(arguments: [
        ("data: {\"id\": \"x\", \"choices\": [{\"index\": 0, \"delta\": {\"content\": \"a\"\n\n", "not an OpenAI stream chunk"),
        ("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"choices\":[]}", "server-sent-event line"),
        ("data: " + StreamingTests.chatChunk([StreamingTests.chatChoice(0, content: "partial")]) + "\n\n", "ended before 'data: [DONE]'"),
    ])
    func malformedStreamsFailClearly(body: String, message: String) async throws {
        try await ClientTestSupport.withServer({ _, _ in
            FakeOpenAIServer.Reply(status: 200, headers: [("Content-Type", "text/event-stream")], body: Data(body.utf8))
        }) { server in
            let provider = try ClientTestSupport.provider([server.baseURL], attempts: 3)
            do {
                _ = try await provider.complete(ClientTestSupport.chatRequest(seeds: [1])) { _ in }
                Issue.record("a broken stream was accepted: \(body)")
            } catch let error as OpenAIClientError {
                guard case .invalidResponse = error else { Issue.record("unexpected error \(error)"); return }
                #expect(error.description.contains(message), "\(error)")
            }
            #expect(server.requests.count == 1, "a stream that started is not sent again")
            try await provider.shutdown()
        }
    }

    @Test func anErrorEventFailsWithTheServersMessage() async throws {
        let events = [Self.chatChunk([Self.chatChoice(0, content: "a")]),
                      #"{"error":{"message":"the request did not finish within 1 s","type":"server_error","param":null,"code":"timeout"}}"#,
                      "[DONE]"]
        try await ClientTestSupport.withServer({ _, _ in FakeResponses.stream(events) }) { server in
            let provider = try ClientTestSupport.provider([server.baseURL], attempts: 1)
            await #expect(throws: OpenAIClientError.streamFailed(endpoint: server.baseURL, message: "the request did not finish within 1 s")) {
                _ = try await provider.complete(ClientTestSupport.chatRequest(seeds: [1])) { _ in }
            }
            try await provider.shutdown()
        }
    }
}
