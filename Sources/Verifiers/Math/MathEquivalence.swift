import ScalingCore

/// Decides whether a candidate answer is mathematically the same as a gold answer.
///
/// **What counts as equal.**
/// - Numbers and fractions compare in exact rational arithmetic (`0.5` = `\frac12` = `1/2`,
///   `2\frac12` = `5/2`, `0.\overline{3}` = `1/3`, `2.50` = `2.5`).
/// - Tolerance policy: a written decimal is the exact rational it spells, so `0.333` ≠ `1/3` and
///   `0.5` ≠ `0.50001`; a decimal is never accepted as an approximation of an irrational value
///   (`1.414` ≠ `\sqrt2`, `3.14` ≠ `\pi`). Irrational forms (roots, π, logarithms, trig) are
///   evaluated in double precision and equal when they agree to a relative 1e-12 (plus 1e-15
///   absolute, for values that should be zero): `\frac{\sqrt2}{2}` = `\frac{1}{\sqrt2}`. The
///   limit of this: two irrational values closer than one part in 10^12 (`\pi` and
///   `\pi + 10^{-13}`) are called equal; no benchmark answer comes that close to another.
/// - Expressions with variables: equal at once when they are the same expression up to the
///   order of sums and products; otherwise evaluated at up to 16 seeded random rational points
///   (exactly, where no root or π intervenes); they are equal only if at least 3 points
///   could be evaluated and every one agrees, so one coincidental point never decides. A
///   single point that differs is a sound "not equal" (both sides defined there). Symbols are
///   case-sensitive; `i` is the imaginary unit (complex values compared like irrational ones).
/// - Tuples `(a, b)` and intervals compare in order, with their open/closed ends; an inequality
///   in one variable (`x > 2`, `2 \le x < 5`, `|x| < 1`, joined by "or" into a union) and a
///   set-builder form (`\{x \mid x > 2\}`) read as the interval they describe; sets `\{…\}`
///   compare as sets (a repeat is the same set) and bare comma lists order-free, `\pm` expanded;
///   unions of intervals order-free; matrices elementwise with the same shape, a scalar factor
///   outside multiplied in; `x = 5` and `(x, y) = (3, 5)` match their right side; equations match
///   with sides swapped, moved or scaled (`y = 2x + 3` ≡ `2y = 4x + 6`: the same solution set).
///   Multiple-choice letters match `B` ≡ `(B)` ≡ `\text{(B)}`. Units are stripped, but two
///   different named units fail; a percent on one side only matches the bare number and its
///   fraction (`10\%` = `10` = `0.1`), degrees on one side only also match radians (`45^\circ` = `π/4`).
/// - Words ("Monday") compare as text, case and punctuation aside.
///
/// **When in doubt.** Anything it cannot read (an unknown command, an inequality in two
/// variables, a value too large for 128-bit fractions) is `unknown`, never `passed`.
///
/// **Time limit.** There are no threads or signals to kill: every check is bounded by
/// construction (answers capped at `MathNormalizer.maximumLength` characters, 600 tokens,
/// nesting depth 100, exponents of exact powers at 10,000, 2 million steps) and every loop and
/// recursion checks the caller's `deadline` cooperatively. A check that runs out returns
/// `unknown` with reason "time limit". Checks share no mutable state, so any number can run
/// concurrently from different tasks.
public enum MathEquivalence {
    /// The outcome of one comparison and the reason, for `Verdict.detail`.
    public struct Comparison: Sendable, Hashable {
        /// `passed`, `failed` or `unknown` (a time limit is `unknown` with reason "time limit").
        public var outcome: Verdict.Outcome
        public var reason: String
    }

    /// Whether `candidate` is equivalent to `gold`: `.passed`, `.failed` or `.unknown`.
    public static func check(_ gold: String, _ candidate: String, deadline: ContinuousClock.Instant) -> Verdict.Outcome {
        compare(gold, candidate, deadline: deadline).outcome
    }

    /// `check`, with the reason for the outcome.
    public static func compare(_ gold: String, _ candidate: String, deadline: ContinuousClock.Instant) -> Comparison {
        let budget = MathBudget(deadline: deadline)
        let g = MathNormalizer.normalize(gold)
        let c = MathNormalizer.normalize(candidate)
        if candidate.count > MathNormalizer.maximumLength || gold.count > MathNormalizer.maximumLength {
            return Comparison(outcome: .unknown, reason: "answer longer than \(MathNormalizer.maximumLength) characters")
        }
        if let gu = g.unit, let cu = c.unit, gu != cu {
            return Comparison(outcome: .failed, reason: "units differ (\(gu) vs \(cu))")
        }
        let plain = compareNormalized(g, c, budget: budget)
        guard plain.outcome != .passed, g.unit != c.unit else { return plain }
        // A percent or degree mark on one side only: `10\%` is also 0.1, `45^\circ` also π/4.
        for (mark, scale) in [("percent", "/100"), ("degree", "\\pi/180")] where g.unit == mark || c.unit == mark {
            var (scaledGold, scaledCandidate) = (g, c)
            if g.unit == mark { scaledGold.text = "(" + g.text + ")" + scale } else { scaledCandidate.text = "(" + c.text + ")" + scale }
            let scaled = compareNormalized(scaledGold, scaledCandidate, budget: budget)
            if scaled.outcome == .passed { return Comparison(outcome: .passed, reason: scaled.reason + (mark == "percent" ? " (percent as a fraction)" : " (degrees as radians)")) }
        }
        return plain
    }

    /// The comparison of two normalised answers whose units do not conflict.
    static func compareNormalized(_ g: MathNormalizer.Normalized, _ c: MathNormalizer.Normalized, budget: MathBudget) -> Comparison {
        if let goldChoice = choiceLetter(g.text) {
            guard let candidateChoice = choiceLetter(c.text, allowLowercase: true) else {
                return Comparison(outcome: .failed, reason: "gold is choice \(goldChoice), candidate is not a choice letter")
            }
            return Comparison(outcome: goldChoice == candidateChoice ? .passed : .failed, reason: "choice letter")
        }
        if g.isText || c.isText {
            let equal = textKey(g.text) == textKey(c.text) && !textKey(g.text).isEmpty
            return Comparison(outcome: equal ? .passed : .failed, reason: "compared as text")
        }
        if g.text == c.text, !g.text.isEmpty {
            return Comparison(outcome: .passed, reason: "identical after normalisation")
        }
        do throws(MathCheckFailure) {
            var goldParser = try MathExpressionParser(g.text, budget: budget)
            let goldExpression = try goldParser.parseAnswer()
            var candidateParser = try MathExpressionParser(c.text, budget: budget)
            let candidateExpression = try candidateParser.parseAnswer()
            var comparer = MathComparer(budget: budget)
            switch try comparer.equal(goldExpression, candidateExpression) {
            case .yes: return Comparison(outcome: .passed, reason: comparer.rule)
            case .no: return Comparison(outcome: .failed, reason: comparer.rule)
            case .unknown(let why): return Comparison(outcome: .unknown, reason: why)
            }
        } catch {
            switch error {
            case .text:
                let equal = textKey(g.text) == textKey(c.text) && !textKey(g.text).isEmpty
                return Comparison(outcome: equal ? .passed : .failed, reason: "compared as text")
            case .timeLimit:
                return Comparison(outcome: .unknown, reason: "time limit")
            case .tooLarge(let why):
                return Comparison(outcome: .unknown, reason: "over a size limit: \(why)")
            case .unsupported(let why):
                return Comparison(outcome: .unknown, reason: "cannot read: \(why)")
            case .undefined, .overflow, .notScalar:
                return Comparison(outcome: .unknown, reason: "cannot evaluate")
            }
        }
    }

    /// `B`, `(B)`, `B)`, `(B` as the letter B. Capitals A–J only, unless `allowLowercase`
    /// (a candidate answering a choice question): elsewhere `e` is Euler's number.
    static func choiceLetter(_ text: String, allowLowercase: Bool = false) -> Character? {
        let t = text.trimmingCharacters(in: " ().:[]*")
        guard t.count == 1, var letter = t.first, letter.isASCII else { return nil }
        if allowLowercase, ("a"..."j").contains(letter) { letter = Character(letter.uppercased()) }
        guard ("A"..."J").contains(letter) else { return nil }
        return letter
    }

    /// Text compared without case, spaces and surrounding quotes or periods; every other
    /// character counts (`-Evelyn` is not `Evelyn`).
    static func textKey(_ text: String) -> String {
        String(text.lowercased().filter { !$0.isWhitespace }).trimmingCharacters(in: "\"'`.,;:!")
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
