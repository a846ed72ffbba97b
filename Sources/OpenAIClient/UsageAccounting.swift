/// How a response's `usage` becomes each sample's token counts.
///
/// OpenAI's `usage` is per response: `prompt_tokens` once, `completion_tokens` summed over
/// all `n` choices. Quorum's `Completion` is per sample, so:
/// - prompt tokens: every sample gets `prompt_tokens` (the prompt's length, as the
///   embedded engine reports it; the server prefilled it once);
/// - completion tokens: with one choice, `completion_tokens`; with several,
///   `completion_tokens` split over the choices in proportion to their chosen-token
///   log-probability counts when every choice has them (they can miss the end-of-text
///   token, which usage counts), else to their text's UTF-8 length; by largest remainder,
///   so the samples' counts add up to exactly what the server billed;
/// - a response without `usage` counts each choice's log-probability entries, or 0.
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
        let logprobCounts = choices.allSatisfy { $0.logprobTokens != nil } ? choices.map { $0.logprobTokens! } : nil
        guard let total, total > 0, !choices.isEmpty else { return choices.map { $0.logprobTokens ?? 0 } }
        if choices.count == 1 { return [total] }
        let weights = (logprobCounts ?? choices.map(\.textBytes)).map { Double(max($0, 0)) }
        let weightSum = weights.reduce(0, +)
        // Nothing to weigh by: split evenly.
        let shares = weightSum > 0 ? weights.map { Double(total) * $0 / weightSum } : choices.map { _ in Double(total) / Double(choices.count) }
        var counts = shares.map { Int($0.rounded(.down)) }
        let leftover = total - counts.reduce(0, +)
        // Largest remainder (Hamilton): the biggest fractional parts get one token each; ties go to the earlier choice.
        let order = shares.indices.sorted { (shares[$0] - shares[$0].rounded(.down), -$0) > (shares[$1] - shares[$1].rounded(.down), -$1) }
        for i in order.prefix(leftover) { counts[i] += 1 }
        return counts
    }
}
