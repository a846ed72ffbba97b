import Foundation
import ScalingCore
import Tokenizers

/// One problem's verified completions split by the verdict: the winners G^w (correct) and
/// the losers G^l (incorrect), in the order they were sampled.
public struct ProblemCompletions: Sendable, Equatable {
    public var problemID: String
    public var prompt: ProblemPrompt
    public var winners: [String]
    public var losers: [String]

    public init(problemID: String, prompt: ProblemPrompt, winners: [String], losers: [String]) {
        self.problemID = problemID
        self.prompt = prompt
        self.winners = winners
        self.losers = losers
    }
}

/// A preference pair: a prompt, a completion to prefer and one to avoid.
public struct PreferencePair: Sendable, Equatable, Codable {
    public var problemID: String
    public var prompt: ProblemPrompt
    public var chosen: String
    public var rejected: String

    public init(problemID: String, prompt: ProblemPrompt, chosen: String, rejected: String) {
        self.problemID = problemID
        self.prompt = prompt
        self.chosen = chosen
        self.rejected = rejected
    }

    /// Both completions after the same prompt tokens, as the trainer scores them
    /// (`SFTExample.tokenized`: the rendered prompt, the completion, the end-of-turn token).
    public func tokenized(with tokenizer: Tokenizer) -> TokenizedPair {
        TokenizedPair(chosen: SFTExample(prompt: prompt, completion: chosen).tokenized(with: tokenizer),
                      rejected: SFTExample(prompt: prompt, completion: rejected).tokenized(with: tokenizer))
    }
}

/// A pair as token sequences: the two sequences of one pair always share a forward pass,
/// because the loss of each depends on the other's log-probability.
public struct TokenizedPair: Sendable, Equatable, Codable {
    public var chosen: TrainingSequence
    public var rejected: TrainingSequence

    public init(chosen: TrainingSequence, rejected: TrainingSequence) {
        self.chosen = chosen
        self.rejected = rejected
    }

    public var tokenCount: Int { chosen.tokens.count + rejected.tokens.count }
    public var longest: Int { max(chosen.tokens.count, rejected.tokens.count) }
}

/// Iterative RPO's pairing (Pang et al. 2024, §2 step 4; ../shared/docs/METHODS.md §2(a)).
///
/// Per problem, the winners and the losers are each shuffled with a generator seeded by the
/// seed and the problem id (so the pairs do not depend on which problems are present or in
/// what order), then walked together: pair `i` is `(winners[i mod |G^w|], losers[i mod |G^l|])`,
/// the shorter set cycling back to its first element, for `min(K, max(|G^w|, |G^l|))` pairs.
/// Stopping when the longer set is used up is this implementation's reading of "cycle the
/// shorter": it never repeats a pair, where walking on to K would (with one winner and one
/// loser, K copies of the same pair). A problem with an empty side gives no pair.
public enum PreferencePairing {
    /// What pairing made of a run.
    public struct Result: Sendable, Equatable {
        public var pairs: [PreferencePair]
        /// Problems with at least one pair.
        public var problemsPaired = 0
        /// Problems dropped because every sample was correct, or none was.
        public var problemsWithoutWinner = 0
        public var problemsWithoutLoser = 0
        /// Pairs removed by `maximumPairs`' random subsample.
        public var pairsSubsampledAway = 0
    }

    /// - Parameters:
    ///   - problems: each problem's winners and losers (problems without either are counted and dropped).
    ///   - perProblem: K, the most pairs a problem gives.
    ///   - maximumPairs: the paper's cap per iteration (about 60k): when there are more pairs, a seeded
    ///     random subsample of this many is kept, in the original order.
    ///   - seed: fixes the shuffles and the subsample.
    public static func pairs(from problems: [ProblemCompletions], perProblem: Int, maximumPairs: Int? = nil,
                             seed: UInt64) -> Result {
        precondition(perProblem > 0, "PreferencePairing: K must be at least 1")
        var result = Result(pairs: [])
        for problem in problems {
            guard !problem.winners.isEmpty else { result.problemsWithoutWinner += 1; continue }
            guard !problem.losers.isEmpty else { result.problemsWithoutLoser += 1; continue }
            var random = PairingRandom(seed: seed, label: problem.problemID)
            let winners = random.shuffled(problem.winners), losers = random.shuffled(problem.losers)
            let count = min(perProblem, max(winners.count, losers.count))
            for i in 0..<count {
                result.pairs.append(PreferencePair(problemID: problem.problemID, prompt: problem.prompt,
                                                   chosen: winners[i % winners.count], rejected: losers[i % losers.count]))
            }
            result.problemsPaired += 1
        }
        if let maximumPairs, result.pairs.count > maximumPairs {
            var random = PairingRandom(seed: seed, label: "subsample")
            let kept = Set(random.shuffled(Array(result.pairs.indices)).prefix(maximumPairs))
            result.pairsSubsampledAway = result.pairs.count - maximumPairs
            result.pairs = result.pairs.indices.filter(kept.contains).map { result.pairs[$0] }
        }
        return result
    }

    /// Pairs whose sequences fit: each sequence (prompt + completion + end token) within
    /// `contextLength` (the paper drops pairs that overflow the context), and the pair's two
    /// sequences within `pairTokenLimit` together (they share one forward pass).
    /// Returns the kept pairs' indices and how many were dropped.
    public static func fitting(_ pairs: [TokenizedPair], contextLength: Int, pairTokenLimit: Int) -> (kept: [Int], dropped: Int) {
        let kept = pairs.indices.filter { pairs[$0].longest <= contextLength && pairs[$0].tokenCount <= pairTokenLimit }
        return (kept, pairs.count - kept.count)
    }
}

/// GSM8K's gold solution as a winner, as the paper adds it to G^w.
public enum GoldSolution {
    /// How the run's prompt asks for the final answer.
    public enum AnswerFormat: Sendable {
        /// `Final answer: N` (the zero-shot gsm8k-chat prompt, the paper's).
        case finalAnswerLine
        /// `#### N` (the few-shot prompt, whose examples end that way).
        case hashes
    }

    /// The worked solution of a GSM8K `answer` field (`Problem.metadata["solution"]`, the text
    /// before `####`) rewritten the way a model is asked to answer: the calculator annotations
    /// `<<48/2=24>>` removed (they are an artefact of how GSM8K was written, not reasoning a model
    /// should imitate), then the final answer on its own line in the prompt's format. Nil when
    /// the problem has no worked solution or no reference answer.
    public static func gsm8k(_ problem: Problem, format: AnswerFormat) -> String? {
        guard let answer = problem.reference.answer, let solution = problem.metadata["solution"]?.stringValue else { return nil }
        let reasoning = removingCalculatorAnnotations(solution).trimmingCharacters(in: .whitespacesAndNewlines)
        let line = switch format {
        case .finalAnswerLine: "Final answer: \(answer)"
        case .hashes: "#### \(answer)"
        }
        return reasoning.isEmpty ? line : reasoning + "\n" + line
    }

    /// `a <<x=y>>y` → `a y`: every `<<…>>` span removed.
    static func removingCalculatorAnnotations(_ text: String) -> String {
        var out = "", rest = Substring(text)
        while let open = rest.range(of: "<<"), let close = rest[open.upperBound...].range(of: ">>") {
            out += rest[..<open.lowerBound]
            rest = rest[close.upperBound...]
        }
        return out + rest
    }
}

/// SplitMix64 seeded from the pairing seed and a label (a problem id), so each problem's
/// shuffle is fixed by the seed alone.
struct PairingRandom {
    var state: UInt64

    init(seed: UInt64, label: String) {
        var hash = SHA256()
        hash.update(Array("\(seed)/\(label)".utf8))
        state = UInt64(hash.finalizeHex().prefix(16), radix: 16)!
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Fisher–Yates.
    mutating func shuffled<T>(_ values: [T]) -> [T] {
        var values = values
        if values.count > 1 {
            for i in stride(from: values.count - 1, to: 0, by: -1) { values.swapAt(i, Int(next() % UInt64(i + 1))) }
        }
        return values
    }
}

/// TRL's preference data format (`docs/source/dataset_formats.md`), one JSON object a line,
/// which `DPOTrainer` trains on directly: conversational when the prompt is a chat
/// (`{"prompt": [messages], "chosen": [assistant message], "rejected": [assistant message]}`),
/// standard when it is raw text the model continues (`{"prompt": "…", "chosen": "…", "rejected": "…"}`).
/// A run's prompts are all of one kind, so a file is all of one format.
public enum TRLPreferenceFormat {
    public static func line(_ pair: PreferencePair) -> String {
        let object: [String: Any]
        switch pair.prompt {
        case .text(let prompt):
            object = ["prompt": prompt, "chosen": pair.chosen, "rejected": pair.rejected]
        case .messages(let messages):
            let assistant = { (content: String) in [["role": "assistant", "content": content]] }
            object = ["prompt": messages.map { ["role": $0.role, "content": $0.content] },
                      "chosen": assistant(pair.chosen), "rejected": assistant(pair.rejected)]
        }
        // Only strings, lists and dictionaries of them: serialisation cannot fail.
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}
