import Foundation
import OpenAIAPI
import ScalingCore
import Synchronization

/// Streaming from OpenAI-compatible servers: the request goes out with `stream: true` and
/// `stream_options: {include_usage: true}`, and each chunk's text (with its tokens'
/// log-probabilities, when asked for) is passed on as it arrives.
///
/// Samples are asked for as `complete` asks for them (one request with `n`, or one per
/// seed under `SeedMode.perSample` or on a single-choice endpoint). Token counts come from
/// the usage chunk; a server that ignores `stream_options` sends none, and then each
/// sample counts its log-probability entries, or, without those, its chunks that carried
/// text (servers send one token per chunk: an estimate, never billed figures).
extension OpenAICompletionProvider: StreamingCompletionProvider {
    public func complete(_ request: CompletionRequest,
                         onDelta: @escaping @Sendable (CompletionDelta) -> Void) async throws -> [DetailedCompletion] {
        guard let first = request.seeds.first else { return [] }
        if request.seeds.count == 1 || seedMode == .perSample {
            return try await streamedSingles(request, seeds: request.seeds[...], firstIndex: 0, throwIfAllFail: true, onDelta: onDelta)
        }
        let streamed = try await stream(request, choices: request.seeds.count, seed: first, indexOffset: 0, onDelta: onDelta)
        await transport.noteChoices(returned: streamed.choices.count, sent: streamed.sentChoices, endpointIndex: streamed.endpointIndex)
        var completions = streamed.choices.prefix(request.seeds.count).map { choice in
            var choice = choice
            choice.completion.seed = first
            return choice
        }
        if completions.count < request.seeds.count {
            completions += try await streamedSingles(request, seeds: request.seeds[completions.count...], firstIndex: completions.count,
                                                     throwIfAllFail: false, onDelta: onDelta)
        }
        return completions
    }

    /// One streamed request per seed, in parallel; sample indices start at `firstIndex`.
    private func streamedSingles(_ request: CompletionRequest, seeds: ArraySlice<UInt64>, firstIndex: Int, throwIfAllFail: Bool,
                                 onDelta: @escaping @Sendable (CompletionDelta) -> Void) async throws -> [DetailedCompletion] {
        try await Self.perSeed(seeds, throwIfAllFail: throwIfAllFail) { offset, seed in
            let streamed = try await self.stream(request, choices: 1, seed: seed, indexOffset: firstIndex + offset, onDelta: onDelta)
            guard var choice = streamed.choices.first else {
                throw OpenAIClientError.invalidResponse(endpoint: streamed.baseURL, detail: "the stream held no choice")
            }
            choice.completion.seed = seed
            return choice
        } failed: { seed, error in
            DetailedCompletion(completion: Self.failedCompletion(seed: seed, error))
        }
    }

    /// What one streamed request gave: its choices in index order.
    private struct StreamedChoices {
        var choices: [DetailedCompletion]
        var sentChoices: Int
        var endpointIndex: Int
        var baseURL: String
    }

    /// One streamed request for `choices` samples; its deltas go out with sample indices
    /// `indexOffset + choice index`.
    private func stream(_ request: CompletionRequest, choices: Int, seed: UInt64, indexOffset: Int,
                        onDelta: @escaping @Sendable (CompletionDelta) -> Void) async throws -> StreamedChoices {
        let model = modelName
        let prompt = request.prompt
        let start = ContinuousClock.now
        let assembly = Mutex(StreamAssembly())
        let response = try await transport.postStreaming(path: path(for: prompt), choices: choices) { n in
            try Self.body(for: request, model: model, choices: n, seed: seed, stream: true)
        } onEvent: { data in
            let deltas = try assembly.withLock { try $0.read(data, prompt: prompt) }
            for delta in deltas {
                onDelta(CompletionDelta(sampleIndex: indexOffset + delta.sampleIndex, text: delta.text, tokenLogprobs: delta.tokenLogprobs))
            }
        }
        let result = assembly.withLock { $0 }
        if let message = result.failure {
            throw OpenAIClientError.streamFailed(endpoint: response.baseURL, message: transport.redacted(message))
        }
        guard response.sawDone || result.allFinished else {
            throw OpenAIClientError.invalidResponse(
                endpoint: response.baseURL,
                detail: "the event stream ended before 'data: [DONE]' with choices still unfinished (the server stopped mid-answer)")
        }
        let seconds = (ContinuousClock.now - start).inSeconds / Double(max(result.choices.count, 1))
        let choices = result.completions(wantsLogprobs: request.parameters.logprobs != nil, seconds: seconds)
        return StreamedChoices(choices: choices, sentChoices: response.sentChoices, endpointIndex: response.endpointIndex,
                               baseURL: response.baseURL)
    }
}

/// The choices of one stream as its chunks arrive.
private struct StreamAssembly {
    struct Choice {
        var text = ""
        var finishReason: String?
        var logprobs: [GeneratedTokenLogprob]?
        var textChunks = 0
    }

    var choices: [Int: Choice] = [:]
    var usage: Usage?
    /// The message of an error event.
    var failure: String?

    var allFinished: Bool { !choices.isEmpty && choices.values.allSatisfy { $0.finishReason != nil } }

    /// Reads one event's data; returns the deltas it carries (choice indices as sent).
    mutating func read(_ data: String, prompt: ProblemPrompt) throws -> [CompletionDelta] {
        let bytes = Data(data.utf8)
        if let object = try? JSONSerialization.jsonObject(with: bytes) as? [String: Any], let error = object["error"] {
            failure = ((error as? [String: Any])?["message"] as? String) ?? "\(error)"
            return []
        }
        let decoder = OpenAIJSON.makeDecoder()
        var deltas: [CompletionDelta] = []
        do {
            switch prompt {
            case .messages:
                let chunk = try decoder.decode(ChatCompletionChunk.self, from: bytes)
                if let usage = chunk.usage { self.usage = usage }
                for choice in chunk.choices {
                    let tokens = choice.logprobs?.content.map { $0.map(Self.tokenLogprob) }
                    deltas += accept(index: choice.index, text: choice.delta.content ?? "", tokens: tokens, finishReason: choice.finishReason)
                }
            case .text:
                let chunk = try decoder.decode(TextCompletionChunk.self, from: bytes)
                if let usage = chunk.usage { self.usage = usage }
                for choice in chunk.choices {
                    let tokens = choice.logprobs.map(Self.tokenLogprobs)
                    deltas += accept(index: choice.index, text: choice.text, tokens: tokens, finishReason: choice.finishReason)
                }
            }
        } catch {
            throw ServerSentEventParser.Malformed(
                description: "an event whose data is not an OpenAI stream chunk (\(error)): \(data.prefix(300))")
        }
        return deltas
    }

    private mutating func accept(index: Int, text: String, tokens: [GeneratedTokenLogprob]?, finishReason: String?) -> [CompletionDelta] {
        var choice = choices[index] ?? Choice()
        choice.text += text
        if let tokens { choice.logprobs = (choice.logprobs ?? []) + tokens }
        if let finishReason { choice.finishReason = finishReason }
        if !text.isEmpty { choice.textChunks += 1 }
        choices[index] = choice
        return text.isEmpty ? [] : [CompletionDelta(sampleIndex: index, text: text, tokenLogprobs: tokens ?? [])]
    }

    /// The choices as completions, in index order, with token counts from the usage chunk
    /// (split as `UsageAccounting` does) or, without one, counted per choice.
    func completions(wantsLogprobs: Bool, seconds: Double) -> [DetailedCompletion] {
        let ordered = choices.sorted { $0.key < $1.key }.map(\.value)
        let counts: [Int]
        if let total = usage?.completionTokens {
            counts = UsageAccounting.completionTokens(
                total: total, choices: ordered.map { UsageAccounting.Choice(textBytes: $0.text.utf8.count, logprobTokens: $0.logprobs?.count) })
        } else {
            counts = ordered.map { $0.logprobs?.count ?? $0.textChunks }
        }
        return zip(ordered, counts).map { choice, completionTokens in
            DetailedCompletion(
                completion: Completion(
                    text: choice.text, finishReason: OpenAICompletionProvider.finishReason(choice.finishReason),
                    promptTokens: usage?.promptTokens ?? 0, completionTokens: completionTokens, seconds: seconds,
                    logprobSum: wantsLogprobs ? choice.logprobs.map { $0.reduce(0) { $0 + $1.chosen.logprob } } : nil),
                tokenLogprobs: wantsLogprobs ? choice.logprobs : nil)
        }
    }

    static func tokenLogprob(_ entry: TokenLogprob) -> GeneratedTokenLogprob {
        func candidate(_ token: String, _ bytes: [Int]?, _ logprob: Double) -> GeneratedTokenLogprob.Candidate {
            .init(text: token, bytes: bytes.map { $0.map { UInt8(truncatingIfNeeded: $0) } } ?? Array(token.utf8), logprob: logprob)
        }
        return GeneratedTokenLogprob(chosen: candidate(entry.token, entry.bytes, entry.logprob),
                                     alternatives: entry.topLogprobs.map { candidate($0.token, $0.bytes, $0.logprob) })
    }

    /// Legacy arrays as entries; positions without a log-probability (an echoed first token) are left out.
    static func tokenLogprobs(_ legacy: TextLogprobs) -> [GeneratedTokenLogprob] {
        zip(legacy.tokens.indices, legacy.tokens).compactMap { i, token in
            guard i < legacy.tokenLogprobs.count, let logprob = legacy.tokenLogprobs[i] else { return nil }
            let top = i < legacy.topLogprobs.count ? (legacy.topLogprobs[i] ?? [:]) : [:]
            return GeneratedTokenLogprob(
                chosen: .init(text: token, bytes: Array(token.utf8), logprob: logprob),
                alternatives: top.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
                    .map { .init(text: $0.key, bytes: Array($0.key.utf8), logprob: $0.value) })
        }
    }
}
