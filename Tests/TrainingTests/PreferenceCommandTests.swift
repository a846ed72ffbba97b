import Foundation
import GGUF
import Testing
import TestSupport
import Training

/// `quorum run` → `quorum export pairs` → `quorum train dpo` as a user runs them, on a tiny
/// random model that carries SmolLM2's tokenizer and chat template, over the first three GSM8K
/// train problems (QUORUM_DATA). The tiny model never answers right, so without the gold
/// solution there is no winner (a clear error says so), and with `--gold-as-winner` each
/// problem gives min(K, 4) pairs of the rewritten worked solution against its samples.
@Suite(.serialized) struct PreferenceCommandTests {
    @Test func runExportAndTrain() throws {
        let (directory, model, _) = try TrainCommandTests.setUp()
        defer { try? FileManager.default.removeItem(at: directory) }
        let quorum = try TestPaths.quorumBinary()
        let store = directory.appendingPathComponent("runs.sqlite").path
        let run = try Shell.run([quorum, "run", "--dataset", "gsm8k:train", "--limit", "3", "-n", "4", "--model", model,
                                 "--max-tokens", "12", "--temperature", "1", "--store", store, "--quiet"])
        #expect(run.status == 0, "\(run.standardError.suffix(1500))")
        let runID = try #require(run.text.components(separatedBy: "quorum report ").last?.trimmingCharacters(in: .whitespacesAndNewlines))

        // No correct sample anywhere: a clear error that names the way out.
        let noGold = try Shell.run([quorum, "export", "pairs", runID, "--store", store, "--pairs-per-problem", "3"])
        #expect(noGold.status != 0)
        #expect(noGold.standardError.contains("no correct sample") && noGold.standardError.contains("--gold-as-winner"), "\(noGold.standardError)")

        // The TRL export, read back by `datasets`.
        let pairsFile = directory.appendingPathComponent("pairs.jsonl").path
        let export = try Shell.run([quorum, "export", "pairs", runID, "--store", store, "--pairs-per-problem", "3", "--gold-as-winner",
                                    "--format", "trl", "--output", pairsFile])
        #expect(export.status == 0, "\(export.standardError)")
        #expect(export.standardError.contains("9 pairs from 3 problems"), "\(export.standardError)")
        _ = try Shell.output(["bash", TestPaths.packageRoot.appendingPathComponent("scripts/trl_python_setup").path])
        let script = TestPaths.packageRoot.appendingPathComponent("scripts/trl_export_check.py").path
        let loaded = try #require(JSONSerialization.jsonObject(with: Data(Shell.output(["python3", script, pairsFile]).utf8)) as? [String: Any])
        #expect(Set(loaded["columns"] as? [String] ?? []) == ["prompt", "chosen", "rejected"])
        #expect(loaded["rows"] as? Int == 9)
        #expect(loaded["conversational"] as? [Bool] == Array(repeating: true, count: 9))
        let first = try #require((loaded["records"] as? [[String: Any]])?.first)
        let prompt = first["prompt"] as? [[String: String]] ?? []
        #expect(prompt.last?["role"] == "user" && prompt.last?["content"]?.contains("Natalia sold clips") == true)
        #expect((first["chosen"] as? [[String: String]])?.first?["content"] == """
            Natalia sold 48/2 = 24 clips in May.
            Natalia sold 48+24 = 72 clips altogether in April and May.
            Final answer: 72
            """)
        #expect((first["rejected"] as? [[String: String]])?.first?["role"] == "assistant")

        // Training on the same pairs: per-step preference figures, a growing margin, the lineage in the file.
        let output = directory.appendingPathComponent("irpo.gguf").path
        let train = try Shell.run([quorum, "train", "dpo", "--run", runID, "--store", store, "--pairs-per-problem", "3", "--gold-as-winner",
                                   "--beta", "0.1", "--alpha", "1", "--model", model, "--output", output, "--steps", "8",
                                   "--batch-tokens", "150", "--micro-batch-tokens", "512", "--learning-rate", "3e-3",
                                   "--schedule", "constant", "--threads", "2", "--json", "--quiet"])
        #expect(train.status == 0, "\(train.standardError.suffix(1500))")
        #expect(train.standardError.contains("9 pairs from 3 problems"), "\(train.standardError)")
        let steps = try train.text.split(separator: "\n").filter { $0.contains("\"step\"") }
            .map { try JSONDecoder().decode(StepReport.self, from: Data($0.utf8)) }
        #expect(steps.count == 8)
        let figures = steps.compactMap(\.preference)
        #expect(figures.count == 8)
        if let firstStep = figures.first, let lastStep = figures.last {
            print("train dpo: margin \(firstStep.margin) -> \(lastStep.margin), chosen \(firstStep.chosenLogprob) -> \(lastStep.chosenLogprob)")
            #expect(abs(firstStep.margin) < 1e-4)
            #expect(lastStep.margin > firstStep.margin + 0.1)
            #expect(lastStep.chosenLogprob > firstStep.chosenLogprob)
        }
        let file = try GGUFFile(path: output)
        #expect(file["quorum.training.objective"]?.stringValue == "irpo (β 0.1, α 1.0)")
        #expect(file["quorum.training.steps"]?.intValue == 8)
    }
}
