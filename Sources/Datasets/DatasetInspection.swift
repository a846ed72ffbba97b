import Foundation
import ScalingCore

extension Dataset {
    /// A readable summary for `quorum data inspect`: format, container, record count,
    /// fields, skipped records, and the first problem.
    ///
    /// - Parameters:
    ///   - maxSkippedShown: how many skipped-record errors to list in full.
    ///   - firstProblemAsJSON: show the first problem as its JSON form instead of text.
    public func inspectionReport(maxSkippedShown: Int = 5, firstProblemAsJSON: Bool = false) -> String {
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
            lines.append((firstProblemAsJSON ? problem.prettyJSON : problem.readableDescription).split(separator: "\n", omittingEmptySubsequences: false)
                .map { "  " + $0 }.joined(separator: "\n"))
        }
        return lines.joined(separator: "\n")
    }
}

extension Problem {
    /// The problem as indented text: id, prompt, reference, metadata; long values are
    /// shown whole so the user sees exactly what a template will get.
    public var readableDescription: String {
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
                lines.append("  \(key): \(metadata[key]!.compactJSON)")
            }
        }
        return lines.joined(separator: "\n")
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
