import Datasets
import Foundation
import ScalingCore
import TestSupport
import Testing

/// Issue 20, finding 12: `quorum data inspect` cuts long fields, and a device is not called
/// a permission problem.
struct InspectionLimitsTests {
    @Test func longFieldsAreCutWithANote() throws {
        let prompt = String(repeating: "word ", count: 100_000)   // 500,000 characters
        let problem = Problem(id: "big", prompt: .text(prompt), reference: ProblemReference(answer: "1"),
                              metadata: ["notes": .string(String(repeating: "n", count: 5000))])
        let cut = problem.readableDescription(maxFieldCharacters: 2000)
        #expect(cut.count < 5000)
        #expect(cut.contains("498000 more characters not shown; --full shows all"))
        // Metadata is cut from its JSON text (5,002 characters with the quotes).
        #expect(cut.contains("notes: \"nnn") && cut.contains("3002 more characters not shown"))
        // Whole when asked.
        #expect(problem.readableDescription.contains(prompt))
        #expect(problem.readableDescription(maxFieldCharacters: nil) == problem.readableDescription)
    }

    @Test func aDeviceIsNotAFileToRead() {
        #expect {
            try Dataset.load(path: "/dev/zero")
        } throws: { error in
            guard let error = error as? DatasetError else { return false }
            return error.description.contains("not a regular file") && error.hint.contains("regular file")
        }
    }

    @Test func theCommandCutsTheFirstProblem() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-inspect-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("big.jsonl")
        let prompt = String(repeating: "x", count: 3_000_000)
        try "{\"id\": \"big\", \"prompt\": \"\(prompt)\", \"answer\": 1}\n".write(to: file, atomically: true, encoding: .utf8)
        let cut = try Shell.run([try TestPaths.quorumBinary(), "data", "inspect", file.path])
        #expect(cut.status == 0 && cut.text.count < 10_000 && cut.text.contains("2998000 more characters not shown"), "\(cut.text.prefix(500))")
        let full = try Shell.run([try TestPaths.quorumBinary(), "data", "inspect", file.path, "--full"])
        #expect(full.status == 0 && full.text.contains(prompt))
        let device = try Shell.run([try TestPaths.quorumBinary(), "data", "inspect", "/dev/zero"])
        #expect(device.status != 0 && device.standardError.contains("not a regular file"), "\(device.standardError)")
    }
}

/// Issue 20, finding 7: the hint to pass --skip-invalid is one `run` and `verify` accept.
struct SkipInvalidFlagTests {
    @Test func runAndVerifyTakeTheFlagTheirErrorsSuggest() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-skip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("tasks.jsonl")
        try "{\"id\": \"a\", \"prompt\": \"What is 2+2?\", \"answer\": 4}\n{\"id\": \"b\", \"prompt\": 7}\n"
            .write(to: file, atomically: true, encoding: .utf8)
        let quorum = try TestPaths.quorumBinary()
        let strict = try Shell.run([quorum, "run", "--dataset", file.path, "--model", "/nonexistent.gguf", "--store", folder.appendingPathComponent("s.sqlite").path])
        #expect(strict.status != 0 && strict.standardError.contains("--skip-invalid"), "\(strict.standardError)")
        let run = try Shell.run([quorum, "run", "--dataset", file.path, "--skip-invalid", "--model", "/nonexistent.gguf",
                                 "--store", folder.appendingPathComponent("s.sqlite").path])
        // Past the data set (one record skipped and named), it stops at the missing model.
        #expect(run.standardError.contains("skipped 1 invalid record") && run.standardError.contains("nonexistent.gguf"), "\(run.standardError)")
        let verify = try Shell.run([quorum, "verify", "--dataset", file.path, "--skip-invalid", "--samples", folder.appendingPathComponent("none.jsonl").path])
        #expect(verify.standardError.contains("skipped 1 invalid record") && !verify.standardError.contains("Unknown option"), "\(verify.standardError)")
    }
}
