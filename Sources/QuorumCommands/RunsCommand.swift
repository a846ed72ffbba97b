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

    /// The fraction of samples that passed, with unsampled problems counting as unsolved
    /// (the sampled problems' share of the run's problems scales it).
    static func passAtOne(_ run: RunSummary) -> Double {
        let perSample = Double(run.passedCount) / Double(max(run.sampleCount, 1))
        guard run.problemCount > 0 else { return perSample }
        return perSample * Double(run.problemCount - run.unsampledProblemCount) / Double(run.problemCount)
    }

    func run() throws {
        let path = store ?? RunStore.defaultPath()
        guard FileManager.default.fileExists(atPath: path) else {
            print("No run store at \(path) yet. `quorum run` creates it.")
            return
        }
        let runStore = try RunStore.forReading(path: path)
        let runs = try runStore.runs()
        guard !runs.isEmpty else {
            print("No runs in \(path).")
            return
        }
        if json {
            for r in runs { print(r.configuration.canonicalJSON) }
            return
        }
        var rows = [["RUN", "CREATED", "DATASET", "MODEL", "TEMPLATE", "T", "PROBLEMS", "UNSAMPLED", "SAMPLES", "PASS@1", "FAILED"]]
        let dates = ISO8601DateFormatter()
        for r in runs {
            let c = r.configuration
            rows.append([
                r.id, String(dates.string(from: r.createdAt).prefix(16)), c.dataset, c.model, c.promptTemplate,
                String(format: "%.2g", c.sampling.temperature), "\(r.problemCount)", "\(r.unsampledProblemCount)", "\(r.sampleCount)",
                r.sampleCount == 0 ? "-" : String(format: "%.3f", Self.passAtOne(r)),
                "\(r.failedRequests)",
            ])
        }
        print(formatTable(rows))
        if runs.contains(where: { $0.unsampledProblemCount > 0 }) {
            print("\nUNSAMPLED problems have no sample; PASS@1 and the reports count them as unsolved:")
            for run in runs where run.unsampledProblemCount > 0 {
                let unsampled = try runStore.unsampledProblems(runID: run.id)
                let listed = unsampled.prefix(5).map { "\($0.problemID)\($0.permanent ? " (permanent)" : ""): \($0.error ?? "not sampled yet")" }
                print("  \(run.id): " + listed.joined(separator: "; ")
                      + (unsampled.count > 5 ? "; and \(unsampled.count - 5) more (`quorum report \(run.id)` lists all)" : ""))
            }
        }
    }
}
