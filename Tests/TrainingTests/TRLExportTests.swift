import Foundation
import ScalingCore
import Testing
import TestSupport
import Training

/// The TRL preference export read back by Hugging Face `datasets` (installed, pinned, by
/// scripts/trl_python_setup; the test fails when it cannot be): exactly TRL's three columns,
/// conversational rows by TRL's rule for chat prompts, standard rows for text prompts, and every
/// string back as written (quotes, newlines, non-ASCII, text that looks like markup).
@Suite(.serialized) struct TRLExportTests {
    static func load(_ pairs: [PreferencePair]) throws -> [String: Any] {
        _ = try Shell.output(["bash", TestPaths.packageRoot.appendingPathComponent("scripts/trl_python_setup").path])
        let directory = try Scratch.directory("trl")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("pairs.jsonl")
        try (pairs.map(TRLPreferenceFormat.line).joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        let script = TestPaths.packageRoot.appendingPathComponent("scripts/trl_export_check.py").path
        let output = try Shell.output(["python3", script, file.path])
        return try #require(JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
    }

    static let awkward = "He said \"42\" </s>\n\n#### 7\tñ 数学 😀 \\boxed{x}"

    @Test func conversationalPairsLoadWithTRLsFields() throws {
        let prompt = ProblemPrompt.messages([ChatMessage(role: "system", content: "Be brief."),
                                             ChatMessage(role: "user", content: "What is 6 × 7? " + Self.awkward)])
        let pairs = [PreferencePair(problemID: "a", prompt: prompt, chosen: "6 × 7 = 42.\nFinal answer: 42", rejected: Self.awkward),
                     PreferencePair(problemID: "b", prompt: .messages([ChatMessage(role: "user", content: "2+2?")]),
                                    chosen: "Final answer: 4", rejected: "")]
        let loaded = try Self.load(pairs)
        #expect(Set(loaded["columns"] as? [String] ?? []) == ["prompt", "chosen", "rejected"])
        #expect(loaded["rows"] as? Int == 2)
        #expect(loaded["conversational"] as? [Bool] == [true, true])
        let records = try #require(loaded["records"] as? [[String: Any]])
        func messages(_ value: Any?) -> [ChatMessage] {
            (value as? [[String: Any]] ?? []).map { ChatMessage(role: $0["role"] as? String ?? "?", content: $0["content"] as? String ?? "?") }
        }
        for (pair, record) in zip(pairs, records) {
            guard case .messages(let expected) = pair.prompt else { continue }
            #expect(messages(record["prompt"]) == expected)
            #expect(messages(record["chosen"]) == [ChatMessage(role: "assistant", content: pair.chosen)])
            #expect(messages(record["rejected"]) == [ChatMessage(role: "assistant", content: pair.rejected)])
        }
        print("features: \(loaded["features"] ?? "")")
    }

    @Test func textPromptsUseTRLsStandardFormat() throws {
        let pairs = [PreferencePair(problemID: "a", prompt: .text("Question: 6 × 7?\nAnswer:"), chosen: " 42\n#### 42", rejected: Self.awkward)]
        let loaded = try Self.load(pairs)
        #expect(Set(loaded["columns"] as? [String] ?? []) == ["prompt", "chosen", "rejected"])
        #expect(loaded["conversational"] as? [Bool] == [false])
        let record = try #require((loaded["records"] as? [[String: Any]])?.first)
        #expect(record["prompt"] as? String == "Question: 6 × 7?\nAnswer:")
        #expect(record["chosen"] as? String == " 42\n#### 42")
        #expect(record["rejected"] as? String == Self.awkward)
    }
}
