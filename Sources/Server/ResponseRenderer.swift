import Foundation
import OpenAIAPI
import ScalingCore

/// Renders outcomes in one endpoint's shape: chat completions or legacy completions,
/// whole or as server-sent-event chunks.
struct ResponseRenderer: Sendable {
    enum Endpoint: Sendable { case chat, text }

    let endpoint: Endpoint
    let plan: GenerationPlan
    let id: String
    let created: Int
    private let encoder = OpenAIJSON.makeEncoder()

    init(endpoint: Endpoint, plan: GenerationPlan) {
        self.endpoint = endpoint
        self.plan = plan
        id = (endpoint == .chat ? "chatcmpl-" : "cmpl-") + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        created = Int(Date().timeIntervalSince1970)
    }

    // MARK: Whole responses

    func response(_ outcome: GenerationOutcome) -> Data {
        switch endpoint {
        case .chat:
            let choices = outcome.choices.enumerated().map { index, choice in
                ChatCompletionChoice(index: index, message: ChatCompletionMessage(role: "assistant", content: choice.completion.text),
                                     logprobs: chatLogprobs(of: choice), finishReason: choice.completion.finishReason.rawValue)
            }
            return encode(ChatCompletionResponse(id: id, created: created, model: plan.requestedModel, choices: choices,
                                                 usage: outcome.usage, quorum: outcome.quorum))
        case .text:
            let choices = outcome.choices.enumerated().map { index, choice in
                TextCompletionChoice(index: index, text: (plan.echoPrompt ?? "") + choice.completion.text,
                                     logprobs: textLogprobs(of: choice), finishReason: choice.completion.finishReason.rawValue)
            }
            return encode(TextCompletionResponse(id: id, created: created, model: plan.requestedModel, choices: choices,
                                                 usage: outcome.usage, quorum: outcome.quorum))
        }
    }

    // MARK: Stream chunks (each already framed as `data: …\n\n`)

    /// The first chunk of a choice: the role (chat), or the echoed prompt (legacy).
    func opening(choice index: Int) -> Data? {
        switch endpoint {
        case .chat: return event(chatChunk([ChatCompletionChunkChoice(index: index, delta: ChatCompletionDelta(role: "assistant", content: ""))]))
        case .text: return plan.echoPrompt.map { event(textChunk([TextCompletionChoice(index: index, text: $0, finishReason: nil)])) }
        }
    }

    /// New text of a choice, with the log-probabilities of its tokens when they were asked
    /// for (OpenAI streams them with each content chunk). `textOffset` is the legacy
    /// offset of the first of `tokens` in the choice's text (echo included).
    func delta(choice index: Int, text: String, tokens: [GeneratedTokenLogprob] = [], textOffset: Int = 0) -> Data {
        switch endpoint {
        case .chat:
            event(chatChunk([ChatCompletionChunkChoice(index: index, delta: ChatCompletionDelta(content: text),
                                                       logprobs: chatLogprobs(tokens))]))
        case .text:
            event(textChunk([TextCompletionChoice(index: index, text: text, logprobs: textLogprobs(tokens, startingAt: textOffset),
                                                  finishReason: nil)]))
        }
    }

    /// The last chunk of a choice: its finish reason, the log-probabilities of tokens no
    /// delta carried (those of a stop string, whose text is never shown) and, for a
    /// strategy, the evidence.
    func closing(choice index: Int, _ choice: DetailedCompletion, remainingTokens: [GeneratedTokenLogprob], textOffset: Int,
                 quorum: QuorumResponseInfo?) -> Data {
        let reason = choice.completion.finishReason.rawValue
        let tokens = choice.tokenLogprobs == nil ? nil : remainingTokens
        switch endpoint {
        case .chat:
            return event(chatChunk([ChatCompletionChunkChoice(index: index, delta: ChatCompletionDelta(),
                                                               logprobs: tokens.flatMap { chatLogprobs($0) }, finishReason: reason)],
                                   quorum: quorum))
        case .text:
            return event(textChunk([TextCompletionChoice(index: index, text: "",
                                                         logprobs: tokens.flatMap { textLogprobs($0, startingAt: textOffset) },
                                                         finishReason: reason)],
                                   quorum: quorum))
        }
    }

    func progress(_ progress: StrategyProgress, strategy: String) -> Data {
        let info = QuorumResponseInfo(strategy: strategy, progress: progress)
        switch endpoint {
        case .chat: return event(chatChunk([], quorum: info))
        case .text: return event(textChunk([], quorum: info))
        }
    }

    /// The chunk `stream_options.include_usage` asks for: no choices, the usage.
    func usage(_ usage: Usage) -> Data {
        switch endpoint {
        case .chat: event(chatChunk([], usage: usage))
        case .text: event(textChunk([], usage: usage))
        }
    }

    /// An error after the response has started: an `error` event the openai clients raise.
    func error(_ error: ServerError) -> Data { event(error.body) }

    static let done = Data("data: [DONE]\n\n".utf8)

    // MARK: Pieces

    private func chatChunk(_ choices: [ChatCompletionChunkChoice], usage: Usage? = nil, quorum: QuorumResponseInfo? = nil) -> ChatCompletionChunk {
        ChatCompletionChunk(id: id, created: created, model: plan.requestedModel, choices: choices, usage: usage, quorum: quorum)
    }

    private func textChunk(_ choices: [TextCompletionChoice], usage: Usage? = nil, quorum: QuorumResponseInfo? = nil) -> TextCompletionChunk {
        TextCompletionChunk(id: id, created: created, model: plan.requestedModel, choices: choices, usage: usage, quorum: quorum)
    }

    private func chatLogprobs(of choice: DetailedCompletion) -> ChatLogprobs? {
        choice.tokenLogprobs.flatMap { chatLogprobs($0) }
    }

    private func textLogprobs(of choice: DetailedCompletion) -> TextLogprobs? {
        choice.tokenLogprobs.flatMap { textLogprobs($0, startingAt: plan.echoPrompt?.count ?? 0) }
    }

    /// Chat's shape for `tokens`; nil when log-probabilities were not asked for.
    private func chatLogprobs(_ tokens: [GeneratedTokenLogprob]) -> ChatLogprobs? {
        guard plan.logprobs != nil else { return nil }
        return ChatLogprobs(content: tokens.map { token in
            TokenLogprob(token: token.chosen.text, logprob: token.chosen.logprob, bytes: token.chosen.bytes.map(Int.init),
                         topLogprobs: token.alternatives.map { TopLogprob(token: $0.text, logprob: $0.logprob, bytes: $0.bytes.map(Int.init)) })
        })
    }

    /// Legacy parallel arrays for `tokens`; offsets count characters of the returned text
    /// (echo included), from `start`, the offset of the first of `tokens`.
    private func textLogprobs(_ tokens: [GeneratedTokenLogprob], startingAt start: Int) -> TextLogprobs? {
        guard plan.logprobs != nil else { return nil }
        var offset = start
        var offsets: [Int] = []
        for token in tokens {
            offsets.append(offset)
            offset += token.chosen.text.count
        }
        return TextLogprobs(
            tokens: tokens.map(\.chosen.text), tokenLogprobs: tokens.map(\.chosen.logprob),
            topLogprobs: tokens.map { token in
                Dictionary(token.alternatives.map { ($0.text, $0.logprob) }, uniquingKeysWith: { first, _ in first })
            },
            textOffset: offsets)
    }

    /// Characters `tokens` add to the legacy text offsets.
    static func offsetAdvance(_ tokens: [GeneratedTokenLogprob]) -> Int {
        tokens.reduce(0) { $0 + $1.chosen.text.count }
    }

    private func encode(_ value: some Encodable) -> Data {
        (try? encoder.encode(value)) ?? Data("{}".utf8)
    }

    private func event(_ value: some Encodable) -> Data {
        Data("data: ".utf8) + encode(value) + Data("\n\n".utf8)
    }
}
