import ArgumentParser

/// The `quorum` command: a thin front end; each subcommand lives in its own file
/// and calls into the libraries (QuorumKit first). Tests parse and run it in-process
/// (`Quorum.parseAsRoot`); the executable is `@main extension Quorum {}`.
public struct Quorum: AsyncParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "quorum",
        abstract: "Spend inference-time compute on language models and measure what it buys.",
        version: "0.1.0",
        subcommands: [
            DemoCommand.self,
            RunCommand.self,
            RunsCommand.self,
            ReportCommand.self,
            GenerateCommand.self,
            AskCommand.self,
            VerifyCommand.self,
            ModelCommand.self,
            DataCommand.self,
            TrainCommand.self,
            ExportCommand.self,
            BenchCommand.self,
            ServeCommand.self,
        ])
}
