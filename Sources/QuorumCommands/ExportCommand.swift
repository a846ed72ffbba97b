import ArgumentParser
import Foundation
import QuorumKit
import Training

/// `quorum export`: a run's data in the formats other trainers read.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a run's data for other trainers (TRL on a GPU fleet).",
        subcommands: [ExportPairsCommand.self])
}

/// `quorum export pairs RUN_ID --format trl`: the pairs `quorum train dpo` trains on, in TRL's preference format.
struct ExportPairsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pairs",
        abstract: "Write a run's preference pairs (correct vs incorrect samples) as TRL's DPO data.",
        discussion: """
            The same pairs as `quorum train dpo --run RUN_ID` with the same --pairs-per-problem, --gold-as-winner, \
            --max-pairs and --seed, before the context-length filter (that depends on the model TRL trains). \
            One JSON object a line: conversational ({"prompt": [messages], "chosen": [assistant message], \
            "rejected": [assistant message]}) for chat prompts, standard ({"prompt", "chosen", "rejected"} strings) \
            for completion prompts. TRL's DPOTrainer trains on the file directly; the README gives the configuration \
            closest to Quorum's loss.
            """)

    @Argument(help: "The run (an id from `quorum runs`).")
    var runID: String

    @Option(help: "The format: trl (TRL's preference format).")
    var format: String = "trl"

    @Option(help: "Write to this file (default: standard output).")
    var output: String?

    @Option(help: "Seed of the pairing.")
    var seed: UInt64 = 0

    @OptionGroup var pairing: PairOptions

    func validate() throws {
        guard format == "trl" else { throw ValidationError("--format must be trl, not '\(format)'.") }
    }

    func run() throws {
        let runPairs = try RunPairs.build(runID: runID, options: pairing, seed: seed)
        let text = runPairs.result.pairs.map(TRLPreferenceFormat.line).joined(separator: "\n") + "\n"
        guard let output else {
            FileHandle.standardOutput.write(Data(text.utf8))
            printError("pairs: \(runPairs.summary)")
            return
        }
        // Written beside the target and renamed over it, so an existing file is never left half-written.
        let temporary = output + ".partial-\(getpid())"
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw ValidationError("Cannot write \(output): \(error.localizedDescription)")
        }
        guard rename(temporary, output) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw ValidationError("Cannot move the export into place at \(output): \(reason)")
        }
        printError("wrote \(output): \(runPairs.summary)")
    }
}
