/// New text of one sample, reported while it is generated.
public struct CompletionDelta: Sendable, Hashable {
    /// The sample's position in the request (`0..<seeds.count`).
    public var sampleIndex: Int
    /// Text that follows what earlier deltas of this sample carried.
    public var text: String
    /// The log-probabilities of the tokens this delta's text came from (when asked for),
    /// as OpenAI streams them with each chunk. A token whose text is held back (part of a
    /// character, a possible stop string) arrives with the delta that finally shows it;
    /// tokens whose text never shows (a stop string) are in no delta, only in the
    /// sample's `DetailedCompletion.tokenLogprobs`, which every delta's entries begin.
    public var tokenLogprobs: [GeneratedTokenLogprob]

    public init(sampleIndex: Int, text: String, tokenLogprobs: [GeneratedTokenLogprob] = []) {
        self.sampleIndex = sampleIndex
        self.text = text
        self.tokenLogprobs = tokenLogprobs
    }
}

/// One generated token's log-probability with the most likely tokens at its position,
/// for servers that return per-token log-probabilities (OpenAI's `logprobs`).
public struct GeneratedTokenLogprob: Sendable, Hashable {
    /// One candidate token at a position.
    public struct Candidate: Sendable, Hashable {
        /// The token's text (its bytes decoded leniently; a token may hold part of a character).
        public var text: String
        public var bytes: [UInt8]
        /// Natural log of its probability under the sampling distribution before truncation.
        public var logprob: Double

        public init(text: String, bytes: [UInt8], logprob: Double) {
            self.text = text
            self.bytes = bytes
            self.logprob = logprob
        }
    }

    public var chosen: Candidate
    /// The most likely tokens, most likely first.
    public var alternatives: [Candidate]

    public init(chosen: Candidate, alternatives: [Candidate]) {
        self.chosen = chosen
        self.alternatives = alternatives
    }
}

/// A completion with its per-token log-probabilities, when they were asked for.
public struct DetailedCompletion: Sendable, Hashable {
    public var completion: Completion
    /// One entry per generated token when `parameters.logprobs` was set, else nil. A final
    /// end-of-text token is left out, as OpenAI-compatible servers leave it out: these are
    /// the tokens whose log-probabilities sum to `completion.logprobSum`.
    public var tokenLogprobs: [GeneratedTokenLogprob]?

    public init(completion: Completion, tokenLogprobs: [GeneratedTokenLogprob]? = nil) {
        self.completion = completion
        self.tokenLogprobs = tokenLogprobs
    }
}

/// A provider that reports text as it is generated, and per-token log-probabilities.
/// The server streams through it; providers without it stream each sample's whole
/// text once it is done (`CompletionProvider.completeStreaming`).
public protocol StreamingCompletionProvider: CompletionProvider {
    /// Like `complete`, calling `onDelta` with each piece of new text of each sample as it
    /// is generated (never text past a stop string).
    func complete(_ request: CompletionRequest,
                  onDelta: @escaping @Sendable (CompletionDelta) -> Void) async throws -> [DetailedCompletion]
}

extension CompletionProvider {
    /// Samples `request`, reporting text through `onDelta`: token by token from a
    /// `StreamingCompletionProvider`, else each sample's whole text when the call returns.
    public func completeStreaming(_ request: CompletionRequest,
                                  onDelta: @escaping @Sendable (CompletionDelta) -> Void) async throws -> [DetailedCompletion] {
        if let streaming = self as? any StreamingCompletionProvider {
            return try await streaming.complete(request, onDelta: onDelta)
        }
        let completions = try await complete(request)
        for (index, completion) in completions.enumerated() where !completion.text.isEmpty {
            onDelta(CompletionDelta(sampleIndex: index, text: completion.text))
        }
        return completions.map { DetailedCompletion(completion: $0) }
    }
}
