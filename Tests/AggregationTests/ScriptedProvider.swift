import ScalingCore

/// A provider that answers from a script and records every request, so tests can check
/// the calls a strategy makes and choose the samples it sees.
actor ScriptedProvider: CompletionProvider {
    nonisolated let modelName: String
    /// Per request: the texts and log-probabilities (mean per token) to return.
    private let respond: @Sendable (CompletionRequest, Int) -> [(text: String, meanLogprob: Double?)]
    private(set) var requests: [CompletionRequest] = []

    init(modelName: String = "scripted",
         respond: @escaping @Sendable (CompletionRequest, Int) -> [(text: String, meanLogprob: Double?)]) {
        self.modelName = modelName
        self.respond = respond
    }

    /// Returns `texts` for the first request's samples, then `"synthesis <k>"` for every later request.
    init(samples texts: [String], logprobs: [Double?]? = nil) {
        self.init { request, index in
            if index == 0 {
                return request.seeds.indices.map { (texts[$0 % texts.count], logprobs?[$0 % texts.count]) }
            }
            return request.seeds.map { _ in ("synthesis \(index)", nil) }
        }
    }

    func complete(_ request: CompletionRequest) async throws -> [Completion] {
        let index = requests.count
        requests.append(request)
        let script = respond(request, index)
        return zip(request.seeds, script).map { seed, item in
            // Five tokens per sample, so the log-probability sum is 5 × the mean.
            Completion(text: item.text, finishReason: .stop, seed: seed, promptTokens: 10, completionTokens: 5,
                       seconds: 0, logprobSum: request.parameters.logprobs == nil ? nil : item.meanLogprob.map { $0 * 5 })
        }
    }
}

extension ProblemPrompt {
    /// The system message of a chat prompt (nil for text or no system message).
    var systemMessage: String? {
        guard case .messages(let messages) = self else { return nil }
        return messages.first(where: { $0.role == "system" })?.content
    }
}
