import Experiments
import Foundation
import ScalingCore
import Testing

/// Issue 20, finding 3: a template placeholder that matches nothing is an error naming the
/// line and the placeholders that exist; Jinja-style spaces inside the braces are accepted.
struct TemplatePlaceholderTests {
    static func template(_ text: String) throws(ExperimentError) -> PromptTemplate {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-tpl-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("mine.txt")
        try? text.write(to: file, atomically: true, encoding: .utf8)
        return try PromptTemplate.named(file.path)
    }

    static let problem = Problem(id: "q", prompt: .text("What is 2+2?"), reference: ProblemReference(answer: "4"))

    @Test func spacesInsideTheBracesAreAccepted() throws {
        let spaced = try Self.template("Be brief.\n---\nQuestion: {{ question }}\nAnswer:")
        let tight = try Self.template("Be brief.\n---\nQuestion: {{question}}\nAnswer:")
        let expected = ProblemPrompt.messages([ChatMessage(role: "system", content: "Be brief."),
                                               ChatMessage(role: "user", content: "Question: What is 2+2?\nAnswer:")])
        #expect(spaced.render(Self.problem) == expected)
        #expect(tight.render(Self.problem) == expected)
        #expect(try Self.template("{{\tquestion  }}").render(Self.problem) == .messages([ChatMessage(role: "user", content: "What is 2+2?")]))
    }

    @Test func unknownUnclosedAndMissingPlaceholdersAreErrors() {
        let cases: [(text: String, expected: [String])] = [
            ("Solve this.\n{{nosuch}}", ["line 2", "unknown placeholder {{nosuch}}", "{{question}}, {{choices}}, {{tests}}, {{fewshot}}"]),
            ("style: completion\nQ: {{question\nA:", ["line 2", "not closed", "{{question}}"]),
            ("Q: {{ question }}\nHints: {{ hint }}", ["line 2", "{{ hint }}"]),
            ("Just answer.", ["never uses {{question}}"]),
        ]
        for (text, expected) in cases {
            do {
                _ = try Self.template(text)
                Issue.record("'\(text)' was accepted")
            } catch {
                for part in expected { #expect(error.description.contains(part), "\(error.description)") }
                #expect(error.description.contains("mine.txt"))
            }
        }
    }
}
