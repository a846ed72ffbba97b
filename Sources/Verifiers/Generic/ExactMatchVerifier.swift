import ScalingCore

/// Passes when the completion, normalised, equals the problem's reference answer.
///
/// Normalisation is opt-in so the rule is visible in reports: trimming surrounding
/// whitespace (on by default), collapsing runs of whitespace to one space, and
/// ignoring case. A problem without a reference answer gives `.unknown`.
public struct ExactMatchVerifier: Verifier {
    public let name = VerifierKind.exact.name
    public var trimsWhitespace: Bool
    public var collapsesWhitespace: Bool
    public var ignoresCase: Bool

    public init(trimsWhitespace: Bool = true, collapsesWhitespace: Bool = false, ignoresCase: Bool = false) {
        self.trimsWhitespace = trimsWhitespace
        self.collapsesWhitespace = collapsesWhitespace
        self.ignoresCase = ignoresCase
    }

    public func verify(_ completion: String, for problem: Problem) async -> Verdict {
        guard let answer = problem.reference.answer else {
            return Verdict(.unknown, extracted: completion, detail: "problem \(problem.id) has no reference answer")
        }
        let candidate = normalize(completion), reference = normalize(answer)
        return candidate == reference
            ? Verdict(.passed, extracted: candidate, detail: "equals the reference")
            : Verdict(.failed, extracted: candidate, detail: "differs from the reference \"\(reference)\"")
    }

    /// The text as compared.
    public func normalize(_ text: String) -> String {
        var result = text
        if collapsesWhitespace {
            result = result.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        } else if trimsWhitespace {
            result = String(result.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
        }
        return ignoresCase ? result.lowercased() : result
    }
}
