import ArgumentParser
import Engine
import Foundation
import ModelHub
import QuorumCommands
import QuorumKit
import RunStore
import ScalingCore
import TestSupport
import Testing

/// The options every command shares, parsed in-process: one set of sampling defaults, one
/// thread-count rule, and `quorum run` assembling exactly the run the library would.
struct CommandOptionTests {
    /// Issue 20, finding 4: a thread count out of range is a clear usage error in every
    /// command that takes one, before any model is loaded.
    @Test func theCommandsSayWhatIsWrongWithTheThreadCount() throws {
        let model = try TestPaths.defaultModel().path
        let commands = [
            ["generate", "--model", model, "--prompt", "hi", "--threads", "100000"],
            ["ask", "--model", model, "hi", "--threads", "100000"],
            ["bench", "sample", "--model", model, "--threads", "100000"],
            ["serve", "--model", model, "--threads", "100000"],
            ["run", "--dataset", "gsm8k", "--model", model, "--threads", "100000"],
        ]
        for arguments in commands {
            let message = CommandLine.failure(arguments)
            #expect(message?.contains("--threads 100000 is out of range") == true, "\(arguments): \(message ?? "accepted")")
        }
    }

    /// Every command that samples gives the same parameters when no option is given: the
    /// library's defaults, with "off" meaning the same (nil) everywhere.
    @Test func samplingCommandsShareOneSetOfDefaults() throws {
        let library = SamplingParameters()
        let ask = try #require(try Quorum.parseAsRoot(["ask", "hi"]) as? AskCommand)
        let generate = try #require(try Quorum.parseAsRoot(["generate", "--prompt", "hi"]) as? GenerateCommand)
        let run = try #require(try Quorum.parseAsRoot(["run", "--dataset", "gsm8k"]) as? RunCommand)
        #expect(ask.samplingParameters == library)
        #expect(generate.samplingParameters == library)
        #expect(try run.specification().sampling == library)
        #expect(library.temperature == 0.6 && library.maxTokens == 256 && library.topP == nil && library.topK == nil)
        let options = ["--temperature", "0.3", "--top-p", "0.9", "--top-k", "20", "--min-p", "0.05", "--max-tokens", "64", "--stop", "Q:"]
        let tuned = try #require(try Quorum.parseAsRoot(["ask", "hi"] + options) as? AskCommand).samplingParameters
        #expect(tuned == SamplingParameters(temperature: 0.3, topK: 20, topP: 0.9, minP: 0.05, maxTokens: 64, stop: ["Q:"]))
        #expect(try #require(try Quorum.parseAsRoot(["generate", "--prompt", "hi"] + options) as? GenerateCommand).samplingParameters == tuned)
        #expect(try #require(try Quorum.parseAsRoot(["run", "--dataset", "gsm8k"] + options) as? RunCommand).specification().sampling == tuned)
        // The engine resolves "off" once, at its boundary.
        let resolved = GenerationOptions(library, seed: 7)
        #expect(resolved.topK == 0 && resolved.topP == 1 && resolved.minP == 0 && resolved.repetitionPenalty == 1 && resolved.seed == 7)
        #expect(CommandLine.failure(["run", "--dataset", "gsm8k", "--top-p", "1.5"])?.contains("--top-p must be in (0, 1]") == true)
        #expect(CommandLine.failure(["generate", "--prompt", "hi", "--temperature", "-1"])?.contains("--temperature") == true)
    }

    /// `quorum run` and a Swift program build the same run: same id, so either resumes the
    /// other's samples; and the id of a default run is the one stores already hold (the
    /// configuration written out here by hand, field by field).
    @Test func theRunCommandAssemblesTheLibrarysRun() throws {
        _ = try TestPaths.defaultModel()
        let command = try #require(try Quorum.parseAsRoot(["run", "--dataset", "gsm8k", "--limit", "3", "-n", "4", "--seed", "5"]) as? RunCommand)
        let fromCommand = try command.specification().prepare()
        var specification = RunSpecification(dataset: "gsm8k")
        specification.limit = 3
        specification.samplesPerProblem = 4
        specification.seed = 5
        let fromLibrary = try specification.prepare()
        #expect(fromCommand.runID == fromLibrary.runID)
        #expect(fromCommand.problems.map(\.id) == fromLibrary.problems.map(\.id) && fromLibrary.problems.count == 3)

        let spec = ModelCatalog.defaultModel
        let gsm8k = try TestPaths.sharedDataFile("gsm8k/test.jsonl")
        let template = try RunTemplates.template(named: nil, datasetFormat: "gsm8k", seed: 5)
        let byHand = RunConfiguration(
            dataset: "gsm8k", datasetSHA256: try ModelCache.sha256(of: gsm8k), model: spec.name, modelSHA256: spec.sha256,
            backend: "embedded", promptTemplate: template.name, promptTemplateSHA256: template.sha256,
            sampling: SamplingParameters(temperature: 0.6, topK: nil, topP: nil, minP: nil, maxTokens: 256, logprobs: 0),
            seed: 5, verifier: .math)
        #expect(fromLibrary.runID == byHand.id)
    }

    @Test func badRunSpecificationsNameTheField() throws {
        var specification = RunSpecification(dataset: "gsm8k")
        specification.samplesPerProblem = 0
        #expect(throws: QuorumKitError.invalidSpecification(field: "samplesPerProblem", message: "must be at least 1")) {
            try specification.validate()
        }
        specification.samplesPerProblem = 4
        specification.limit = 0
        #expect(throws: QuorumKitError.invalidSpecification(field: "limit", message: "must be at least 1")) {
            try specification.prepare()
        }
        // A verifier Quorum cannot build by name is refused at the command line with the valid names.
        let message = CommandLine.failure(["run", "--dataset", "gsm8k", "--verifier", "vibes"])
        #expect(message?.contains("Unknown verifier 'vibes'. Use one of: math, python-tests, exact") == true, "\(message ?? "accepted")")
    }
}
