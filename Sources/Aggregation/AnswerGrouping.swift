import Foundation
import ScalingCore
import Verifiers

/// How samples are put into classes of "the same answer" for a vote.
public enum AnswerGrouping: String, Codable, Sendable, Hashable, CaseIterable {
    /// The final answer (`MathAnswerExtractor`), classes by `MathEquivalence`: `1/2`, `0.5` and
    /// `\frac12` vote together. A sample with no extractable answer does not vote.
    case math
    /// The final answer (`MathAnswerExtractor`), classes by the normalised answer string
    /// (case, spaces and surrounding `$`/punctuation aside), without mathematical equivalence.
    case extracted
    /// The whole output, normalised (case and runs of whitespace aside, outer punctuation
    /// trimmed): for tasks whose whole answer is short text. An empty output does not vote.
    case text

    /// How a run graded by `verifier` groups answers when it votes: by mathematical
    /// equivalence for the math verifier, else by the normalised extracted string.
    public init(gradedBy verifier: VerifierKind) {
        self = verifier == .math ? .math : .extracted
    }

    /// Sample answers grouped into classes.
    public struct Classes: Sendable, Hashable {
        /// Per sample: the answer compared (nil when none was found).
        public var answers: [String?]
        /// Per sample: its class index, nil when it has no answer. Classes are numbered in
        /// order of their first member.
        public var classOf: [Int?]
        /// Per class: the answer of its first member, as written.
        public var representatives: [String]
    }

    /// Groups `outputs` (sample texts, in sample order) into answer classes.
    ///
    /// A sample joins the first earlier class whose representative it equals (exact string
    /// first, then this grouping's equivalence); otherwise it starts a class. Math
    /// equivalence is not guaranteed transitive, so comparing to the representative (the
    /// first member) makes the result depend only on sample order, never on hashing.
    public func classes(of outputs: [String], timeLimitPerComparison: Duration = .milliseconds(200)) -> Classes {
        classes(ofAnswers: outputs.map(answer(of:)), timeLimitPerComparison: timeLimitPerComparison)
    }

    /// Groups answers already extracted (a stored verdict's `extracted` span; nil or blank
    /// for none) into classes, by the same rules as `classes(of:)`.
    public func classes(ofAnswers extracted: [String?], timeLimitPerComparison: Duration = .milliseconds(200)) -> Classes {
        let answers = extracted.map { $0.flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 } }
        var representatives: [String] = []
        var keys: [String] = []
        var classOf: [Int?] = []
        for answer in answers {
            guard let answer else { classOf.append(nil); continue }
            let key = Self.normalisedKey(answer)
            if let i = keys.firstIndex(of: key) { classOf.append(i); continue }
            if self == .math {
                let deadline = ContinuousClock.now + timeLimitPerComparison
                if let i = representatives.firstIndex(where: { MathEquivalence.check($0, answer, deadline: deadline) == .passed }) {
                    classOf.append(i)
                    continue
                }
            }
            representatives.append(answer)
            keys.append(key)
            classOf.append(representatives.count - 1)
        }
        return Classes(answers: answers, classOf: classOf, representatives: representatives)
    }

    /// The span of `output` this grouping compares: the extracted final answer, or the whole text.
    public func answer(of output: String) -> String? {
        switch self {
        case .math, .extracted:
            // `\boxed{}`, a placeholder or a hedge ("either 3 or 4"): no answer, not a class of its own.
            guard let extraction = MathAnswerExtractor.extract(from: output), extraction.notAnAnswer == nil,
                  !extraction.answer.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return nil }
            return extraction.answer
        case .text:
            let trimmed = output.trimmingCharacters(in: .whitespacesAndNewlines)
            return trimmed.isEmpty ? nil : trimmed
        }
    }

    /// Lowercased, whitespace runs collapsed, outer spaces, `$`, quotes and final punctuation trimmed.
    static func normalisedKey(_ text: String) -> String {
        let words = text.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return words.trimmingCharacters(in: CharacterSet(charactersIn: " $\"'`.,;:!?"))
    }
}
