import Aggregation
import OpenAIAPI
import ScalingCore

/// A request checked against the model and the server's limits, ready to run.
struct GenerationPlan: Sendable {
    var prompt: ProblemPrompt
    var parameters: SamplingParameters
    /// One per choice (`n` of them); the strategy's first seed when a strategy runs.
    var seeds: [UInt64]
    var strategy: StrategySpec?
    /// Stream the strategy's progress (`quorum.progress`, default true).
    var strategyProgress: Bool
    var stream: Bool
    var includeUsage: Bool
    /// Alternatives per token when log-probabilities were asked for; nil for none.
    var logprobs: Int?
    /// The `model` string as the client sent it, echoed in responses.
    var requestedModel: String
    /// Legacy `echo`: the prompt text to put before each choice's text.
    var echoPrompt: String?
}

/// Turns OpenAI requests into `GenerationPlan`s, rejecting what the model or the limits
/// cannot serve with an error that names the field.
struct RequestPlanner: Sendable {
    let model: ServedModel
    let configuration: ServerConfiguration

    func plan(_ request: ChatCompletionRequest) async throws(ServerError) -> GenerationPlan {
        guard !request.messages.isEmpty else {
            throw .invalidValue(field: "messages", value: "[]", expected: "at least one message")
        }
        var messages: [ChatMessage] = []
        for (index, message) in request.messages.enumerated() {
            let role = message.role == "developer" ? "system" : message.role
            guard ["system", "user", "assistant"].contains(role) else {
                throw .invalidValue(field: "messages[\(index)].role", value: "'\(message.role)'",
                                    expected: "system, developer, user or assistant")
            }
            guard message.content != nil || role == "assistant" else {
                throw .missingField("messages[\(index)].content")
            }
            messages.append(ChatMessage(role: role, content: message.content ?? ""))
        }
        if request.topLogprobs != nil, request.logprobs != true {
            throw .invalidValue(field: "top_logprobs", value: "\(request.topLogprobs!)", expected: "to be used with logprobs: true")
        }
        if let top = request.topLogprobs, !(0...20).contains(top) {
            throw .invalidValue(field: "top_logprobs", value: "\(top)", expected: "an integer from 0 to 20")
        }
        let field = request.maxCompletionTokens != nil ? "max_completion_tokens" : "max_tokens"
        return try await plan(
            prompt: .messages(messages), model: request.model, quorum: request.quorum, n: request.n,
            temperature: request.temperature, topP: request.topP, maxTokens: request.effectiveMaxTokens,
            maxTokensField: field, defaultMaxTokens: configuration.defaultMaxTokens,
            stop: request.stop, seed: request.seed, presencePenalty: request.presencePenalty,
            frequencyPenalty: request.frequencyPenalty,
            logprobs: request.logprobs == true ? (request.topLogprobs ?? 0) : nil,
            stream: request.stream, streamOptions: request.streamOptions, echo: nil, topK: request.topK, minP: request.minP)
    }

    func plan(_ request: TextCompletionRequest) async throws(ServerError) -> GenerationPlan {
        let prompts = request.prompt.texts
        guard prompts.count == 1, let text = prompts.first else {
            throw .invalidValue(field: "prompt", value: "\(prompts.count) prompts", expected: "exactly one prompt string")
        }
        guard !text.isEmpty else { throw .invalidValue(field: "prompt", value: "\"\"", expected: "a non-empty string") }
        if let top = request.logprobs, !(0...5).contains(top) {
            throw .invalidValue(field: "logprobs", value: "\(top)", expected: "an integer from 0 to 5")
        }
        return try await plan(
            prompt: .text(text), model: request.model, quorum: request.quorum, n: request.n,
            temperature: request.temperature, topP: request.topP, maxTokens: request.maxTokens,
            maxTokensField: "max_tokens", defaultMaxTokens: 16, stop: request.stop, seed: request.seed,
            presencePenalty: request.presencePenalty, frequencyPenalty: request.frequencyPenalty,
            logprobs: request.logprobs, stream: request.stream, streamOptions: request.streamOptions,
            echo: request.echo == true ? text : nil, topK: request.topK, minP: request.minP)
    }

    // The checks both endpoints share.
    private func plan(prompt: ProblemPrompt, model requestedModel: String, quorum: QuorumRequestOptions?, n: Int?,
                      temperature: Double?, topP: Double?, maxTokens: Int?, maxTokensField: String, defaultMaxTokens: Int,
                      stop: StopSequences?, seed: Int64?, presencePenalty: Double?, frequencyPenalty: Double?,
                      logprobs: Int?, stream: Bool?, streamOptions: StreamOptions?,
                      echo: String?, topK: Int?, minP: Double?) async throws(ServerError) -> GenerationPlan {
        let reference = ModelReference(parsing: requestedModel)
        guard model.matches(reference.model) else {
            throw .unknownModel(name: reference.model, served: [model.name] + model.aliases)
        }
        let strategy = try strategySpec(fromModel: reference.strategy, field: quorum?.strategy)

        let n = n ?? 1
        guard (1...configuration.maxN).contains(n) else {
            throw .invalidValue(field: "n", value: "\(n)", expected: "an integer from 1 to \(configuration.maxN) (the server's --max-n)")
        }
        if strategy != nil, n != 1 {
            throw .invalidValue(field: "n", value: "\(n)", expected: "1 when a strategy answers (the strategy decides how many samples to draw)")
        }
        let temperature = temperature ?? 1
        guard temperature.isFinite, (0...2).contains(temperature) else {
            throw .invalidValue(field: "temperature", value: "\(temperature)", expected: "a number from 0 to 2")
        }
        if let topP, !(topP.isFinite && topP > 0 && topP <= 1) {
            throw .invalidValue(field: "top_p", value: "\(topP)", expected: "a number greater than 0 and at most 1")
        }
        if let topK, topK < -1 {
            throw .invalidValue(field: "top_k", value: "\(topK)", expected: "a positive integer, or -1 or 0 for no top-k cut")
        }
        if let minP, !(minP.isFinite && (0...1).contains(minP)) {
            throw .invalidValue(field: "min_p", value: "\(minP)", expected: "a number from 0 to 1")
        }
        for (name, value) in [("presence_penalty", presencePenalty), ("frequency_penalty", frequencyPenalty)] {
            if let value, !(value.isFinite && (-2...2).contains(value)) {
                throw .invalidValue(field: name, value: "\(value)", expected: "a number from -2 to 2")
            }
        }
        let stops = stop?.values ?? []
        guard stops.count <= 4 else {
            throw .invalidValue(field: "stop", value: "\(stops.count) sequences", expected: "at most 4 stop sequences")
        }
        if let empty = stops.firstIndex(of: "") {
            throw .invalidValue(field: "stop[\(empty)]", value: "\"\"", expected: "a non-empty string")
        }

        let limit = min(configuration.maxTokensLimit ?? model.contextLength, model.contextLength)
        let maxTokens = maxTokens ?? min(defaultMaxTokens, limit)
        guard (1...limit).contains(maxTokens) else {
            throw .invalidValue(field: maxTokensField, value: "\(maxTokens)", expected: "an integer from 1 to \(limit)")
        }
        let promptTokens: Int
        do { promptTokens = try await model.countTokens(prompt) } catch {
            throw .invalidValue(field: "prompt", value: "(could not be tokenised)", expected: "text the model's tokenizer accepts: \(error)")
        }
        guard promptTokens > 0 else {
            // Text of characters the tokenizer has no tokens for (control characters, say).
            let field = if case .messages = prompt { "messages" } else { "prompt" }
            throw .invalidValue(field: field, value: "(no tokens)", expected: "text the model's tokenizer turns into at least one token")
        }
        guard promptTokens + maxTokens <= model.contextLength else {
            let field = if case .messages = prompt { "messages" } else { "prompt" }
            throw .contextExceeded(field: field, promptTokens: promptTokens, maxTokens: maxTokens, contextLength: model.contextLength)
        }
        if let strategy {
            try configuration.strategyLimits.check(strategy, defaultSamples: configuration.defaultStrategySamples, maxTokens: maxTokens,
                                                   field: reference.strategy != nil ? "model" : "quorum.strategy")
        }

        let parameters = SamplingParameters(
            temperature: temperature, topK: topK.flatMap { $0 > 0 ? $0 : nil }, topP: topP, minP: minP.flatMap { $0 > 0 ? $0 : nil },
            frequencyPenalty: frequencyPenalty, presencePenalty: presencePenalty,
            maxTokens: maxTokens, stop: stops, logprobs: logprobs)
        let first = seed.map { UInt64(bitPattern: $0) } ?? UInt64.random(in: 0 ... UInt64.max)
        return GenerationPlan(
            prompt: prompt, parameters: parameters, seeds: (0..<n).map { first &+ UInt64($0) }, strategy: strategy,
            strategyProgress: quorum?.progress ?? true, stream: stream ?? false,
            includeUsage: streamOptions?.includeUsage ?? false, logprobs: logprobs, requestedModel: requestedModel, echoPrompt: echo)
    }

    /// The strategy from `STRATEGY@MODEL` or `quorum.strategy` (both may be given only if they agree).
    private func strategySpec(fromModel prefix: String?, field: String?) throws(ServerError) -> StrategySpec? {
        var specs: [StrategySpec] = []
        for (text, name) in [(prefix, "model"), (field, "quorum.strategy")] {
            guard let text else { continue }
            let spec: StrategySpec
            do { spec = try StrategySpec(parsing: text) } catch { throw .invalidStrategy(field: name, detail: error.description) }
            do { _ = try spec.makeStrategy() } catch { throw .invalidStrategy(field: name, detail: error.description) }
            if let samples = spec.samples, samples > configuration.maxN {
                throw .invalidStrategy(field: name, detail: "\(samples) samples; this server allows at most \(configuration.maxN) (its --max-n).")
            }
            if spec.options["score"] == "verifier" {
                throw .invalidStrategy(field: name, detail: "score=verifier needs a reference answer, which a chat request has none of; use score=logprob or score=judge.")
            }
            if spec.name == "adaptive", spec.options["rule"] == "verified" {
                throw .invalidStrategy(field: name, detail: "adaptive:verified needs a verifier and a reference answer, which a chat request has none of; "
                                       + "use adaptive:adaptive-consistency, adaptive:esc or adaptive:confidence.")
            }
            specs.append(spec)
        }
        if specs.count == 2, specs[0] != specs[1] {
            throw .invalidStrategy(field: "quorum.strategy",
                                   detail: "'\(specs[1])' differs from '\(specs[0])' in the model name; give the strategy once.")
        }
        return specs.first
    }
}
