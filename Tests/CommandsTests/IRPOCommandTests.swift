import ArgumentParser
import Foundation
import QuorumCommands
import RunStore
import TestSupport
import Testing

/// `quorum train irpo` end to end on the default model, at the smallest size that still does
/// every stage (one GSM8K training problem with its worked solution as a winner, one pair, one
/// step, one held-out problem): killed with SIGKILL part-way and run again, it ends with the
/// same model, byte for byte, and the same table as a run never interrupted.
@Suite(.serialized)
struct IRPOCommandTests {
    static func arguments(folder: URL, name: String) -> [String] {
        ["train", "irpo", "--dataset", "gsm8k:train", "--limit", "1", "-n", "2", "--gold-as-winner", "--pairs-per-problem", "1",
         "--iterations", "1", "--eval-limit", "1", "--eval-samples", "2", "--max-tokens", "16", "--learning-rate", "1e-4",
         "--micro-batch-tokens", "1024", "--quiet", "--output", folder.appendingPathComponent(name).path,
         // One store: the second command finds the base model's runs stored (as a resumed command
         // does) and does the training, the export and the new model's evaluation again.
         "--store", folder.appendingPathComponent("runs.sqlite").path]
    }

    /// The table without what must differ between two output folders: timings, and the
    /// iterations' model paths with the ids of the runs made from them (a run's id hashes
    /// its model's name). Accuracies, pairs, losses and log-probabilities must not differ.
    static func table(_ folder: URL) throws -> [String: Any] {
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("irpo.json"))) as! [String: Any]
        json["iterations"] = (json["iterations"] as! [[String: Any]]).map { row in
            var row = row
            row["model"] = nil
            if var evaluation = row["evaluation"] as? [String: Any] {
                evaluation["greedyRunID"] = nil
                evaluation["sampledRunID"] = nil
                row["evaluation"] = evaluation
            }
            if var training = row["training"] as? [String: Any] {
                training["history"] = (training["history"] as! [[String: Any]]).map { $0.filter { $0.key != "seconds" } }
                row["training"] = training
            }
            return row
        }
        return json
    }

    @Test func killedAndResumedEqualsUninterrupted() async throws {
        _ = try TestPaths.defaultModel()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-irpo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }

        // Uninterrupted, in-process.
        let started = Date()
        var command = try #require(try Quorum.parseAsRoot(Self.arguments(folder: folder, name: "whole")) as? any AsyncParsableCommand)
        try await command.run()
        let seconds = Date().timeIntervalSince(started)

        // The real binary, killed once at a moment drawn across the run, then run again to the end.
        let interrupted = Self.arguments(folder: folder, name: "killed")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try TestPaths.quorumBinary())
        process.arguments = interrupted
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The second command skips the stored base-model runs, so it takes about half as long.
        try await Task.sleep(for: .seconds(Double.random(in: 0.1 ... 0.45) * seconds))
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let resumed = try Shell.run([try TestPaths.quorumBinary()] + interrupted)
        #expect(resumed.status == 0, "\(resumed.standardError)")

        let whole = folder.appendingPathComponent("whole"), killed = folder.appendingPathComponent("killed")
        let model = try Data(contentsOf: whole.appendingPathComponent("iter-1.gguf"))
        #expect(model == (try Data(contentsOf: killed.appendingPathComponent("iter-1.gguf"))))
        let a = try Self.table(whole), b = try Self.table(killed)
        #expect(NSDictionary(dictionary: a).isEqual(to: b), "\(a)\n\(b)")
        // Two rows (the base model, iteration 1), each with its held-out figures; one trained pair.
        let rows = a["iterations"] as! [[String: Any]]
        #expect(rows.count == 2 && rows.allSatisfy { $0["evaluation"] != nil })
        #expect((rows[1]["training"] as? [String: Any])?["pairs"] as? Int == 1)

        // Run again: everything is stored, nothing changes.
        try await command.run()
        #expect(NSDictionary(dictionary: try Self.table(whole)).isEqual(to: a))
    }
}
