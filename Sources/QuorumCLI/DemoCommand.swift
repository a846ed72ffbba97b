import ArgumentParser
import Foundation
import ModelHub

/// `quorum demo`: the README's first command.
///
/// Until the engine and sampling runs land, it checks what is installed and says
/// what the end-to-end run will do; the runs issue turns it into the real run.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the end-to-end demo on the default model (today: check the installation and show the plan).")

    func run() throws {
        let cache = ModelCache()
        let spec = ModelCatalog.defaultModel
        print("Quorum demo")
        do {
            let url = try cache.resolve(spec.name)
            let summary = try ModelSummary(path: url.path)
            print("  model:  \(spec.name) at \(url.path)")
            print("          \(summary.architecture), \(summary.quantization), \(formatCount(summary.parameterCount)) parameters, context \(summary.contextLength ?? 0)")
        } catch {
            print("  model:  not installed. \(error)")
        }
        let data = ProcessInfo.processInfo.environment["QUORUM_DATA"].map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath).deletingLastPathComponent().appendingPathComponent("shared/data")
        let gsm8k = data.appendingPathComponent("gsm8k/test.jsonl")
        if FileManager.default.fileExists(atPath: gsm8k.path) {
            print("  data:   GSM8K test set at \(gsm8k.path)")
        } else {
            print("  data:   GSM8K not found at \(gsm8k.path); set QUORUM_DATA to a folder laid out like ../shared/data.")
        }
        print("""
          plan:   sample 16 completions for each of 30 GSM8K test problems on the embedded engine,
                  check each final answer, and print coverage (pass@k), majority-vote accuracy and
                  cost for k = 1...16, with a report. The embedded engine is not built yet, so this
                  demo stops here.
          """)
    }
}
