/// The equivalence class of a sample's final answer: two samples with equal keys gave
/// the same answer (after whatever normalisation the verifier applies).
public enum AnswerKey: Hashable, Sendable, Codable, CustomStringConvertible,
    ExpressibleByStringLiteral, ExpressibleByIntegerLiteral
{
    case text(String)
    case integer(Int)

    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int) { self = .integer(value) }

    /// Decodes a JSON string or integer.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let integer = try? container.decode(Int.self) {
            self = .integer(integer)
        } else {
            self = .text(try container.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .text(let text): try container.encode(text)
        case .integer(let integer): try container.encode(integer)
        }
    }

    public var description: String {
        switch self {
        case .text(let text): text
        case .integer(let integer): String(integer)
        }
    }
}

/// What selection methods need to know about one sample.
public struct SampleOutcome: Sendable, Hashable, Codable {
    /// The answer's equivalence class; `nil` when no answer could be extracted. Samples
    /// without an answer never win a vote, but best-of-N can still pick them.
    public var answer: AnswerKey?
    /// Whether the sample is correct (by the oracle verifier).
    public var isCorrect: Bool
    /// A verifier or reward-model score, higher is better; needed by best-of-N and weighted vote.
    public var score: Double?

    public init(answer: AnswerKey?, isCorrect: Bool, score: Double? = nil) {
        self.answer = answer
        self.isCorrect = isCorrect
        self.score = score
    }
}

/// How one answer is chosen from k samples.
public enum SelectionMethod: String, Sendable, Hashable, Codable, CaseIterable {
    /// maj@k: the most frequent answer (self-consistency).
    case majorityVote
    /// best-of-N@k: the sample with the highest score.
    case bestOfN
    /// The answer with the largest sum of scores (Large Language Monkeys' RM-weighted vote).
    case weightedMajorityVote
}

/// How an expectation over random k-subsets is computed.
public enum Estimation: Sendable, Hashable {
    /// The exact expectation over all C(n, k) subsets (majority vote, best-of-N).
    case exact
    /// The mean over `subsets` random k-subsets drawn without replacement, seeded; Large
    /// Language Monkeys uses 100.
    case monteCarlo(subsets: Int = 100, seed: UInt64 = 0)
}

/// A Monte Carlo estimate: the mean over random subsets and its spread.
public struct MonteCarloEstimate: Sendable, Equatable, Codable {
    public var mean: Double
    /// Standard deviation of the per-subset values (sample std, n − 1).
    public var standardDeviation: Double
    public var subsets: Int
    /// `standardDeviation / sqrt(subsets)`: the error of `mean` as an estimate of the exact value.
    public var standardError: Double { standardDeviation / Double(subsets).squareRoot() }
}
