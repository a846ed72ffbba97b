import ScalingCore

/// Decides with a regular expression (Swift `Regex` syntax, which follows PCRE/ICU).
///
/// - `.extractAndCompare`: the last match's first capture group (or the whole match
///   when there is no group) is the answer, compared exactly (after trimming) with the
///   reference answer; no match gives `.unknown` ("no answer found").
/// - `.mustMatch`: passes when the pattern matches anywhere in the completion.
///
/// ```swift
/// let verifier = try RegexVerifier(pattern: #"[Aa]nswer:\s*(\S+)"#)
/// ```
public struct RegexVerifier: Verifier {
    public enum Mode: Sendable, Hashable {
        case extractAndCompare
        case mustMatch
    }

    public let name = "regex"
    public let pattern: String
    public let mode: Mode

    /// - Throws: the regex parser's error when `pattern` is not a valid expression.
    public init(pattern: String, mode: Mode = .extractAndCompare) throws {
        _ = try Regex(pattern)
        self.pattern = pattern
        self.mode = mode
    }

    public func verify(_ completion: String, for problem: Problem) async -> Verdict {
        // Compiled per call: Regex values are not Sendable, and compiling is cheap next to sampling.
        guard let regex = try? Regex(pattern) else {
            return Verdict(.unknown, detail: "invalid pattern \(pattern)")
        }
        let matches = completion.matches(of: regex)
        switch mode {
        case .mustMatch:
            guard let match = matches.first else {
                return Verdict(.failed, detail: "no match for /\(pattern)/")
            }
            return Verdict(.passed, extracted: String(completion[match.range]), detail: "matches /\(pattern)/")
        case .extractAndCompare:
            guard let answer = problem.reference.answer else {
                return Verdict(.unknown, detail: "problem \(problem.id) has no reference answer")
            }
            guard let match = matches.last else {
                return Verdict(.unknown, detail: "no answer found by /\(pattern)/")
            }
            let captured = match.output.count > 1 ? match.output[1].substring : match.output[0].substring
            let extracted = String(captured ?? completion[match.range]).trimmingSpaces
            let reference = answer.trimmingSpaces
            return extracted == reference
                ? Verdict(.passed, extracted: extracted, detail: "equals the reference")
                : Verdict(.failed, extracted: extracted, detail: "differs from the reference \"\(reference)\"")
        }
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
