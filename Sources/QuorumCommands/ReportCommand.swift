import ArgumentParser
import Experiments
import Foundation
import GGUF
import Metrics
import ModelHub
import QuorumKit
import Report
import RunStore

/// `quorum report RUN...`: HTML, JSON and CSV of runs' curves, and a table on the terminal.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a self-contained HTML report (plus JSON and CSV) for one or more runs and print a summary table.")

    @Argument(help: "Run ids (see `quorum runs`); a unique prefix is enough. None: every run in the store.")
    var runs: [String] = []

    @Option(help: "The run store (default: $QUORUM_HOME/runs.sqlite).")
    var store: String?

    @Option(name: .shortAndLong, help: "The folder to write report.html, report.json and the CSV files to.")
    var output: String = "reports/latest"

    @Option(help: "Price per million prompt tokens, in dollars (with --completion-price: report money).")
    var promptPrice: Double?

    @Option(help: "Price per million completion tokens, in dollars.")
    var completionPrice: Double?

    @Option(help: "Bootstrap resamples for the confidence intervals.")
    var bootstrap: Int = 1000

    @Flag(help: "Also estimate stopping rules on each run's stored samples (accuracy and expected samples per problem over random orders, beside maj@k and coverage at the same cost); prints the table and writes stopping-RUN.md and .json.")
    var stopping = false

    @Option(name: .customLong("stopping-rule"), parsing: .singleValue,
            help: "A stopping rule to estimate, adaptive:RULE[,max=N,min=M,threshold=T,window=W,wave=V] (repeatable; implies --stopping). Default: a grid of every rule.")
    var stoppingRules: [String] = []

    @Option(help: "Random orders of each problem's samples per permutation seed, for --stopping.")
    var stoppingOrders: Int = 100

    @Option(help: "Permutation seeds for --stopping (the table shows the mean and the range across them).")
    var stoppingSeeds: Int = 5

    @Flag(help: "Leave problems without any sample out of the scores (the report says so) instead of counting them as unsolved.")
    var excludeUnsampled = false

    func validate() throws {
        if (promptPrice == nil) != (completionPrice == nil) {
            throw ValidationError("Give both --prompt-price and --completion-price, or neither.")
        }
        guard stoppingOrders >= 1, stoppingSeeds >= 1 else { throw ValidationError("--stopping-orders and --stopping-seeds need at least 1.") }
        guard bootstrap >= 10 else { throw ValidationError("--bootstrap needs at least 10 resamples.") }
        if runs.contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            throw ValidationError("An empty run id matches every run; give a run id or a prefix of one (`quorum runs` lists them), or none for every run.")
        }
    }

    func run() throws {
        let path = store ?? RunStore.defaultPath()
        guard FileManager.default.fileExists(atPath: path) else {
            throw ValidationError("No run store at \(path). Run `quorum run` first, or pass --store PATH.")
        }
        let runStore = try RunStore.forReading(path: path)
        let known = try runStore.runIDs()
        let ids = try runs.isEmpty ? known : runs.map { prefix in
            let matches = known.filter { $0.hasPrefix(prefix) }
            guard matches.count == 1 else {
                throw ValidationError(matches.isEmpty
                    ? "No run '\(prefix)' in \(path). `quorum runs` lists them."
                    : "'\(prefix)' matches several runs (\(matches.joined(separator: ", "))); give more characters.")
            }
            return matches[0]
        }
        guard !ids.isEmpty else { throw ValidationError("The store \(path) has no runs yet.") }
        let price = promptPrice.map { TokenPrice(promptDollarsPerMillion: $0, completionDollarsPerMillion: completionPrice ?? 0) }
        let reports = try ids.map { id in
            let configuration = try runStore.configuration(ofRun: id)
            let analysis = RunAnalysis(modelShape: Self.modelShape(configuration.model), price: price, bootstrapResamples: bootstrap,
                                       countUnsampledAsUnsolved: !excludeUnsampled)
            return try analysis.report(runID: id, store: runStore)
        }
        let input = ReportInput(title: "Quorum report", generatedAt: Date(), runs: reports)
        let folder = URL(fileURLWithPath: output)
        let files = try ReportFiles.write(input, to: folder)
        print(TerminalTable.render(input, width: 100))
        print("\nWrote \(files.map(\.lastPathComponent).joined(separator: ", ")) to \(folder.path)")
        if stopping || !stoppingRules.isEmpty {
            let analysis = StoppingAnalysis(rules: stoppingRules.isEmpty ? StoppingAnalysis.defaultRules : stoppingRules,
                                            orders: stoppingOrders, seeds: (0..<UInt64(stoppingSeeds)).map { $0 })
            for id in ids {
                let table = try analysis.table(runID: id, store: runStore)
                print("\n" + table.render())
                try StoppingTable.write(table, to: folder)
            }
        }
    }

    /// The model's shape for FLOPs (nil for a served model, whose FLOPs are then not reported).
    static func modelShape(_ model: String) -> ModelShape? { ModelFacts.shape(of: model) }
}
