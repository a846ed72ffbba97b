import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import ModelHub
import OpenAIAPI
import TestSupport
import Testing

/// Streamed log-probabilities over the wire, read with the package's own wire types: each
/// content chunk carries the entries of its own tokens, and the chunks' entries, in order,
/// are exactly the whole (non-streamed) response's for the same seed.
@Suite(.serialized)
struct StreamedLogprobsTests {
    let decoder = OpenAIJSON.makeDecoder()

    /// POSTs `body` to `path` and returns the response body (the whole event stream for `stream: true`).
    func post(_ server: ServerProcess, _ path: String, _ body: [String: Any]) async throws -> Data {
        var request = URLRequest(url: URL(string: server.baseURL + path)!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try JSONSerialization.data(withJSONObject: body)
        request.timeoutInterval = 300
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode
        guard status == 200 else {
            throw TestSupportError("\(path) answered \(status.map(String.init) ?? "?"): \(String(decoding: data, as: UTF8.self))")
        }
        return data
    }

    /// The JSON payloads of an event stream's `data:` lines, up to `[DONE]` (which must end it).
    func events(_ data: Data) throws -> [Data] {
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").filter { $0.hasPrefix("data: ") }
        #expect(lines.last == "data: [DONE]", "the stream does not end with [DONE]")
        return lines.dropLast().map { Data($0.dropFirst("data: ".count).utf8) }
    }

    @Test func chatChunksCarryTheirOwnTokensLogprobs() async throws {
        let server = try ServerProcess(["--max-n", "4"])
        defer { server.stop() }
        let body: [String: Any] = [
            "model": ModelCatalog.defaultModel.name, "messages": [["role": "user", "content": "Name three animals that live in the sea."]],
            "max_tokens": 32, "temperature": 0.9, "seed": 21, "n": 2, "logprobs": true, "top_logprobs": 3,
        ]
        let whole = try decoder.decode(ChatCompletionResponse.self, from: try await post(server, "/v1/chat/completions", body))
        var streamBody = body
        streamBody["stream"] = true
        var streamed: [Int: [TokenLogprob]] = [:]
        var text: [Int: String] = [:]
        var contentChunks = 0
        for event in try events(try await post(server, "/v1/chat/completions", streamBody)) {
            let chunk = try decoder.decode(ChatCompletionChunk.self, from: event)
            for choice in chunk.choices {
                let entries = choice.logprobs?.content ?? []
                streamed[choice.index, default: []] += entries
                guard let content = choice.delta.content, !content.isEmpty else { continue }
                text[choice.index, default: ""] += content
                contentChunks += 1
                // The chunk's tokens are the ones its text came from: their bytes spell it.
                let bytes = entries.flatMap { $0.bytes ?? [] }.map { UInt8($0) }
                #expect(String(decoding: bytes, as: UTF8.self) == content, "chunk of choice \(choice.index): \(entries.map(\.token)) vs \(content)")
            }
        }
        #expect(whole.choices.count == 2)
        #expect(contentChunks > 4, "only \(contentChunks) content chunks: not streamed token by token")
        for choice in whole.choices {
            let want = try #require(choice.logprobs?.content)
            #expect(!want.isEmpty)
            #expect(streamed[choice.index] == want, "choice \(choice.index): streamed and whole log-probabilities differ")
            #expect(text[choice.index] == choice.message.content)
        }
    }

    /// Legacy completions: per-chunk parallel arrays whose text offsets continue across chunks
    /// (after the echoed prompt); a stop string's tokens, never shown, come with the last chunk.
    @Test func legacyChunksConcatenateToTheWholeLogprobs() async throws {
        let server = try ServerProcess([])
        defer { server.stop() }
        let prompt = "Count to ten: one, two, three,"
        for stop in [[String](), [" six"]] {
            var body: [String: Any] = [
                "model": ModelCatalog.defaultModel.name, "prompt": prompt, "max_tokens": 20, "temperature": 0,
                "logprobs": 2, "echo": true,
            ]
            if !stop.isEmpty { body["stop"] = stop }
            let whole = try decoder.decode(TextCompletionResponse.self, from: try await post(server, "/v1/completions", body))
            let want = try #require(whole.choices.first?.logprobs)
            #expect(want.textOffset.first == prompt.count, "offsets start after the echoed prompt")
            body["stream"] = true
            var got = TextLogprobs(tokens: [], tokenLogprobs: [], topLogprobs: [], textOffset: [])
            for event in try events(try await post(server, "/v1/completions", body)) {
                let chunk = try decoder.decode(TextCompletionChunk.self, from: event)
                for choice in chunk.choices {
                    guard let part = choice.logprobs else { continue }
                    got.tokens += part.tokens
                    got.tokenLogprobs += part.tokenLogprobs
                    got.topLogprobs += part.topLogprobs
                    got.textOffset += part.textOffset
                }
            }
            #expect(!want.tokens.isEmpty)
            #expect(got == want, "stop \(stop): streamed \(got.tokens) at \(got.textOffset), whole \(want.tokens) at \(want.textOffset)")
        }
    }
}
