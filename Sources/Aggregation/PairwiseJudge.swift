import Foundation
import ScalingCore

/// How best-of-N by a pairwise judge pairs its candidates.
public enum PairwiseBracket: String, Codable, Sendable, Hashable, CaseIterable {
    /// Single elimination in sample order: (0, 1), (2, 3), …; an odd candidate out advances
    /// without a match (a bye); winners meet in the next round. n − 1 comparisons.
    case knockout
    /// Every pair meets once: a win scores 1, a tie ½ to each; the most points wins.
    /// n(n − 1)/2 comparisons.
    case roundRobin = "round-robin"

    /// Comparisons a bracket of `candidates` makes (each comparison is two judge calls).
    public func comparisons(candidates n: Int) -> Int {
        guard n > 1 else { return 0 }
        return self == .knockout ? n - 1 : n * (n - 1) / 2
    }
}

/// What a pairwise judge said about one ordering of two responses.
public enum PairwiseVerdict: String, Codable, Sendable, Hashable {
    /// Response A (shown first) is better: `[[A]]`.
    case first = "A"
    /// Response B (shown second) is better: `[[B]]`.
    case second = "B"
    /// Neither: `[[C]]`.
    case tie = "C"
}

/// One judge call: two samples in one order, the verdict read and the raw reply.
public struct PairwiseJudgement: Codable, Sendable, Hashable {
    /// The sample index shown as assistant A (first), and as assistant B.
    public var shownFirst: Int
    public var shownSecond: Int
    /// The verdict read from the reply; nil when the reply had none (counted as a tie).
    public var verdict: PairwiseVerdict?
    /// The judge's reply, as written.
    public var reply: String
    /// The judge prompt's tokens (as the provider counted them) and the reply's.
    public var promptTokens: Int
    public var completionTokens: Int
}

/// One comparison of two samples: both orders, and who won.
public struct PairwiseComparison: Codable, Sendable, Hashable {
    /// Knockout round (1-based); 1 for every round-robin comparison.
    public var round: Int
    /// The two sample indices, the earlier first.
    public var candidates: [Int]
    /// The judge calls: the earlier sample shown first, then the two swapped.
    public var judgements: [PairwiseJudgement]
    /// The winning sample; nil for a tie (the orders disagree, or neither preferred one).
    public var winner: Int?
    /// Knockout: the sample that went on (the winner, or on a tie the earlier sample).
    public var advanced: Int?
}

/// The pairwise judge prompt of best-of-N and how its reply is read.
///
/// Modelled on MT-Bench's pairwise comparison prompt (`pair-v2`, Zheng et al. 2023, "Judging
/// LLM-as-a-Judge with MT-Bench and Chatbot Arena", FastChat `llm_judge`): an impartial judge,
/// the question, the two answers between `[The Start of Assistant A's Answer]` markers, and
/// the verdict as `[[A]]`, `[[B]]` or `[[C]]` for a tie. Unlike pair-v2 it asks for the verdict
/// alone, without an explanation first, so the judge needs a few tokens rather than hundreds.
public enum PairwiseJudgePrompt {
    public static let instruction = """
        Please act as an impartial judge and decide which of two AI assistants answered the user question below \
        better. Judge correctness first, then helpfulness and clarity. The order in which the answers are shown \
        and their length must not influence you. Reply with your verdict only, in exactly this format: "[[A]]" if \
        assistant A is better, "[[B]]" if assistant B is better, "[[C]]" for a tie.
        """

    /// The judge's prompt: `first` shown as assistant A, `second` as assistant B.
    public static func prompt(question: ProblemPrompt, first: String, second: String) -> ProblemPrompt {
        .messages([
            ChatMessage(role: "system", content: instruction),
            ChatMessage(role: "user", content: """
                [User Question]
                \(MixtureOfAgentsPrompt.lastUserText(question))

                [The Start of Assistant A's Answer]
                \(first)
                [The End of Assistant A's Answer]

                [The Start of Assistant B's Answer]
                \(second)
                [The End of Assistant B's Answer]

                [Your verdict]
                """),
        ])
    }

    /// The verdict in a judge's reply, or nil when it has none.
    ///
    /// Reads, in order, the last of: `[[A]]`, `[[B]]`, `[[C]]` (or `[[tie]]`); `Verdict: A`
    /// (or `Winner:`, `Better:`, optionally `Assistant A`); `Assistant A is better`; a reply
    /// that is only `A`, `B`, `C` or `tie` (with brackets or punctuation). Letters must be
    /// capitals, so "a tie" is not read as A. Anything else is nil, which counts as a tie.
    public static func parseVerdict(_ reply: String) -> PairwiseVerdict? {
        let letter = #"(A|B|C|[Tt][Ii][Ee])"#
        let patterns = [
            #"\[\[\s*"# + letter + #"\s*\]\]"#,
            #"(?:[Vv]erdict|[Ww]inner|[Bb]etter(?: answer)?)\s*(?:is)?\s*[:=]?\s*\**\s*(?:[Aa]ssistant\s+)?\[?"# + letter + #"\b"#,
            #"(?:[Aa]ssistant|[Aa]nswer|[Rr]esponse)\s+(A|B)\s+is\s+better"#,
            #"^\W*"# + letter + #"\W*$"#,
        ]
        for pattern in patterns {
            guard let regex = try? NSRegularExpression(pattern: pattern) else { continue }
            let range = NSRange(reply.startIndex..., in: reply)
            guard let match = regex.matches(in: reply, range: range).last,
                  let r = Range(match.range(at: 1), in: reply) else { continue }
            switch reply[r].uppercased() {
            case "A": return .first
            case "B": return .second
            default: return .tie
            }
        }
        return nil
    }
}

/// Runs a pairwise-judge bracket over candidates, with both orders per comparison.
///
/// Position bias (MT-Bench §3.3): each comparison asks the judge twice, the earlier sample
/// shown first, then the two swapped. As MT-Bench does with swapped positions, a sample wins
/// only when both orders prefer it; disagreeing orders, a tie in either order, or an
/// unparseable reply make the comparison a tie. Ties are broken deterministically: in a
/// knockout the earlier sample advances; in a round robin each gets ½ point and equal points
/// go to the earlier sample (`BestOfN.best`).
struct PairwiseTournament {
    let bracket: PairwiseBracket
    /// Asks the judge about `first` (shown as A) against `second` (shown as B).
    let judge: (_ first: Int, _ second: Int) async throws -> PairwiseJudgement

    static let rule = """
        each pair judged in both orders; a sample wins a comparison only when both orders prefer it, else it is a tie \
        (unparseable replies count as ties); knockout in sample order with byes for the last odd candidate, ties \
        advance the earlier sample; round robin scores 1 per win and ½ per tie, equal points go to the earlier sample
        """

    /// The comparisons made, the chosen candidate and per candidate its score (knockout:
    /// comparisons won; round robin: points).
    func run(candidates n: Int) async throws -> (comparisons: [PairwiseComparison], chosen: Int, scores: [Double]) {
        var comparisons: [PairwiseComparison] = []
        var scores = [Double](repeating: 0, count: n)
        func compare(_ a: Int, _ b: Int, round: Int) async throws -> PairwiseComparison {
            let forward = try await judge(a, b)
            let swapped = try await judge(b, a)
            let first = Self.preferred(forward)
            let second = Self.preferred(swapped)
            let winner = first != nil && first == second ? first : nil
            return PairwiseComparison(round: round, candidates: [a, b], judgements: [forward, swapped], winner: winner)
        }
        switch bracket {
        case .knockout:
            var alive = Array(0..<n)
            var round = 1
            while alive.count > 1 {
                var next: [Int] = []
                for pair in stride(from: 0, to: alive.count - 1, by: 2) {
                    var comparison = try await compare(alive[pair], alive[pair + 1], round: round)
                    let advanced = comparison.winner ?? alive[pair]
                    comparison.advanced = advanced
                    if let winner = comparison.winner { scores[winner] += 1 }
                    comparisons.append(comparison)
                    next.append(advanced)
                }
                if alive.count % 2 == 1 { next.append(alive[alive.count - 1]) }
                alive = next
                round += 1
            }
            return (comparisons, alive.first ?? 0, scores)
        case .roundRobin:
            for a in 0..<n {
                for b in (a + 1)..<n {
                    let comparison = try await compare(a, b, round: 1)
                    if let winner = comparison.winner {
                        scores[winner] += 1
                    } else {
                        scores[a] += 0.5
                        scores[b] += 0.5
                    }
                    comparisons.append(comparison)
                }
            }
            return (comparisons, BestOfN.best(scores), scores)
        }
    }

    /// The sample a judgement prefers; nil for a tie or no verdict.
    static func preferred(_ judgement: PairwiseJudgement) -> Int? {
        switch judgement.verdict {
        case .first?: judgement.shownFirst
        case .second?: judgement.shownSecond
        case .tie?, nil: nil
        }
    }
}
