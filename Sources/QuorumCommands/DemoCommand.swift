import ArgumentParser
import Experiments
import Foundation
import ModelHub
import Report
import RunStore
import QuorumKit

/// `quorum demo`: the README's first command, the main job end to end on the default model.
///
/// Pulls the default model if needed, samples a GSM8K slice on the embedded engine,
/// verifies every answer, stores the samples (so a second demo resumes), prints the
/// table and writes the HTML report.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Sample, verify and report a GSM8K slice on the default model (the README's first command).")

    @Option(help: "GSM8K test problems to use.")
    var problems: Int = 30

    @Option(name: .short, help: "Samples per problem.")
    var n: Int = 16

    @Option(help: "Most tokens per sample.")
    var maxTokens: Int = 256

    @Option(name: .shortAndLong, help: "The folder to write the report to.")
    var output: String = "reports/demo"

    @Option(help: "The run store (default: $QUORUM_HOME/runs.sqlite).")
    var store: String?

    func validate() throws {
        guard problems >= 1, n >= 1, maxTokens >= 1 else { throw ValidationError("--problems, -n and --max-tokens must be at least 1.") }
    }

    func run() async throws {
        let spec = ModelCatalog.defaultModel
        _ = try ModelCache().pull(spec) { printError($0) }
        var arguments = ["--dataset", "gsm8k", "--limit", "\(problems)", "-n", "\(n)", "--max-tokens", "\(maxTokens)"]
        if let store { arguments += ["--store", store] }
        let options = try RunOptions.parse(arguments)
        let runID = try await options.execute(printSummary: false)
        let runStore = try RunStore(path: store ?? RunStore.defaultPath())
        let report = try RunAnalysis(modelShape: ReportCommand.modelShape(spec.name)).report(runID: runID, store: runStore)
        let input = ReportInput(title: "Quorum demo: \(spec.name) on GSM8K", generatedAt: Date(), runs: [report])
        let files = try ReportFiles.write(input, to: URL(fileURLWithPath: output))
        print(TerminalTable.render(input, width: 100))
        print("\nReport: \(files.first { $0.lastPathComponent == "report.html" }?.path ?? output)")
    }
}
