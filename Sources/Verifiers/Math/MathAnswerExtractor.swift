import Foundation

/// Finds the final answer in a model's completion, and says which rule found it.
///
/// Rules, in the order tried (the first that matches wins; within a rule the last
/// occurrence counts, because models restate and correct themselves):
/// 1. `boxed`: the last `\boxed{…}` or `\fbox{…}` (nested braces balanced; `\boxed 5` too).
///    A box left open (the completion was cut off inside it) means no answer at all: the
///    numbers before it are working, not an answer.
/// 2. `gsm8k-####`: the text after the last `####` (GSM8K's answer line).
/// 3. `the-final-answer-is`: "The final answer is …" (Minerva's format), to the end of the line.
/// 4. `final-answer`: "Final answer: …" to the end of the line.
/// 5. `the-answer-is`: "… answer is …" to the end of the sentence. An answer set on the lines
///    after the marker (display math `\[ … \]`, `$$ … $$`) counts, and a denial is skipped
///    ("The answer is not 12; it is 13" gives 13).
/// 6. `whole answer`: a short completion that is itself an answer (`\frac{-4}{-6}`,
///    `(x, y) = (3, 5)`, `x > 2`, `5 cm`, `Monday`) is read whole, never for its last number:
///    this is how bare predictions (other systems' extracted answers) arrive.
/// 7. `final-stated-value`: the value stated last in prose: in the last sentence that states
///    one, its last math span (the right side of its last `=`) or else its last number. A
///    completion cut off mid-sentence, whose unfinished sentence states nothing, has no answer.
///
/// An answer that hedges ("either 3 or 4", `6 \text{ or } 8`, "(C) and (D)") or is a
/// placeholder (`\boxed{}`, `\boxed{?}`) comes back with `notAnAnswer` set, so that no caller
/// counts it as right.
///
/// Extraction is linear in the completion's length (rule 6 parses one line of at most
/// `bareAnswerLimit` characters), so a megabyte of output costs milliseconds.
public enum MathAnswerExtractor {
    /// An extracted answer: the span compared, and the rule that found it.
    public struct Extraction: Sendable, Hashable {
        /// The answer text, trimmed, with surrounding `$` and a final period removed.
        public var answer: String
        /// Which rule matched: `boxed`, `gsm8k-####`, `the-final-answer-is`, `final-answer`,
        /// `the-answer-is`, `whole answer`, `final-stated-value`, or for multiple choice `choice-…`.
        public var rule: String
        /// Why the span cannot be a right answer (`refused`, `hedged`, `placeholder`); nil for an answer.
        public var notAnAnswer: String?

        public init(answer: String, rule: String, notAnAnswer: String? = nil) {
            self.answer = answer
            self.rule = rule
            self.notAnAnswer = notAnAnswer
        }
    }

    /// Longest one-line completion read whole as a bare answer (rule 6), in characters.
    static let bareAnswerLimit = 300

    /// The final answer of `completion`, or nil when no rule finds one.
    public static func extract(from completion: String) -> Extraction? {
        guard var extraction = findAnswer(completion) else { return nil }
        if extraction.notAnAnswer == nil { extraction.notAnAnswer = notAnAnswer(extraction.answer) }
        return extraction
    }

    private static func findAnswer(_ completion: String) -> Extraction? {
        let bytes = Array(completion.utf8)
        switch lastBoxedSpan(bytes) {
        case .found(let boxed): return Extraction(answer: clean(boxed), rule: "boxed")
        case .unclosed: return nil
        case .absent: break
        }
        if let hashes = lastMarker(bytes, marker: "####", caseInsensitive: false) {
            let line = restOfLine(bytes, from: hashes)
            if !line.isEmpty { return Extraction(answer: clean(line), rule: "gsm8k-####") }
        }
        if let start = lastMarker(bytes, marker: "the final answer is", caseInsensitive: true) {
            var line = statement(bytes, from: start)
            // Minerva: "The final answer is $X$. I hope it is correct."
            if let hope = line.range(of: ". I hope") { line = String(line[..<hope.lowerBound]) }
            if let affirmed = affirmed(line) {
                let cleaned = clean(affirmed)
                if !cleaned.isEmpty { return Extraction(answer: cleaned, rule: "the-final-answer-is") }
            }
        }
        if let start = lastMarker(bytes, marker: "final answer:", caseInsensitive: true),
           let affirmed = affirmed(statement(bytes, from: start)) {
            let cleaned = clean(affirmed)
            if !cleaned.isEmpty { return Extraction(answer: cleaned, rule: "final-answer") }
        }
        if let start = lastMarker(bytes, marker: "answer is", caseInsensitive: true) {
            // "The answer isn't 5." denies without affirming: no answer, not a number from the working.
            guard let affirmed = affirmed(statement(bytes, from: start)) else { return nil }
            // "The answer is 18." (few-shot GSM8K style): up to the end of the sentence.
            let cleaned = clean(String(sentenceEnd(affirmed)))
            if !cleaned.isEmpty { return Extraction(answer: cleaned, rule: "the-answer-is") }
        }
        if let whole = wholeAnswer(completion) { return Extraction(answer: whole, rule: "whole answer") }
        if let hedge = hedgedStatement(completion) {
            return Extraction(answer: hedge, rule: "final-stated-value", notAnAnswer: "hedged")
        }
        if let value = finalStatedValue(completion) { return Extraction(answer: value, rule: "final-stated-value") }
        return nil
    }

    // MARK: - Answers that are not answers

    /// Phrases that decline to answer ("no idea", "I cannot solve this").
    static let refusals = ["no idea", "don't know", "do not know", "not sure", "cannot say", "can't say", "cannot solve",
                           "can't solve", "cannot help", "can't help", "unable to", "i'm sorry", "i am sorry"]

    /// Words that make a statement a hedge between answers rather than one answer.
    static let hedgeWords: Set<String> = ["or", "either", "maybe", "perhaps", "possibly", "probably"]

    /// `refused` for "no idea"; `hedged` for "either 3 or 4", `6 \text{ or } 8`, "(C) and (D)"; `placeholder` for an empty
    /// box, `?`, `\ldots`, "answer", "N/A"; nil for an answer. "x < 3 or x > 5" is a union of
    /// inequalities, not a hedge.
    public static func notAnAnswer(_ answer: String) -> String? {
        let plain = MathNormalizer.unwrapText(answer).trimmingCharacters(in: .whitespacesAndNewlines)
        let lowered = plain.lowercased()
        let placeholders: Set<String> = ["", "?", "??", "???", "...", "\\ldots", "\\dots", "\\cdots", "…", "answer",
                                         "your answer", "the answer", "n/a", "tbd", "\\square", "\\_\\_"]
        if placeholders.contains(lowered.trimmingCharacters(in: CharacterSet(charactersIn: " $"))) { return "placeholder" }
        if refusals.contains(where: lowered.contains) { return "refused" }
        let words = lowered.split(whereSeparator: { !$0.isLetter }).map(String.init)
        if words.contains(where: hedgeWords.contains), !isRelation(lowered), !joinsEquations(plain) { return "hedged" }
        // "(C) and (D)", "C and D": two choice letters offered together.
        if words.contains("and"), words.allSatisfy({ $0 == "and" || $0.count == 1 }) {
            let letters = plain.filter { $0.isLetter && $0.isUppercase }
            if Set(letters).count >= 2 { return "hedged" }
        }
        return nil
    }

    /// True for "x = 2 or x = 3": equations of one variable joined by "or" (the solutions of an
    /// equation, not a hedge between answers).
    static func joinsEquations(_ text: String) -> Bool {
        let parts = text.components(separatedBy: " or ")
        guard parts.count >= 2 else { return false }
        let sides = parts.map { $0.split(separator: "=", omittingEmptySubsequences: false) }
        guard sides.allSatisfy({ $0.count == 2 }) else { return false }
        let variables = Set(sides.map { $0[0].trimmingCharacters(in: .whitespaces) })
        guard variables.count == 1, let variable = variables.first, variable.count == 1, variable.first!.isLetter else { return false }
        return sides.allSatisfy { !$0[1].trimmingCharacters(in: .whitespaces).isEmpty && !$0[1].lowercased().contains("either") }
    }

    /// True when the text states inequalities (`x < 3`, `x \ge 5`), whose "or" is a union.
    static func isRelation(_ text: String) -> Bool {
        text.contains("<") || text.contains(">") || ["\\le", "\\ge", "\\lt", "\\gt", "≤", "≥"].contains { text.contains($0) }
    }

    // MARK: - Statements

    /// The text after an "answer" marker: the rest of its line, or when that is empty (the
    /// answer set as display math below it) the next display block or non-empty line.
    static func statement(_ bytes: [UInt8], from start: Int) -> String {
        let line = restOfLine(bytes, from: start)
        if !clean(line).isEmpty { return line }
        let after = min(start + line.utf8.count, bytes.count)
        var rest = Substring(String(decoding: bytes[after...], as: UTF8.self))
        while let first = rest.first, first.isWhitespace { rest = rest.dropFirst() }
        for (open, close) in [("\\[", "\\]"), ("$$", "$$")] where rest.hasPrefix(open) {
            if let end = rest.dropFirst(open.count).range(of: close) { return String(rest[..<end.upperBound]) }
        }
        return String(rest.prefix { $0 != "\n" })
    }

    /// The affirmed part of an answer statement: "not 12; it is 13" gives "13"; a denial with
    /// no affirmed value after it gives nil.
    static func affirmed(_ statement: String) -> String? {
        var text = Substring(statement)
        while let first = text.first, first == " " || first == ":" || first == "*" { text = text.dropFirst() }
        // "The answer is not 12", "The answer isn't 12": a denial.
        guard text.lowercased().hasPrefix("not ") || text.lowercased().hasPrefix("n't ") else { return String(text) }
        let lowered = text.lowercased()
        for marker in ["it is ", "it's ", "but ", "rather ", "instead "] {
            if let r = lowered.range(of: marker, options: .backwards) {
                return String(text.dropFirst(lowered.distance(from: lowered.startIndex, to: r.upperBound)))
            }
        }
        return nil
    }

    /// The statement up to the end of its sentence: a period followed by a space, a semicolon,
    /// or a comma or word that starts a new clause (", so", "because"), outside `$…$` and brackets.
    static func sentenceEnd(_ text: String) -> Substring {
        let chars = Array(text)
        var depth = 0
        var inMath = false
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "\\" { i += 2; continue }
            if c == "$" { inMath.toggle() }
            if "({[".contains(c) { depth += 1 }
            if ")}]".contains(c) { depth = max(0, depth - 1) }
            if !inMath && depth == 0 {
                if c == ".", i + 1 == chars.count || chars[i + 1] == " " { return text.prefix(i) }
                if c == ";" { return text.prefix(i) }
                // ", because": a word of two or more letters, not a variable (`x, y`).
                if c == ",", i + 2 < chars.count, chars[i + 1] == " ", chars[(i + 2)...].prefix(while: \.isLetter).count >= 2 {
                    return text.prefix(i)
                }
                let rest = String(chars[i...].prefix(9))
                for word in [" because", " since"] where rest.hasPrefix(word) { return text.prefix(i) }
            }
            i += 1
        }
        return text[...]
    }

    /// A one-line completion read whole as an answer (a bare prediction): one that reads as
    /// mathematics, or up to three words with no digits (`Monday`, `\text{no}`). Nil for prose.
    static func wholeAnswer(_ completion: String) -> String? {
        let trimmed = completion.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.count <= bareAnswerLimit else { return nil }
        // A matrix or a long expression may span lines; prose never reads as mathematics.
        if trimmed.contains("\n") {
            let joined = trimmed.split(separator: "\n").joined(separator: " ")
            return readsAsMathematics(clean(joined)) ? clean(joined) : nil
        }
        let cleaned = clean(trimmed)
        if notAnAnswer(cleaned) != nil { return cleaned }
        let words = cleaned.split(whereSeparator: \.isWhitespace)
        if words.count <= 3, !cleaned.contains(where: \.isNumber) { return cleaned }
        if readsAsMathematics(cleaned) { return cleaned }
        // `\frac{1}{2} cup`, `5 apples`: an answer followed by a few plain words naming what it counts.
        let trailing = words.reversed().prefix { $0.count > 1 && $0.allSatisfy(\.isLetter) }.count
        if (1...3).contains(trailing), trailing < words.count,
           !words.suffix(trailing).contains(where: { operationWords.contains($0.lowercased()) }) {
            let head = words.dropLast(trailing).joined(separator: " ")
            if readsAsMathematics(head) { return head }
        }
        return nil
    }

    /// True when the normalised text parses as an answer (numbers, expressions, structures).
    static func readsAsMathematics(_ text: String) -> Bool {
        let normalized = MathNormalizer.normalize(text)
        if normalized.isText { return true }
        let budget = MathBudget(deadline: .now + .milliseconds(50))
        do throws(MathCheckFailure) {
            var parser = try MathExpressionParser(normalized.text, budget: budget)
            _ = try parser.parseAnswer()
            return true
        } catch {
            return false
        }
    }

    /// The last sentence that states something, when it hedges between answers ("either 3 or 4").
    static func hedgedStatement(_ completion: String) -> String? {
        guard let sentence = sentences(completion).last(where: { $0.contains(where: \.isNumber) || $0.contains("$") }) else {
            return nil
        }
        return notAnAnswer(sentence) == "hedged" ? sentence : nil
    }

    /// The value stated last: in the last sentence that states one, its last math span (the
    /// right side of its last `=`) or else its last number. A completion cut off mid-sentence
    /// whose unfinished sentence states nothing has no value (the numbers before are working).
    static func finalStatedValue(_ completion: String) -> String? {
        let trimmed = completion.trimmingCharacters(in: .whitespacesAndNewlines)
        let all = sentences(trimmed)
        let finished = trimmed.last.map { !$0.isLetter } ?? false
        for (index, sentence) in all.enumerated().reversed() {
            if let value = statedValue(sentence) { return value }
            if index == all.count - 1, !finished { return nil }
        }
        return nil
    }

    /// Sentences of prose: split at line breaks and at ". " / "! " / "? " outside `$…$`.
    static func sentences(_ text: String) -> [String] {
        var out: [String] = []
        for line in text.split(separator: "\n") {
            var current = ""
            var inMath = false
            let chars = Array(line)
            for (i, c) in chars.enumerated() {
                current.append(c)
                if c == "$" { inMath.toggle() }
                if !inMath, ".!?".contains(c), i + 1 == chars.count || chars[i + 1] == " " {
                    out.append(current)
                    current = ""
                }
            }
            out.append(current)
        }
        return out.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Words that, right after a number, make it an operand rather than the value stated
    /// ("5 squared", "3 times 4", "2 more than x").
    static let operationWords: Set<String> = ["squared", "cubed", "times", "plus", "minus", "over", "divided", "than",
                                              "factorial"]

    /// The value one sentence states: its last math span (right of its last top-level `=`),
    /// else its last number, unless an operation word follows that number ("5 squared").
    static func statedValue(_ sentence: String) -> String? {
        if let span = lastMathSpan(sentence) {
            let cleaned = clean(rightOfLastEquals(span))
            if !cleaned.isEmpty { return cleaned }
        }
        guard let number = lastNumber(Array(sentence.utf8)),
              let range = sentence.range(of: number, options: .backwards) else { return nil }
        let after = sentence[range.upperBound...].split(whereSeparator: { !$0.isLetter }).prefix(2).map { $0.lowercased() }
        if let next = after.first, operationWords.contains(next) || (["more", "less"].contains(next) && after.dropFirst().first == "than") {
            return nil
        }
        return number
    }

    /// The content of the last `$…$`, `$$…$$`, `\(…\)` or `\[…\]` in the text.
    static func lastMathSpan(_ text: String) -> String? {
        var best: (end: Int, content: String)? = nil
        for (open, close) in [("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")] {
            var search = text.startIndex..<text.endIndex
            while let o = text.range(of: open, range: search),
                  let c = text.range(of: close, range: o.upperBound..<text.endIndex) {
                let content = String(text[o.upperBound..<c.lowerBound])
                let end = text.distance(from: text.startIndex, to: c.upperBound)
                if !content.trimmingCharacters(in: .whitespaces).isEmpty, end > (best?.end ?? -1) {
                    best = (end, content)
                }
                search = c.upperBound..<text.endIndex
            }
        }
        return best?.content
    }

    /// The right side of the last `=` outside brackets (`\binom{3}{1} = 3` gives `3`).
    static func rightOfLastEquals(_ span: String) -> String {
        var depth = 0
        var cut: String.Index? = nil
        var i = span.startIndex
        while i < span.endIndex {
            let c = span[i]
            if "({[".contains(c) { depth += 1 }
            if ")}]".contains(c) { depth = max(0, depth - 1) }
            if c == "=", depth == 0 { cut = span.index(after: i) }
            i = span.index(after: i)
        }
        return cut.map { String(span[$0...]) } ?? span
    }

    /// The chosen option of a multiple-choice completion, as one of `labels` (`A`…`E`, or ARC's `1`…`4`).
    ///
    /// Accepts `\boxed{B}`, "the answer is (B)", "Answer: B", "B)" or a completion that is
    /// only the label. There is deliberately no "last capital letter" fallback: the word
    /// "I" or an initial would be read as a choice.
    public static func extractChoice(from completion: String, labels: [String]) -> Extraction? {
        let labelSet = Set(labels.map { $0.uppercased() })
        func label(in text: String) -> String? {
            var t = MathNormalizer.unwrapText(text).trimmingCharacters(in: .whitespacesAndNewlines)
            for prefix in ["option", "choice"] where t.lowercased().hasPrefix(prefix) {
                t = String(t.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces)
            }
            t = t.trimmingCharacters(in: CharacterSet(charactersIn: " $*.:()[]{}"))
            if labelSet.contains(t.uppercased()) { return t.uppercased() }
            // "(B) 42": the label then the option's text.
            if let first = t.split(whereSeparator: { " ).:".contains($0) }).first,
               labelSet.contains(String(first).uppercased()), t.count > first.count {
                let rest = t.dropFirst(first.count)
                if rest.first == ")" || rest.first == "." || rest.first == ":" { return String(first).uppercased() }
            }
            return nil
        }
        // "Answer: the correct option is (B)": the one label named in the line, if exactly one.
        func onlyLabel(in line: String) -> String? {
            let words = line.split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init)
            let named = Set(words.filter { labelSet.contains($0) })
            return named.count == 1 ? named.first : nil
        }
        let bytes = Array(completion.utf8)
        if let boxed = lastBoxed(bytes), let l = label(in: boxed) { return Extraction(answer: l, rule: "choice-boxed") }
        for marker in ["answer is", "answer:", "answer is:", "option is", "choice is"] {
            if let start = lastMarker(bytes, marker: marker, caseInsensitive: true) {
                // Not the first word alone: in "Answer: A plant needs light" the A is an article.
                let line = restOfLine(bytes, from: start)
                if let l = label(in: line) ?? onlyLabel(in: line) {
                    return Extraction(answer: l, rule: "choice-answer-is")
                }
            }
        }
        if let l = label(in: completion) { return Extraction(answer: l, rule: "choice-whole") }
        return nil
    }

    // MARK: - Scanning

    /// What the last `\boxed`/`\fbox` holds.
    enum BoxedSpan: Equatable {
        case absent
        /// The box was opened and never closed: the completion was cut off inside it.
        case unclosed
        case found(String)
    }

    /// The content of the last `\boxed`/`\fbox`, braces balanced; nil when absent or unclosed.
    static func lastBoxed(_ bytes: [UInt8]) -> String? {
        if case .found(let content) = lastBoxedSpan(bytes) { return content }
        return nil
    }

    /// The last `\boxed`/`\fbox` and its content (escaped `\{` `\}` skipped).
    static func lastBoxedSpan(_ bytes: [UInt8]) -> BoxedSpan {
        let candidates = [lastMarker(bytes, marker: "\\boxed", caseInsensitive: false),
                          lastMarker(bytes, marker: "\\fbox", caseInsensitive: false)].compactMap { $0 }
        guard var i = candidates.max() else { return .absent }
        while i < bytes.count, bytes[i] == UInt8(ascii: " ") { i += 1 }
        guard i < bytes.count else { return .unclosed }
        if bytes[i] != UInt8(ascii: "{") {
            // `\boxed 5`: up to the next `$` or whitespace.
            var j = i
            while j < bytes.count, !" \n\t$".utf8.contains(bytes[j]) { j += 1 }
            return j > i ? .found(String(decoding: bytes[i..<j], as: UTF8.self)) : .unclosed
        }
        var depth = 0
        var j = i
        while j < bytes.count {
            let b = bytes[j]
            if b == UInt8(ascii: "\\") { j += 2; continue }
            if b == UInt8(ascii: "{") { depth += 1 }
            if b == UInt8(ascii: "}") {
                depth -= 1
                if depth == 0 { return .found(String(decoding: bytes[(i + 1)..<j], as: UTF8.self)) }
            }
            j += 1
        }
        return .unclosed
    }

    /// The index just after the last occurrence of `marker`, or nil.
    static func lastMarker(_ bytes: [UInt8], marker: String, caseInsensitive: Bool) -> Int? {
        let m = Array(marker.utf8)
        guard bytes.count >= m.count, !m.isEmpty else { return nil }
        func lower(_ b: UInt8) -> UInt8 { (b >= 65 && b <= 90) ? b + 32 : b }
        var start = bytes.count - m.count
        while start >= 0 {
            var k = 0
            while k < m.count {
                let a = caseInsensitive ? lower(bytes[start + k]) : bytes[start + k]
                if a != m[k] { break }
                k += 1
            }
            if k == m.count { return start + m.count }
            start -= 1
        }
        return nil
    }

    static func restOfLine(_ bytes: [UInt8], from start: Int) -> String {
        var end = start
        while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    /// The last number (`-1,234.5`, `3/4`) in the text.
    static func lastNumber(_ bytes: [UInt8]) -> String? {
        func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
        var end = bytes.count - 1
        while end >= 0, !isDigit(bytes[end]) { end -= 1 }
        guard end >= 0 else { return nil }
        var start = end
        while start > 0 {
            let b = bytes[start - 1]
            if isDigit(b) { start -= 1; continue }
            // A separator counts only between digits: "1,234", "2.5", "3/4".
            if (b == UInt8(ascii: ",") || b == UInt8(ascii: ".") || b == UInt8(ascii: "/")),
               start >= 2, isDigit(bytes[start - 2]) { start -= 1; continue }
            break
        }
        if start > 0, bytes[start - 1] == UInt8(ascii: "-") { start -= 1 }
        return String(decoding: bytes[start...end], as: UTF8.self)
    }

    /// Trims whitespace, surrounding `$`/`\(\)`, a trailing period and "is" leftovers.
    static func clean(_ text: String) -> String {
        var t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        // Markdown emphasis around or after the marker: "**Final answer:** 24".
        t = t.trimmingCharacters(in: CharacterSet(charactersIn: "*")).trimmingCharacters(in: .whitespacesAndNewlines)
        if t.hasPrefix(":") { t.removeFirst(); t = t.trimmingCharacters(in: .whitespaces) }
        t = t.trimmingCharacters(in: CharacterSet(charactersIn: "*")).trimmingCharacters(in: .whitespacesAndNewlines)
        while t.hasSuffix(".") || t.hasSuffix(",") { t.removeLast(); t = t.trimmingCharacters(in: .whitespaces) }
        if t.hasPrefix("\\(") && t.hasSuffix("\\)") && t.count >= 4 { t = String(t.dropFirst(2).dropLast(2)) }
        if t.hasPrefix("\\[") && t.hasSuffix("\\]") && t.count >= 4 { t = String(t.dropFirst(2).dropLast(2)) }
        if t.hasPrefix("$") && t.hasSuffix("$") && t.count >= 2 {
            t = t.trimmingCharacters(in: CharacterSet(charactersIn: "$"))
        }
        while t.hasSuffix(".") { t.removeLast() }
        return t.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
