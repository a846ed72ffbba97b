import ArgumentParser
import Datasets

/// `quorum data`: look at data set files before spending compute on them.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Inspect benchmark and task data sets.",
        subcommands: [Inspect.self, Pull.self])
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

        @Flag(help: "Show the first problem's fields whole (by default text longer than 2,000 characters is cut).")
        var full = false

        func run() throws {
            do {
                let dataset = try DatasetCatalog.load(file, format: format, skipInvalid: skipInvalid)
                print(dataset.inspectionReport(firstProblemAsJSON: json, maxFieldCharacters: full ? nil : 2000))
            } catch {
                printError("error: \(error.description)")
                throw ExitCode.failure
            }
        }
    }
}

extension DataCommand {
    /// `quorum data pull NAME`: download a catalog data set and check its SHA-256.
    struct Pull: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download a benchmark data set from its official source into $QUORUM_HOME/data and check its SHA-256.",
            discussion: """
                Names: \(DatasetCatalog.sources.keys.sorted().joined(separator: ", ")) (or the set alone for its default split). \
                Pulled files are found by name afterwards, like files under $QUORUM_DATA.
                """)

        @Argument(help: "The data set, e.g. gsm8k or gsm8k:train.")
        var name: String

        @Option(help: "A base URL serving files laid out like shared/data, used instead of the official source.")
        var mirror: String?

        func run() async throws {
            do {
                switch try await DatasetCatalog.pull(name, mirror: mirror) {
                case .alreadyPresent(let path): print("Already present and checked: \(path)")
                case .downloaded(let path): print("Downloaded and checked: \(path)")
                }
            } catch {
                printError("error: \(error.description)")
                throw ExitCode.failure
            }
        }
    }
}

extension DatasetFormat: ExpressibleByArgument {}
