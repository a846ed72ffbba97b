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
                                     logprobs: chatLogprobs(choice), finishReason: choice.completion.finishReason.rawValue)
            }
            return encode(ChatCompletionResponse(id: id, created: created, model: plan.requestedModel, choices: choices,
                                                 usage: outcome.usage, quorum: outcome.quorum))
        case .text:
            let choices = outcome.choices.enumerated().map { index, choice in
                TextCompletionChoice(index: index, text: (plan.echoPrompt ?? "") + choice.completion.text,
                                     logprobs: textLogprobs(choice), finishReason: choice.completion.finishReason.rawValue)
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

    func delta(choice index: Int, text: String) -> Data {
        switch endpoint {
        case .chat: event(chatChunk([ChatCompletionChunkChoice(index: index, delta: ChatCompletionDelta(content: text))]))
        case .text: event(textChunk([TextCompletionChoice(index: index, text: text, finishReason: nil)]))
        }
    }

    /// The last chunk of a choice: its finish reason, its log-probabilities (sent whole here,
    /// not token by token) and, for a strategy, the evidence.
    func closing(choice index: Int, _ choice: DetailedCompletion, quorum: QuorumResponseInfo?) -> Data {
        let reason = choice.completion.finishReason.rawValue
        switch endpoint {
        case .chat:
            return event(chatChunk([ChatCompletionChunkChoice(index: index, delta: ChatCompletionDelta(),
                                                               logprobs: chatLogprobs(choice), finishReason: reason)],
                                   quorum: quorum))
        case .text:
            return event(textChunk([TextCompletionChoice(index: index, text: "", logprobs: textLogprobs(choice), finishReason: reason)],
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

    private func chatLogprobs(_ choice: DetailedCompletion) -> ChatLogprobs? {
        guard plan.logprobs != nil, let tokens = choice.tokenLogprobs else { return nil }
        return ChatLogprobs(content: tokens.map { token in
            TokenLogprob(token: token.chosen.text, logprob: token.chosen.logprob, bytes: token.chosen.bytes.map(Int.init),
                         topLogprobs: token.alternatives.map { TopLogprob(token: $0.text, logprob: $0.logprob, bytes: $0.bytes.map(Int.init)) })
        })
    }

    /// Legacy parallel arrays; offsets count characters of the returned text (echo included).
    private func textLogprobs(_ choice: DetailedCompletion) -> TextLogprobs? {
        guard plan.logprobs != nil, let tokens = choice.tokenLogprobs else { return nil }
        var offset = plan.echoPrompt?.count ?? 0
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

    private func encode(_ value: some Encodable) -> Data {
        (try? encoder.encode(value)) ?? Data("{}".utf8)
    }

    private func event(_ value: some Encodable) -> Data {
        Data("data: ".utf8) + encode(value) + Data("\n\n".utf8)
    }
}
