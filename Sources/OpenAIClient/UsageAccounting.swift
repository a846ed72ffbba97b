/// How a response's `usage` becomes each sample's token counts.
///
/// OpenAI's `usage` is per response: `prompt_tokens` once, `completion_tokens` summed over
/// all `n` choices. Quorum's `Completion` is per sample, so:
/// - prompt tokens: every sample gets `prompt_tokens` (the prompt's length, as the
///   embedded engine reports it; the server prefilled it once);
/// - completion tokens: a choice whose chosen-token log-probabilities came back gets their
///   count (exact: one entry per generated token); with one choice it gets
///   `completion_tokens`; otherwise `completion_tokens` is split over the choices in
///   proportion to their text's UTF-8 length, by largest remainder, so the samples'
///   counts add up to exactly what the server billed;
/// - a response without `usage` counts 0 tokens (except the log-probability counts).
public enum UsageAccounting {
    /// One choice as the split sees it.
    public struct Choice: Sendable, Hashable {
        /// UTF-8 bytes of the generated text.
        public var textBytes: Int
        /// Tokens counted from the returned log-probabilities, when there are any.
        public var logprobTokens: Int?

        public init(textBytes: Int, logprobTokens: Int? = nil) {
            self.textBytes = textBytes
            self.logprobTokens = logprobTokens
        }
    }

    /// Completion tokens per choice, following the rules above.
    public static func completionTokens(total: Int?, choices: [Choice]) -> [Int] {
        if choices.allSatisfy({ $0.logprobTokens != nil }) { return choices.map { $0.logprobTokens! } }
        guard let total, total > 0, !choices.isEmpty else { return choices.map { $0.logprobTokens ?? 0 } }
        if choices.count == 1 { return [total] }
        let weights = choices.map { Double(max($0.textBytes, 0)) }
        let weightSum = weights.reduce(0, +)
        // No text at all: split evenly.
        let shares = weightSum > 0 ? weights.map { Double(total) * $0 / weightSum } : choices.map { _ in Double(total) / Double(choices.count) }
        var counts = shares.map { Int($0.rounded(.down)) }
        let leftover = total - counts.reduce(0, +)
        // Largest remainder (Hamilton): the biggest fractional parts get one token each; ties go to the earlier choice.
        let order = shares.indices.sorted { (shares[$0] - shares[$0].rounded(.down), -$0) > (shares[$1] - shares[$1].rounded(.down), -$1) }
        for i in order.prefix(leftover) { counts[i] += 1 }
        return counts
    }
}
