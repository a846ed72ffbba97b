import Foundation
import GGUF
import Testing
import TestSupport
import Training

/// `quorum train sft` as a user runs it: a real process, killed with SIGKILL mid-run and
/// started again, must write the same model file, byte for byte, as a run never killed.
/// The model is a tiny random one that carries SmolLM2's tokenizer and chat template, so
/// the command's whole path (JSONL, chat template, tokenizer, trainer, checkpoints, export)
/// runs in seconds.
@Suite(.serialized) struct TrainCommandTests {
    static func setUp() throws -> (directory: URL, model: String, data: String) {
        let directory = try Scratch.directory("train-command")
        let smol = try GGUFFile(path: TestPaths.defaultModel().path)
        let tokenizerKeys = smol.metadata.filter { $0.key.hasPrefix("tokenizer.") }
        let model = directory.appendingPathComponent("tiny-chat.gguf").path
        try TinyModel(vocabulary: 49_152, context: 256, extraMetadata: tokenizerKeys).write(to: model)
        var lines: [String] = []
        for i in 0..<24 {
            let a = i * 7 % 50, b = i * 13 % 40
            let messages: [[String: String]] = [["role": "user", "content": "What is \(a) + \(b)?"],
                                                ["role": "assistant", "content": "\(a) + \(b) = \(a + b). The answer is \(a + b)."]]
            let object: [String: Any] = i % 2 == 0 ? ["messages": messages]
                : ["prompt": [messages[0]], "completion": [messages[1]]]
            lines.append(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        }
        let data = directory.appendingPathComponent("data.jsonl").path
        try lines.joined(separator: "\n").write(toFile: data, atomically: true, encoding: .utf8)
        return (directory, model, data)
    }

    static func arguments(model: String, data: String, output: String) -> [String] {
        ["train", "sft", "--model", model, "--data", data, "--output", output, "--steps", "40", "--batch-tokens", "60",
         "--learning-rate", "3e-3", "--warmup-steps", "4", "--checkpoint-every", "3", "--threads", "2", "--json", "--quiet"]
    }

    @Test func killedRunResumesToTheSameFile() throws {
        let (directory, model, data) = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: directory) }
        let quorum = try TestPaths.quorumBinary()
        let straight = directory.appendingPathComponent("straight.gguf").path
        let run = try Shell.run([quorum] + Self.arguments(model: model, data: data, output: straight))
        #expect(run.status == 0, "\(run.standardError.suffix(1500))")
        let steps = run.text.split(separator: "\n").filter { $0.contains("\"step\"") }
        #expect(steps.count == 40)
        #expect(run.standardError.contains("keeps"))   // the retention table

        // The same command, killed at several moments, then run to the end.
        let resumed = directory.appendingPathComponent("resumed.gguf").path
        var kills = 0
        for killAfterSteps in [5, 17, 29] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: quorum)
            process.arguments = Self.arguments(model: model, data: data, output: resumed)
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = FileHandle.nullDevice
            try process.run()
            var seen = 0, buffer = Data()
            while seen < killAfterSteps {
                let chunk = pipe.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                buffer += chunk
                seen = buffer.split(separator: UInt8(ascii: "\n")).count
            }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                kills += 1
            }
            process.waitUntilExit()
        }
        #expect(kills >= 2)
        let finish = try Shell.run([quorum] + Self.arguments(model: model, data: data, output: resumed))
        #expect(finish.status == 0, "\(finish.standardError.suffix(1500))")
        #expect(finish.standardError.contains("resuming after step"))
        let a = try Data(contentsOf: URL(fileURLWithPath: straight)), b = try Data(contentsOf: URL(fileURLWithPath: resumed))
        #expect(a == b, "the resumed run's model differs from the uninterrupted run's")
        // The export is a model the engine's loader accepts, with its lineage.
        let file = try GGUFFile(path: resumed)
        #expect(file["quorum.training.steps"]?.intValue == 40)
        #expect(file["tokenizer.ggml.model"]?.stringValue == "gpt2")
    }

    @Test func badDataFileNamesTheLine() throws {
        let (directory, model, _) = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: directory) }
        let bad = directory.appendingPathComponent("bad.jsonl").path
        try "{\"prompt\": \"a\", \"completion\": \"b\"}\n{\"prompt\": \"a\"}\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let output = directory.appendingPathComponent("out.gguf").path
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: output))
        let run = try Shell.run([try TestPaths.quorumBinary()] + Self.arguments(model: model, data: bad, output: output))
        #expect(run.status != 0)
        #expect(run.standardError.contains("bad.jsonl:2"), "\(run.standardError)")
        // Nothing already written is lost.
        #expect(try String(contentsOfFile: output, encoding: .utf8) == "keep me")
    }
}
