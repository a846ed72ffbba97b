import Foundation

/// Rewrites an answer into the plain form the parser reads, following Minerva's
/// `normalize_final_answer` (Lewkowycz et al. 2022, appendix D) and going further.
///
/// Removes: surrounding `$`, `\!` `\,` `\;` `\:` `\quad` spacing, `\left`/`\right`,
/// `\displaystyle`, dollar signs, degree marks (`^\circ`, `°`), percent signs, unit words
/// (`\text{ cm}`, `5 inches`), thousands separators (`1,000` when the whole answer is a
/// number), a trailing period. Rewrites `\dfrac`/`\tfrac` to `\frac`, `\dbinom` to
/// `\binom`, and unwraps `\text{…}`, `\mathrm{…}`, `\mbox{…}`, `\textbf{…}` to their content.
///
/// Units are not thrown away: the canonical unit (`cm`, `inch`, `degree`, `percent`) is
/// returned beside the text so that "5 cm" and "5 m" can be told apart when both sides
/// name a unit. Trailing zeros (`2.50`) need no rewriting: numbers are read exactly.
public enum MathNormalizer {
    /// A normalised answer: the text to parse, and the unit it named (nil when none).
    public struct Normalized: Sendable, Hashable {
        public var text: String
        /// Canonical unit name (`cm`, `inch`, `foot^2`, `degree`, `percent`, `dollar`), if any.
        public var unit: String?
        /// True when the whole answer was words in `\text{…}` (`\text{no}`), which are then
        /// compared as text, never as a product of variables.
        public var isText: Bool = false
    }

    /// Longest answer compared, in characters (MATH-500's longest gold has 53); a longer
    /// gold or candidate is `unknown`. Together with the parser's token limit this bounds
    /// the depth of every recursion over an answer.
    public static let maximumLength = 1_000

    /// Words read as units when they follow a number: canonical name for each spelling.
    static let units: [String: String] = {
        var table: [String: String] = [:]
        let groups: [(String, [String])] = [
            ("cm", ["cm", "centimeter", "centimeters", "centimetre", "centimetres"]),
            ("mm", ["mm", "millimeter", "millimeters"]),
            ("m", ["m", "meter", "meters", "metre", "metres"]),
            ("km", ["km", "kilometer", "kilometers"]),
            ("inch", ["in", "inch", "inches"]),
            ("foot", ["ft", "foot", "feet"]),
            ("yard", ["yd", "yard", "yards"]),
            ("mile", ["mi", "mile", "miles"]),
            ("second", ["s", "sec", "second", "seconds"]),
            ("minute", ["min", "minute", "minutes"]),
            ("hour", ["h", "hr", "hrs", "hour", "hours"]),
            ("day", ["day", "days"]),
            ("week", ["week", "weeks"]),
            ("month", ["month", "months"]),
            ("year", ["year", "years"]),
            ("gram", ["g", "gram", "grams"]),
            ("kg", ["kg", "kilogram", "kilograms"]),
            ("pound", ["lb", "lbs", "pound", "pounds"]),
            ("ounce", ["oz", "ounce", "ounces"]),
            ("cent", ["cent", "cents"]),
            ("dollar", ["dollar", "dollars"]),
            ("degree", ["degree", "degrees"]),
            ("unit", ["unit", "units"]),
            ("mph", ["mph"]),
            ("liter", ["l", "liter", "liters", "litre", "litres"]),
            ("gallon", ["gallon", "gallons"]),
            ("square unit", ["square unit", "square units", "sq unit", "sq units"]),
            ("percent", ["percent", "per cent"]),
        ]
        for (canonical, spellings) in groups { for s in spellings { table[s] = canonical } }
        return table
    }()

    /// Normalises one answer (a gold answer or an extracted span).
    public static func normalize(_ answer: String) -> Normalized {
        var s = String(answer.prefix(maximumLength))
        var unit: String? = nil
        s = s.trimmingCharacters(in: .whitespacesAndNewlines)
        s = MathAnswerExtractor.clean(s)
        s = joinExplicitThousands(s)
        // Spacing commands are removed piecewise around `\\` (a matrix row break), so that
        // `\\ 3` is not read as the spacing command `\ ` followed by a stray backslash.
        s = s.components(separatedBy: "\\\\").map(removeSpacingAndStyle).joined(separator: "\\\\")
        s = s.replacingOccurrences(of: "{,}", with: ",")
        // Unicode powers and fractions: `x²`, `½`.
        for (from, to) in [("²", "^2"), ("³", "^3"), ("½", "\\frac{1}{2}"), ("¼", "\\frac{1}{4}"), ("¾", "\\frac{3}{4}")] {
            s = s.replacingOccurrences(of: from, with: to)
        }
        // "2 1/2": a mixed number written in plain text, as `2\frac{1}{2}` is read.
        s = s.replacingOccurrences(of: #"(?<![\d.])(\d+) +(\d+)/(\d+)(?![\d./])"#, with: "$1\\\\frac{$2}{$3}", options: .regularExpression)
        // "1 000 000": digit groups separated by single spaces, when that is the whole answer.
        if s.range(of: #"^-?\d{1,3}( \d{3})+$"#, options: .regularExpression) != nil { s = s.replacingOccurrences(of: " ", with: "") }
        // One spelling for the empty set and for the real line.
        for (from, to) in [("\\varnothing", "\\emptyset"), ("\\mathbb{R}", "(-\\infty,\\infty)"), ("\\mathbb R", "(-\\infty,\\infty)"),
                           ("all real numbers", "(-\\infty,\\infty)"), ("All real numbers", "(-\\infty,\\infty)")] {
            s = s.replacingOccurrences(of: from, with: to)
        }
        for empty in ["\\{\\}", "\\{ \\}"] { s = s.replacingOccurrences(of: empty, with: "\\emptyset") }
        // Degrees inside a trig function are an angle, not a unit: `\sin 60^\circ` is sin(π/3).
        s = anglesInDegreesToRadians(s)
        // Degrees and percent: remembered as units, then removed.
        for mark in ["^{\\circ}", "^\\circ", "^{\\circ }", "\\circ", "\\degree", "°"] where s.contains(mark) {
            s = s.replacingOccurrences(of: mark, with: ""); unit = "degree"
        }
        for mark in ["\\%", "%"] where s.contains(mark) {
            s = s.replacingOccurrences(of: mark, with: ""); unit = "percent"
        }
        // An escaped `\$` is a currency sign (a unit); a bare `$` is a math delimiter.
        if s.contains("\\$") { s = s.replacingOccurrences(of: "\\$", with: ""); unit = "dollar" }
        s = s.replacingOccurrences(of: "$", with: "")
        // Units written in \text{…} after something, then text wrappers unwrapped.
        let (withoutUnit, textUnit) = stripTextUnit(s)
        s = withoutUnit
        if let textUnit { unit = textUnit }
        let isText = isWholeText(s)
        s = unwrapText(s)
        // "x < 3 or x > 5": inequalities joined by "or" are a union (elsewhere "or" is a hedge).
        if MathAnswerExtractor.isRelation(s) {
            for joiner in [" or ", "\\text{or}", "\\lor", "\\vee"] { s = s.replacingOccurrences(of: joiner, with: " \\cup ") }
        } else if MathAnswerExtractor.joinsEquations(s) {
            // "x = 2 or x = 3": the solutions of an equation, a list like `x = 2, x = 3`.
            s = s.replacingOccurrences(of: " or ", with: ", ")
        }
        // "3 and 4": a list of values (a hedge between choice letters is refused earlier).
        if !MathAnswerExtractor.isRelation(s) { s = s.replacingOccurrences(of: " and ", with: ", ") }
        let (withoutBareUnit, bareUnit) = stripBareUnit(s)
        s = withoutBareUnit
        if let bareUnit { unit = bareUnit }
        s = s.trimmingCharacters(in: .whitespacesAndNewlines)
        while s.hasSuffix(".") || s.hasSuffix(",") { s.removeLast(); s = s.trimmingCharacters(in: .whitespaces) }
        s = removeThousandsSeparators(s)
        let (withoutBase, base) = removeBaseSubscript(s)
        s = withoutBase
        if let base { unit = base }
        s = s.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).joined(separator: " ")
        return Normalized(text: s, unit: unit, isText: isText)
    }

    /// `60^\circ` → `(60\pi/180)` when the answer applies a trig function, so that
    /// `\sin 60^\circ` reads as the sine of an angle; elsewhere the degree mark is a unit.
    static func anglesInDegreesToRadians(_ s: String) -> String {
        let trig = ["\\sin", "\\cos", "\\tan", "\\sec", "\\csc", "\\cot"]
        guard trig.contains(where: s.contains) else { return s }
        var out = s
        for mark in ["^{\\circ}", "^\\circ", "°"] {
            while let r = out.range(of: mark) {
                // The number the mark follows.
                var start = r.lowerBound
                while start > out.startIndex {
                    let previous = out[out.index(before: start)]
                    guard previous.isNumber || previous == "." else { break }
                    start = out.index(before: start)
                }
                let number = String(out[start..<r.lowerBound])
                guard !number.isEmpty else { return s }
                out.replaceSubrange(start..<r.upperBound, with: "(\(number)\\pi/180)")
            }
        }
        return out
    }

    /// True for `\text{words}` (or `\textbf`, `\textit`, `\mbox`) spanning the whole answer.
    static func isWholeText(_ s: String) -> Bool {
        let t = s.trimmingCharacters(in: .whitespaces)
        for command in ["\\text", "\\textbf", "\\textit", "\\mbox"] where t.hasPrefix(command + "{") {
            let start = t.index(t.startIndex, offsetBy: command.count)
            if let (content, end) = bracedGroup(in: t, at: start), end == t.endIndex {
                return content.contains { $0.isLetter }
            }
        }
        return false
    }

    /// Spacing and style commands removed and `\dfrac`/`\tfrac` rewritten, in one piece of
    /// an answer between matrix row breaks.
    static func removeSpacingAndStyle(_ piece: String) -> String {
        var s = piece
        for (from, to) in [("\\dfrac", "\\frac"), ("\\tfrac", "\\frac"), ("\\dbinom", "\\binom"), ("\\tbinom", "\\binom"),
                           ("\\left.", ""), ("\\right.", ""), ("\\left", ""), ("\\right", ""), ("\\displaystyle", ""),
                           ("\\bigl", ""), ("\\bigr", ""), ("\\Bigl", ""), ("\\Bigr", ""),
                           ("\\!", ""), ("\\,", ""), ("\\;", ""), ("\\:", ""), ("\\qquad", " "), ("\\quad", " "),
                           ("~", " "), ("\\ ", " "), ("\u{2212}", "-")] {
            s = s.replacingOccurrences(of: from, with: to)
        }
        return s
    }

    /// `\text{…}`, `\textbf{…}`, `\mathrm{…}`, `\mbox{…}`, `\textit{…}`, `\mathbf{…}` replaced by their content.
    public static func unwrapText(_ text: String) -> String {
        var s = text
        for command in ["\\text", "\\textbf", "\\textit", "\\mathrm", "\\mbox", "\\mathbf", "\\operatorname", "\\boxed", "\\fbox"] {
            var guardCount = 0
            while let range = findCommand(command, in: s), guardCount < 200 {
                guardCount += 1
                guard let (content, end) = bracedGroup(in: s, at: range.upperBound) else { break }
                s.replaceSubrange(range.lowerBound..<end, with: content)
            }
        }
        return s
    }

    /// The range of `\command` not followed by another letter (so `\text` does not match `\textbf`).
    static func findCommand(_ command: String, in s: String) -> Range<String.Index>? {
        var searchStart = s.startIndex
        while let r = s.range(of: command, range: searchStart..<s.endIndex) {
            if r.upperBound == s.endIndex || !(s[r.upperBound].isLetter) { return r }
            searchStart = r.upperBound
        }
        return nil
    }

    /// `{content}` starting at `index` (spaces skipped): the content and the index after `}`.
    static func bracedGroup(in s: String, at index: String.Index) -> (String, String.Index)? {
        var i = index
        while i < s.endIndex, s[i] == " " { i = s.index(after: i) }
        guard i < s.endIndex, s[i] == "{" else { return nil }
        var depth = 0
        var j = i
        while j < s.endIndex {
            if s[j] == "\\" { j = s.index(after: j); if j < s.endIndex { j = s.index(after: j) }; continue }
            if s[j] == "{" { depth += 1 }
            if s[j] == "}" {
                depth -= 1
                if depth == 0 { return (String(s[s.index(after: i)..<j]), s.index(after: j)) }
            }
            j = s.index(after: j)
        }
        return nil
    }

    /// A unit word, with an optional `^2`/`^3` or "square"/"cubic", as a canonical name.
    static func canonicalUnit(_ word: String) -> String? {
        var w = word.trimmingCharacters(in: .whitespaces).lowercased()
        var power = ""
        for (suffix, p) in [("^2", "^2"), ("^{2}", "^2"), ("^3", "^3"), ("^{3}", "^3"), ("²", "^2"), ("³", "^3")] where w.hasSuffix(suffix) {
            w = String(w.dropLast(suffix.count)).trimmingCharacters(in: .whitespaces); power = p
        }
        for (prefix, p) in [("square ", "^2"), ("sq ", "^2"), ("sq. ", "^2"), ("cubic ", "^3")] where w.hasPrefix(prefix) {
            let rest = String(w.dropFirst(prefix.count))
            if let c = units[rest], c != "square unit" { w = rest; power = p }
        }
        if let c = units[w] { return c + power }
        return nil
    }

    /// Removes a trailing `\text{unit}` (or `\mbox`, `\mathrm`) that follows other text.
    static func stripTextUnit(_ s: String) -> (String, String?) {
        for command in ["\\text", "\\mbox", "\\mathrm", "\\textbf"] {
            var searchStart = s.startIndex
            while let r = s.range(of: command + "{", range: searchStart..<s.endIndex) {
                searchStart = r.upperBound
                let groupStart = s.index(before: r.upperBound)
                guard let (content, end) = bracedGroup(in: s, at: groupStart) else { continue }
                var tail = String(s[end...]).trimmingCharacters(in: .whitespaces)
                // An exponent right after the unit (`\text{cm}^2`) belongs to it.
                var power = ""
                for p in ["^2", "^{2}", "^3", "^{3}"] where tail.hasPrefix(p) { power = p; tail = String(tail.dropFirst(p.count)) }
                let before = s[..<r.lowerBound].trimmingCharacters(in: .whitespaces)
                guard tail.trimmingCharacters(in: .whitespaces).isEmpty, !before.isEmpty,
                      let unit = canonicalUnit(content + power) else { continue }
                return (before, unit)
            }
        }
        return (s, nil)
    }

    /// Removes a trailing bare unit word ("5 cm", "12 square feet") after a number or a closing brace.
    static func stripBareUnit(_ s: String) -> (String, String?) {
        let words = s.split(separator: " ", omittingEmptySubsequences: true)
        guard words.count >= 2 else { return (s, nil) }
        for take in [2, 1] where words.count > take {
            let unitText = words.suffix(take).joined(separator: " ")
            let body = words.dropLast(take).joined(separator: " ")
            guard let last = body.last, last.isNumber || last == "}" || last == ")" else { continue }
            // Single letters ("5 m", "2 s") are too easily variables; only words count bare.
            // "in" only directly after a number ("12 in"), where it cannot be the word "in".
            guard unitText.count >= 2, unitText.lowercased() != "in" || last.isNumber,
                  let unit = canonicalUnit(unitText) else { continue }
            return (body, unit)
        }
        return (s, nil)
    }

    /// `11,\\! 111,\\! 100` → `11111100`: LaTeX's explicit thousands separator `,\\!` joins digit
    /// groups even with source spaces after it (a plain `1, 234` stays a list of two numbers).
    static func joinExplicitThousands(_ s: String) -> String {
        guard s.contains(",\\!") else { return s }
        var chars = Array(s)
        var i = 0
        var out: [Character] = []
        while i < chars.count {
            if chars[i] == ",", i + 2 < chars.count, chars[i + 1] == "\\", chars[i + 2] == "!",
               let previous = out.last, previous.isASCII, previous.isNumber {
                var j = i + 3
                while j < chars.count, chars[j] == " " { j += 1 }
                let group = chars[j..<min(j + 3, chars.count)]
                let after = j + 3 < chars.count ? chars[j + 3] : " "
                if group.count == 3, group.allSatisfy({ $0.isASCII && $0.isNumber }), !(after.isASCII && after.isNumber) {
                    i = j
                    continue
                }
            }
            out.append(chars[i])
            i += 1
        }
        chars = out
        return String(chars)
    }

    /// `52_8`, `4210_{5}` → `52`, `4210`: a numeral written with its base compares by its digits,
    /// the form the question asked for (MATH's base-conversion answers). The base is kept as the
    /// unit (`base 8`), so `52_8` and `52_{10}` still differ.
    static func removeBaseSubscript(_ s: String) -> (String, String?) {
        guard let underscore = s.firstIndex(of: "_") else { return (s, nil) }
        let digits = s[..<underscore]
        var base = s[s.index(after: underscore)...]
        if base.hasPrefix("{") && base.hasSuffix("}") { base = base.dropFirst().dropLast() }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && ($0.isNumber || ("A"..."F").contains($0)) }),
              let b = Int(base), (2...16).contains(b) else { return (s, nil) }
        return (String(digits), "base \(b)")
    }

    /// "1,234,567" → "1234567" when the whole answer is one such number (Minerva's rule).
    static func removeThousandsSeparators(_ s: String) -> String {
        var body = Substring(s)
        var sign = ""
        if body.hasPrefix("-") { sign = "-"; body = body.dropFirst() }
        let parts = body.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count >= 2, let first = parts.first, (1...3).contains(first.count),
              first.allSatisfy({ $0.isASCII && $0.isNumber }) else { return s }
        for (index, part) in parts.enumerated().dropFirst() {
            let isLast = index == parts.count - 1
            let digits = isLast ? (part.split(separator: ".", maxSplits: 1).first ?? "") : part
            guard digits.count == 3, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return s }
            if isLast, part.contains("."), !part.split(separator: ".", maxSplits: 1).last!.allSatisfy({ $0.isNumber }) { return s }
        }
        return sign + parts.joined()
    }
}
