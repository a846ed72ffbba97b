import ArgumentParser
import Foundation
import RunStore

/// `quorum runs`: the runs in a store, with their configuration and progress.
struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List the runs in a run store with their configuration and progress.")

    @Option(help: "The run store (default: $QUORUM_HOME/runs.sqlite).")
    var store: String?

    @Flag(help: "Print each run's full configuration as JSON.")
    var json = false

    func run() throws {
        let path = store ?? RunStore.defaultPath()
        guard FileManager.default.fileExists(atPath: path) else {
            print("No run store at \(path) yet. `quorum run` creates it.")
            return
        }
        let runs = try RunStore(path: path).runs()
        guard !runs.isEmpty else {
            print("No runs in \(path).")
            return
        }
        if json {
            for r in runs { print(r.configuration.canonicalJSON) }
            return
        }
        var rows = [["RUN", "CREATED", "DATASET", "MODEL", "TEMPLATE", "T", "PROBLEMS", "SAMPLES", "PASS@1", "FAILED"]]
        let dates = ISO8601DateFormatter()
        for r in runs {
            let c = r.configuration
            rows.append([
                r.id, String(dates.string(from: r.createdAt).prefix(16)), c.dataset, c.model, c.promptTemplate,
                String(format: "%.2g", c.sampling.temperature), "\(r.problemCount)", "\(r.sampleCount)",
                r.sampleCount == 0 ? "-" : String(format: "%.3f", Double(r.passedCount) / Double(r.sampleCount)),
                "\(r.failedRequests)",
            ])
        }
        print(formatTable(rows))
    }
}
