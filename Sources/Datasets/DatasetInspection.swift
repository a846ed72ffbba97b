import Foundation
import ScalingCore

extension Dataset {
    /// A readable summary for `quorum data inspect`: format, container, record count,
    /// fields, skipped records, and the first problem.
    ///
    /// - Parameters:
    ///   - maxSkippedShown: how many skipped-record errors to list in full.
    ///   - firstProblemAsJSON: show the first problem as its JSON form instead of text.
    ///   - maxFieldCharacters: longer text fields of the first problem are cut to this many
    ///     characters with a note (nil: shown whole).
    public func inspectionReport(maxSkippedShown: Int = 5, firstProblemAsJSON: Bool = false,
                                 maxFieldCharacters: Int? = 2000) -> String {
        var lines: [String] = []
        lines.append("file:     \(source)")
        lines.append("format:   \(format.name) (\(container.rawValue)\(compressed ? ", gzip" : ""))")
        lines.append("records:  \(problems.count)")
        if !skipped.isEmpty {
            lines.append("skipped:  \(skipped.count) invalid record\(skipped.count == 1 ? "" : "s")")
            for error in skipped.prefix(maxSkippedShown) {
                lines.append("  - \(error.message)")
            }
            if skipped.count > maxSkippedShown {
                lines.append("  - ... and \(skipped.count - maxSkippedShown) more")
            }
        }
        lines.append("fields:   \(fieldNames.joined(separator: ", "))")
        if let problem = problems.first {
            let location = firstRecord.map { " (\($0.location))" } ?? ""
            lines.append("")
            lines.append("first problem\(location):")
            let shown = firstProblemAsJSON ? problem.prettyJSON : problem.readableDescription(maxFieldCharacters: maxFieldCharacters)
            lines.append(shown.split(separator: "\n", omittingEmptySubsequences: false)
                .map { "  " + $0 }.joined(separator: "\n"))
        }
        return lines.joined(separator: "\n")
    }
}

extension Problem {
    /// The problem as indented text: id, prompt, reference, metadata; long values are
    /// shown whole so the user sees exactly what a template will get.
    public var readableDescription: String { readableDescription(maxFieldCharacters: nil) }

    /// The problem as indented text, each text field cut to `maxFieldCharacters` with a note
    /// of how much was left out (nil: whole), so a 50 MB prompt does not flood the terminal.
    public func readableDescription(maxFieldCharacters: Int?) -> String {
        func indent(_ text: String, by spaces: Int = 2) -> String {
            self.indent(Self.clipped(text, to: maxFieldCharacters), by: spaces)
        }
        var lines: [String] = ["id: \(id)"]
        switch prompt {
        case .text(let text):
            lines.append("prompt (text):")
            lines.append(indent(text))
        case .messages(let messages):
            lines.append("prompt (\(messages.count) messages):")
            for message in messages {
                lines.append("  [\(message.role)]")
                lines.append(indent(message.content, by: 4))
            }
        }
        if let answer = reference.answer {
            lines.append("answer: \(answer)")
        }
        if let tests = reference.tests {
            let entry = tests.entryPoint.map { ", entry point \($0)" } ?? ""
            let cases = tests.testCases.isEmpty ? "" : ", \(tests.testCases.count) test cases"
            lines.append("tests (\(tests.language)\(entry)\(cases)):")
            if !tests.solutionPrefix.isEmpty {
                lines.append("  solution prefix: \(tests.solutionPrefix == promptText ? "the prompt" : "\(tests.solutionPrefix.count) characters"), put before the completion")
            }
            if !tests.setup.isEmpty {
                lines.append("  setup:")
                lines.append(indent(tests.setup, by: 4))
            }
            lines.append("  program:")
            lines.append(indent(tests.tests, by: 4))
        }
        if !metadata.isEmpty {
            lines.append("metadata:")
            for key in metadata.keys.sorted() {
                lines.append("  \(key): \(Self.clipped(metadata[key]!.compactJSON, to: maxFieldCharacters))")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// `text` cut to `limit` characters, with a note of what was left out.
    static func clipped(_ text: String, to limit: Int?) -> String {
        guard let limit, text.count > limit else { return text }
        return String(text.prefix(limit)) + "… [\(text.count - limit) more characters not shown; --full shows all]"
    }

    /// The prompt's text when it is plain text.
    private var promptText: String? {
        if case .text(let text) = prompt { return text }
        return nil
    }

    /// The problem as pretty-printed JSON with sorted keys (its `Codable` form).
    public var prettyJSON: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self) else { return readableDescription }
        return String(decoding: data, as: UTF8.self)
    }

    private func indent(_ text: String, by spaces: Int = 2) -> String {
        let pad = String(repeating: " ", count: spaces)
        return text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { pad + $0 }.joined(separator: "\n")
    }
}

extension JSONValue {
    /// One-line JSON text with sorted keys (strings unescaped where JSON allows).
    var compactJSON: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self) else { return "\(self)" }
        return String(decoding: data, as: UTF8.self)
    }
}
