import ScalingCore
import Foundation

/// Checks a completion's final answer against `problem.reference.answer` (name `math`).
///
/// Extracts the answer with `MathAnswerExtractor` (or, when the gold is a choice letter or
/// the problem lists choices, with `extractChoice`), compares it with `MathEquivalence`
/// under a hard time limit, and fills `Verdict.extracted` with the compared span and
/// `Verdict.detail` with the extraction rule and the comparison's reason, e.g.
/// `boxed; numeric value`, `whole answer; same set`, `final-stated-value; identical after normalisation`.
///
/// Outcomes: `passed`, `failed` (also for a hedged or placeholder answer, detail
/// "not an answer: hedged"), or `unknown` (no answer found — including a refusal and a
/// completion cut off inside its box or mid-sentence —, no gold, notation it cannot read, or
/// the time limit — detail "time limit"). It never throws and never hangs:
/// see `MathEquivalence` for the limits. Safe to call concurrently.
public struct MathVerifier: Verifier {
    public let name = VerifierKind.math.name
    /// Wall-clock limit for one comparison.
    public var timeLimit: Duration

    public init(timeLimit: Duration = .seconds(2)) {
        self.timeLimit = timeLimit
    }

    public func verify(_ completion: String, for problem: Problem) async -> Verdict {
        verifySynchronously(completion, for: problem)
    }

    /// `verify` without suspension, for callers outside async code.
    public func verifySynchronously(_ completion: String, for problem: Problem) -> Verdict {
        let deadline = ContinuousClock.now.advanced(by: timeLimit)
        guard var gold = problem.reference.answer, !gold.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            return Verdict(.unknown, detail: "problem has no reference answer")
        }
        // A gold given as a whole GSM8K solution or a boxed LaTeX answer: use its final answer.
        if gold.contains("####") || gold.contains("\\boxed"), let inner = MathAnswerExtractor.extract(from: gold) {
            gold = inner.answer
        }
        let labels = choiceLabels(problem, gold: gold)
        // A hedge ("either 3 or 4", "(C) and (D)") or a placeholder (`\boxed{?}`) is never right.
        // A refusal ("no idea") states no answer at all: unknown, as when nothing is found.
        if let general = MathAnswerExtractor.extract(from: completion), let why = general.notAnAnswer {
            if why == "refused" { return Verdict(.unknown, detail: "no answer found (refused)") }
            return Verdict(.failed, extracted: general.answer, detail: "\(general.rule); not an answer: \(why)")
        }
        let extraction: MathAnswerExtractor.Extraction?
        if let labels {
            extraction = MathAnswerExtractor.extractChoice(from: completion, labels: labels)
        } else {
            extraction = MathAnswerExtractor.extract(from: completion)
        }
        guard let extraction else {
            return Verdict(.unknown, detail: labels == nil ? "no answer found" : "no choice label found")
        }
        if let labels {
            let goldLabel = gold.trimmingCharacters(in: .whitespacesAndNewlines)
                .trimmingCharacters(in: CharacterSet(charactersIn: "()")).uppercased()
            if labels.contains(goldLabel) {
                return Verdict(extraction.answer == goldLabel ? .passed : .failed, extracted: extraction.answer,
                               detail: "\(extraction.rule); choice label")
            }
        }
        let comparison = MathEquivalence.compare(gold, extraction.answer, deadline: deadline)
        // "Final answer: Janet makes $18 every day.": a sentence, not a formula. When the gold is a
        // plain number (GSM8K), the sentence's last number is compared instead, and the detail says so.
        if comparison.outcome != .passed, comparison.reason == "compared as text" || comparison.reason.hasPrefix("cannot read"),
           Self.isPlainNumber(gold), let number = MathAnswerExtractor.lastNumber(Array(extraction.answer.utf8)),
           number != extraction.answer {
            let retry = MathEquivalence.compare(gold, number, deadline: deadline)
            return Verdict(retry.outcome, extracted: number,
                           detail: "\(extraction.rule), last number of the answer; \(retry.reason)")
        }
        return Verdict(comparison.outcome, extracted: extraction.answer, detail: "\(extraction.rule); \(comparison.reason)")
    }

    /// True for a gold such as `18`, `-3.5` or `1,000` (GSM8K's answers).
    static func isPlainNumber(_ gold: String) -> Bool {
        var text = Substring(MathNormalizer.normalize(gold).text)
        if text.hasPrefix("-") { text = text.dropFirst() }
        return !text.isEmpty && text.allSatisfy { $0.isASCII && ($0.isNumber || $0 == ".") } && text.filter { $0 == "." }.count <= 1
    }

    /// The valid choice labels when the problem is multiple choice: the labels in
    /// `metadata["choices"]` (ARC's `[{label, text}]` or a list of labels), or A–E (and the
    /// gold's letter) when the gold itself is a capital letter; nil for an open answer.
    func choiceLabels(_ problem: Problem, gold: String) -> [String]? {
        if let choices = problem.metadata["choices"]?.arrayValue {
            let labels = choices.compactMap { $0.objectValue?["label"]?.stringValue ?? $0.stringValue }
            if !labels.isEmpty { return labels.map { $0.uppercased() } }
        }
        let t = MathNormalizer.normalize(gold).text
        // A–E (MATH's and most benchmarks' options) plus the gold's own letter; not A–J, so the
        // pronoun "I" is not read as a choice.
        if let letter = MathEquivalence.choiceLetter(t) { return Array(Set(["A", "B", "C", "D", "E", String(letter)])).sorted() }
        return nil
    }
}
