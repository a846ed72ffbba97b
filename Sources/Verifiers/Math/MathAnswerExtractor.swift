import Foundation

/// Finds the final answer in a model's completion, and says which rule found it.
///
/// Rules, in the order tried (the first that matches wins; within a rule the last
/// occurrence counts, because models restate and correct themselves):
/// 1. `boxed`: the last `\boxed{…}` or `\fbox{…}` (nested braces balanced; `\boxed 5` too).
/// 2. `gsm8k-####`: the text after the last `####` (GSM8K's answer line).
/// 3. `the-final-answer-is`: "The final answer is …" (Minerva's format), to the end of the line.
/// 4. `final-answer`: "Final answer: …" to the end of the line.
/// 5. `the-answer-is`: "The answer is …" to the end of the sentence (few-shot GSM8K prompts).
/// 6. `last-number fallback`: the last number in the text, explicitly named as a fallback
///    so reports can tell a guessed answer from a declared one.
///
/// Extraction is linear in the completion's length and allocates only the span it
/// returns, so a megabyte of output costs milliseconds.
public enum MathAnswerExtractor {
    /// An extracted answer: the span compared, and the rule that found it.
    public struct Extraction: Sendable, Hashable {
        /// The answer text, trimmed, with surrounding `$` and a final period removed.
        public var answer: String
        /// Which rule matched: `boxed`, `gsm8k-####`, `the-final-answer-is`, `final-answer`,
        /// `the-answer-is`, `last-number fallback`, or for multiple choice `choice-…`.
        public var rule: String

        public init(answer: String, rule: String) {
            self.answer = answer
            self.rule = rule
        }
    }

    /// The final answer of `completion`, or nil when no rule finds one.
    public static func extract(from completion: String) -> Extraction? {
        let bytes = Array(completion.utf8)
        if let boxed = lastBoxed(bytes) { return Extraction(answer: clean(boxed), rule: "boxed") }
        if let hashes = lastMarker(bytes, marker: "####", caseInsensitive: false) {
            let line = restOfLine(bytes, from: hashes)
            if !line.isEmpty { return Extraction(answer: clean(line), rule: "gsm8k-####") }
        }
        if let start = lastMarker(bytes, marker: "the final answer is", caseInsensitive: true) {
            var line = restOfLine(bytes, from: start)
            // Minerva: "The final answer is $X$. I hope it is correct."
            if let hope = line.range(of: ". I hope") { line = String(line[..<hope.lowerBound]) }
            let cleaned = clean(line)
            if !cleaned.isEmpty { return Extraction(answer: cleaned, rule: "the-final-answer-is") }
        }
        if let start = lastMarker(bytes, marker: "final answer:", caseInsensitive: true) {
            let cleaned = clean(restOfLine(bytes, from: start))
            if !cleaned.isEmpty { return Extraction(answer: cleaned, rule: "final-answer") }
        }
        if let start = lastMarker(bytes, marker: "the answer is", caseInsensitive: true) {
            // "The answer is 18." (few-shot GSM8K style): up to the end of the sentence.
            var line = Substring(restOfLine(bytes, from: start))
            for end in [". ", ", ", " because", " since"] {
                if let r = line.range(of: end) { line = line[..<r.lowerBound] }
            }
            let cleaned = clean(String(line))
            if !cleaned.isEmpty { return Extraction(answer: cleaned, rule: "the-answer-is") }
        }
        if let number = lastNumber(bytes) { return Extraction(answer: number, rule: "last-number fallback") }
        return nil
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

    /// The content of the last `\boxed`/`\fbox`, braces balanced (escaped `\{` `\}` skipped).
    static func lastBoxed(_ bytes: [UInt8]) -> String? {
        let candidates = [lastMarker(bytes, marker: "\\boxed", caseInsensitive: false),
                          lastMarker(bytes, marker: "\\fbox", caseInsensitive: false)].compactMap { $0 }
        guard var i = candidates.max() else { return nil }
        while i < bytes.count, bytes[i] == UInt8(ascii: " ") { i += 1 }
        guard i < bytes.count else { return nil }
        if bytes[i] != UInt8(ascii: "{") {
            // `\boxed 5`: up to the next `$` or whitespace.
            var j = i
            while j < bytes.count, !" \n\t$".utf8.contains(bytes[j]) { j += 1 }
            return j > i ? String(decoding: bytes[i..<j], as: UTF8.self) : nil
        }
        var depth = 0
        var j = i
        while j < bytes.count {
            let b = bytes[j]
            if b == UInt8(ascii: "\\") { j += 2; continue }
            if b == UInt8(ascii: "{") { depth += 1 }
            if b == UInt8(ascii: "}") {
                depth -= 1
                if depth == 0 { return String(decoding: bytes[(i + 1)..<j], as: UTF8.self) }
            }
            j += 1
        }
        return nil   // unbalanced: the completion was cut off inside the box
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
        if t.hasPrefix(":") { t.removeFirst(); t = t.trimmingCharacters(in: .whitespaces) }
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
