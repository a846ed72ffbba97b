import ArgumentParser
import Datasets

/// `quorum data`: look at data set files before spending compute on them.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Inspect benchmark and task data sets.",
        subcommands: [Inspect.self])
}

extension DataCommand {
    /// `quorum data inspect FILE`: detected format, record count, fields, first problem.
    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a data set's format, record count, fields and first problem.",
            discussion: """
                FILE is a path (JSONL, JSON array, or either gzipped) or a catalog name \
                (\(DatasetCatalog.names.joined(separator: ", "))) looked up under $QUORUM_DATA (default ../shared/data). \
                Formats: \(DatasetFormat.allCases.map(\.name).joined(separator: ", ")); \
                docs/DATA_FORMAT.md describes them.
                """)

        @Argument(help: "The data file, or a catalog name such as gsm8k:train.")
        var file: String

        @Option(help: "The record format, instead of detecting it from the first record.")
        var format: DatasetFormat?

        @Flag(help: "Skip invalid records and report how many were skipped.")
        var skipInvalid = false

        @Flag(help: "Show the first problem as JSON instead of readable text.")
        var json = false

        func run() throws {
            do {
                let dataset = try DatasetCatalog.load(file, format: format, skipInvalid: skipInvalid)
                print(dataset.inspectionReport(firstProblemAsJSON: json))
            } catch {
                printError("error: \(error.description)")
                throw ExitCode.failure
            }
        }
    }
}

extension DatasetFormat: ExpressibleByArgument {}
