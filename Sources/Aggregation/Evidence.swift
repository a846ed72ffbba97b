import ScalingCore

/// Why a strategy answered as it did: the samples it saw and how it chose among them.
///
/// Encoded as `{"kind": "vote", "vote": {…}}` (the kind names the field that holds the details).
public enum Evidence: Sendable, Hashable {
    /// A single sample, no selection.
    case single(EvidenceSample)
    /// A (weighted) majority vote over answer classes.
    case vote(VoteEvidence)
    /// The best-scoring sample.
    case bestOfN(BestOfNEvidence)
    /// A Mixture-of-Agents synthesis, layer by layer.
    case synthesis(SynthesisEvidence)
    /// Samples drawn in waves until a stopping rule fired, then a vote (`AdaptiveSampling`).
    case adaptive(AdaptiveEvidence)
}

/// One sample a strategy drew, as the evidence shows it.
public struct EvidenceSample: Codable, Sendable, Hashable {
    /// Position in the strategy's sample order (0-based).
    public var index: Int
    public var seed: UInt64?
    public var text: String
    /// The answer compared in a vote (nil: none found).
    public var answer: String?
    /// Its answer class in a vote (nil: it did not vote).
    public var answerClass: Int?
    /// Its score (mean log-probability, judge score, vote weight), when scored.
    public var score: Double?
    /// How the score came about: the judge's reply, the verifier's verdict.
    public var scoreDetail: String?
    public var completionTokens: Int
    /// `stop`, `length` or `error`, as `Completion.finishReason` reports it.
    public var finishReason: String

    public init(index: Int, seed: UInt64?, text: String, answer: String? = nil, answerClass: Int? = nil,
                score: Double? = nil, scoreDetail: String? = nil, completionTokens: Int, finishReason: String) {
        self.index = index
        self.seed = seed
        self.text = text
        self.answer = answer
        self.answerClass = answerClass
        self.score = score
        self.scoreDetail = scoreDetail
        self.completionTokens = completionTokens
        self.finishReason = finishReason
    }
}

/// One answer class of a vote.
public struct VoteClass: Codable, Sendable, Hashable {
    /// The answer of the class's first member, as written.
    public var answer: String
    /// Indices of the samples in the class, in sample order.
    public var members: [Int]
    /// The class's total weight: its member count for an unweighted vote.
    public var weight: Double
}

/// A vote: every class with its members and weight, the winner, and any tie.
public struct VoteEvidence: Codable, Sendable, Hashable {
    /// `count`, `exp(mean logprob)`, or the name of the score used as weight.
    public var weighting: String
    public var grouping: AnswerGrouping
    public var samples: [EvidenceSample]
    /// Classes in order of first occurrence.
    public var classes: [VoteClass]
    /// The winning class index; nil when no sample had an answer.
    public var winner: Int?
    /// The classes that tied for the top weight, when more than one did.
    public var tiedClasses: [Int]
    /// The tie rule, always stated: `Vote.tieRule`.
    public var tieRule: String
    /// Samples that did not vote (no answer found), in sample order.
    public var abstained: [Int]
}

/// Best-of-N: every sample's score and the one chosen.
public struct BestOfNEvidence: Codable, Sendable, Hashable {
    /// `mean-logprob`, `judge` or `verifier:<name>`.
    public var scorer: String
    public var samples: [EvidenceSample]
    /// Index of the chosen sample.
    public var chosen: Int
    /// The selection and tie rule, stated.
    public var rule: String
    /// Anything the reader should know (unparseable judge replies, no sample passing).
    public var notes: [String]
    /// Pairwise judge only: every comparison in bracket order, with both judge calls.
    public var comparisons: [PairwiseComparison]? = nil
}

/// One call of a Mixture-of-Agents layer.
public struct SynthesisCall: Codable, Sendable, Hashable {
    public var model: String
    /// The responses injected into this call's prompt, in the order numbered (empty for proposers of layer 1).
    public var references: [String]
    /// Prompt tokens of the call, as the provider reported them.
    public var promptTokens: Int
    /// The responses this call produced (one per sample).
    public var outputs: [String]
}

/// One layer (or, for Self-MoA-Seq, one step) of a synthesis.
public struct SynthesisLayer: Codable, Sendable, Hashable {
    /// `proposals` or `aggregation`.
    public var role: String
    public var calls: [SynthesisCall]
}

/// A Mixture-of-Agents run: every layer's inputs and outputs, and the context it needed.
public struct SynthesisEvidence: Codable, Sendable, Hashable {
    /// `moa`, `self-moa` or `self-moa-seq`.
    public var method: String
    public var layers: [SynthesisLayer]
    /// The aggregator's context length, tokens, when it was checked.
    public var contextLimit: Int?
    /// The longest aggregator prompt sent, tokens.
    public var largestAggregatorPrompt: Int
}

extension EvidenceSample {
    init(_ completion: Completion, index: Int) {
        self.init(index: index, seed: completion.seed, text: completion.text,
                  completionTokens: completion.completionTokens, finishReason: completion.finishReason.rawValue)
    }
}

extension Evidence: Codable {
    private enum CodingKeys: String, CodingKey { case kind, single, vote, bestOfN, synthesis, adaptive }

    /// `single`, `vote`, `bestOfN`, `synthesis` or `adaptive`.
    public var kind: String {
        switch self {
        case .single: "single"
        case .vote: "vote"
        case .bestOfN: "bestOfN"
        case .synthesis: "synthesis"
        case .adaptive: "adaptive"
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try c.decode(String.self, forKey: .kind)
        switch kind {
        case "single": self = .single(try c.decode(EvidenceSample.self, forKey: .single))
        case "vote": self = .vote(try c.decode(VoteEvidence.self, forKey: .vote))
        case "bestOfN": self = .bestOfN(try c.decode(BestOfNEvidence.self, forKey: .bestOfN))
        case "synthesis": self = .synthesis(try c.decode(SynthesisEvidence.self, forKey: .synthesis))
        case "adaptive": self = .adaptive(try c.decode(AdaptiveEvidence.self, forKey: .adaptive))
        default:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c,
                                                   debugDescription: "Unknown evidence kind '\(kind)'; expected single, vote, bestOfN, synthesis or adaptive.")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        switch self {
        case .single(let value): try c.encode(value, forKey: .single)
        case .vote(let value): try c.encode(value, forKey: .vote)
        case .bestOfN(let value): try c.encode(value, forKey: .bestOfN)
        case .synthesis(let value): try c.encode(value, forKey: .synthesis)
        case .adaptive(let value): try c.encode(value, forKey: .adaptive)
        }
    }
}
