import Foundation
import OpenAIAPI
import ScalingCore

/// A model served by OpenAI-compatible servers (vLLM, SGLang, llama.cpp's server,
/// Ollama, hosted APIs) as a `CompletionProvider`.
///
/// `.messages` prompts go to `/chat/completions`, `.text` prompts to `/completions`.
/// A request for several samples follows `SeedMode`: by default one request with `n`
/// choices; an endpoint that refuses `n > 1` (an error) or silently returns fewer choices
/// is remembered as single-choice, and the missing samples are asked for as parallel
/// single requests, each with its own seed. Retries, failover and the bound on requests
/// in flight are `OpenAITransport`'s.
///
/// Failures follow `CompletionProvider`: when not one sample could be had, `complete`
/// throws the `OpenAIClientError` (a run records every sample of the request as failed);
/// when some could, the others come back with `finishReason == .error`.
public final class OpenAICompletionProvider: CompletionProvider {
    public let modelName: String
    /// The base URLs, normalised.
    public let baseURLs: [String]
    public let seedMode: SeedMode
    let transport: OpenAITransport

    public init(_ configuration: OpenAIClientConfiguration) throws(OpenAIClientError) {
        baseURLs = try configuration.normalizedBaseURLs()
        modelName = configuration.model
        seedMode = configuration.seedMode
        transport = OpenAITransport(baseURLs: baseURLs, apiKey: configuration.apiKey, retry: configuration.retry,
                                    maxConcurrentRequests: configuration.maxConcurrentRequests,
                                    requestTimeout: configuration.requestTimeout, coolOffSeconds: configuration.coolOffSeconds)
    }

    /// What the client has learnt about each endpoint (load, failures, `n` support).
    public func endpointStatuses() async -> [EndpointStatus] { await transport.statuses() }

    /// Closes the HTTP connections; call when done (dropping the provider also closes them, later).
    public func shutdown() async throws { try await transport.shutdown() }

    public func complete(_ request: CompletionRequest) async throws -> [Completion] {
        guard let first = request.seeds.first else { return [] }
        if request.seeds.count == 1 || seedMode == .perSample {
            return try await singles(request, seeds: request.seeds[...], throwIfAllFail: true)
        }
        let start = ContinuousClock.now
        let response = try await transport.post(path: path(for: request.prompt), choices: request.seeds.count) { n in
            try Self.body(for: request, model: self.modelName, choices: n, seed: first)
        }
        let decoded = try Self.decode(response, prompt: request.prompt, wantsLogprobs: request.parameters.logprobs != nil)
        await transport.noteChoices(returned: decoded.count, in: response)
        let seconds = (ContinuousClock.now - start).inSeconds / Double(max(decoded.count, 1))
        var completions = decoded.prefix(request.seeds.count).map { choice in
            var completion = choice
            completion.seed = first
            completion.seconds = seconds
            return completion
        }
        if completions.count < request.seeds.count {
            completions += try await singles(request, seeds: request.seeds[completions.count...], throwIfAllFail: false)
        }
        return completions
    }

    /// One request per seed, in parallel.
    private func singles(_ request: CompletionRequest, seeds: ArraySlice<UInt64>, throwIfAllFail: Bool) async throws -> [Completion] {
        let path = path(for: request.prompt)
        let model = modelName
        let transport = self.transport
        return try await Self.perSeed(seeds, throwIfAllFail: throwIfAllFail) { _, seed in
            let start = ContinuousClock.now
            let response = try await transport.post(path: path, choices: 1) { _ in
                try Self.body(for: request, model: model, choices: 1, seed: seed)
            }
            let decoded = try Self.decode(response, prompt: request.prompt, wantsLogprobs: request.parameters.logprobs != nil)
            guard var completion = decoded.first else {
                throw OpenAIClientError.invalidResponse(endpoint: response.baseURL, detail: "no choices in the response")
            }
            completion.seed = seed
            completion.seconds = (ContinuousClock.now - start).inSeconds
            return completion
        } failed: { seed, error in
            Self.failedCompletion(seed: seed, error)
        }
    }

    /// Runs `sample(offset, seed)` for every seed in parallel (the transport bounds how many
    /// are in flight), in seed order. A seed that fails becomes `failed(seed, error)`, except
    /// that when every one failed and `throwIfAllFail`, the first error is thrown.
    static func perSeed<Sample: Sendable>(_ seeds: ArraySlice<UInt64>, throwIfAllFail: Bool,
                                          sample: @escaping @Sendable (Int, UInt64) async throws -> Sample,
                                          failed: (UInt64, any Error) -> Sample) async throws -> [Sample] {
        let results = await withTaskGroup(of: (Int, Result<Sample, any Error>).self) { group in
            for (offset, seed) in seeds.enumerated() {
                group.addTask {
                    do { return (offset, .success(try await sample(offset, seed))) } catch { return (offset, .failure(error)) }
                }
            }
            var results = [Result<Sample, any Error>?](repeating: nil, count: seeds.count)
            for await (offset, result) in group { results[offset] = result }
            return results.map { $0! }
        }
        let anySucceeded = results.contains { if case .success = $0 { true } else { false } }
        if throwIfAllFail, !anySucceeded, case .failure(let error) = results[0] {
            throw error
        }
        return zip(seeds, results).map { seed, result in
            switch result {
            case .success(let sample): sample
            case .failure(let error): failed(seed, error)
            }
        }
    }

    /// The sample of `seed` that could not be had.
    static func failedCompletion(seed: UInt64, _ error: any Error) -> Completion {
        Completion(text: "", finishReason: .error, seed: seed, promptTokens: 0, completionTokens: 0, seconds: 0, error: "\(error)")
    }

    func path(for prompt: ProblemPrompt) -> String {
        switch prompt {
        case .messages: "/chat/completions"
        case .text: "/completions"
        }
    }

    // MARK: - Wire mapping

    /// The JSON body for `choices` samples from `seed`.
    ///
    /// Fields OpenAI's API lacks (`top_k`, `min_p`, `repetition_penalty`, which vLLM,
    /// SGLang and llama.cpp's server read) are sent only when set, so a hosted API that
    /// rejects unknown fields sees them only when the user asked for them.
    ///
    /// `stream` asks for server-sent events with a last usage chunk (`stream_options`).
    static func body(for request: CompletionRequest, model: String, choices: Int, seed: UInt64, stream: Bool = false) throws -> Data {
        let p = request.parameters
        let streamOptions = stream ? StreamOptions(includeUsage: true) : nil
        // Seeds travel as non-negative 63-bit integers; Quorum's run seeds already are.
        let wireSeed = Int64(bitPattern: seed & UInt64(Int64.max))
        let stop: StopSequences? = p.stop.isEmpty ? nil : StopSequences(p.stop)
        let encoder = OpenAIJSON.makeEncoder()
        var data: Data
        switch request.prompt {
        case .messages(let messages):
            data = try encoder.encode(ChatCompletionRequest(
                model: model, messages: messages.map { ChatCompletionMessage(role: $0.role, content: $0.content) },
                temperature: p.temperature, topP: p.topP, n: choices, stream: stream ? true : nil, streamOptions: streamOptions,
                stop: stop, maxTokens: p.maxTokens, seed: wireSeed, logprobs: p.logprobs.map { _ in true }, topLogprobs: p.logprobs.flatMap { $0 > 0 ? $0 : nil },
                presencePenalty: p.presencePenalty, frequencyPenalty: p.frequencyPenalty))
        case .text(let text):
            data = try encoder.encode(TextCompletionRequest(
                model: model, prompt: .text(text), temperature: p.temperature, topP: p.topP, n: choices,
                stream: stream ? true : nil, streamOptions: streamOptions, stop: stop, maxTokens: p.maxTokens, seed: wireSeed, logprobs: p.logprobs,
                presencePenalty: p.presencePenalty, frequencyPenalty: p.frequencyPenalty))
        }
        var extras: [String: Any] = [:]
        if let topK = p.topK, topK > 0 { extras["top_k"] = topK }
        if let minP = p.minP, minP > 0 { extras["min_p"] = minP }
        if let penalty = p.repetitionPenalty, penalty != 1 { extras["repetition_penalty"] = penalty }
        if !extras.isEmpty, var object = try JSONSerialization.jsonObject(with: data) as? [String: Any] {
            object.merge(extras) { current, _ in current }
            data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        }
        return data
    }

    /// The response's choices as completions, in choice-index order, with token counts
    /// from `usage` per `UsageAccounting`.
    static func decode(_ response: OpenAITransport.Response, prompt: ProblemPrompt, wantsLogprobs: Bool) throws(OpenAIClientError) -> [Completion] {
        struct Choice {
            var index: Int
            var text: String
            var finishReason: String?
            var logprobs: [Double]?
        }
        let decoder = OpenAIJSON.makeDecoder()
        var choices: [Choice]
        let usage: Usage?
        do {
            switch prompt {
            case .messages:
                let body = try decoder.decode(ChatCompletionResponse.self, from: response.body)
                choices = body.choices.map {
                    Choice(index: $0.index, text: $0.message.content ?? "", finishReason: $0.finishReason,
                           logprobs: $0.logprobs?.content?.map(\.logprob))
                }
                usage = body.usage
            case .text:
                let body = try decoder.decode(TextCompletionResponse.self, from: response.body)
                choices = body.choices.map {
                    Choice(index: $0.index, text: $0.text, finishReason: $0.finishReason,
                           logprobs: $0.logprobs.map { $0.tokenLogprobs.compactMap { $0 } })
                }
                usage = body.usage
            }
        } catch {
            throw .invalidResponse(endpoint: response.baseURL, detail: "\(error)")
        }
        choices.sort { $0.index < $1.index }
        let tokens = UsageAccounting.completionTokens(
            total: usage?.completionTokens,
            choices: choices.map { UsageAccounting.Choice(textBytes: $0.text.utf8.count, logprobTokens: $0.logprobs?.count) })
        return zip(choices, tokens).map { choice, completionTokens in
            Completion(text: choice.text, finishReason: finishReason(choice.finishReason),
                       promptTokens: usage?.promptTokens ?? 0, completionTokens: completionTokens, seconds: 0,
                       logprobSum: wantsLogprobs ? choice.logprobs.map { $0.reduce(0, +) } : nil)
        }
    }

    /// `length` stays `length`; every other reason a server gives (`stop`, `eos`,
    /// `content_filter`, none) means the sample ended on its own.
    static func finishReason(_ reason: String?) -> FinishReason {
        reason == "length" ? .length : .stop
    }
}
