import ArgumentParser
import Datasets
import Engine
import Experiments
import Foundation
import GGUF
import ModelHub
import RunStore
import ScalingCore
import Tokenizers
import Training
import QuorumKit

/// `quorum train`: fine-tune a model on the CPU with the in-process training engine.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Fine-tune a GGUF model on the CPU and write the result as GGUF.",
        subcommands: [SFTTrainCommand.self, PreferenceTrainCommand.self, IRPOCommand.self])
}

/// `quorum train sft`: supervised fine-tuning (token NLL over completion tokens).
struct SFTTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sft",
        abstract: "Supervised fine-tuning on a run's verified samples or on a TRL-format JSONL file.",
        discussion: """
            Data: --run RUN_ID takes a run's stored samples (--only-correct keeps those its verifier passed: \
            the STaR / rejection-sampling baseline), with the prompts the run sampled them from; --data FILE.jsonl \
            takes TRL's SFT formats ({"messages": [...]}, or "prompt" and "completion"). The loss is the mean \
            negative log-likelihood of the completion tokens (and the end-of-turn token after them). \
            Checkpoints go to --checkpoint-dir every --checkpoint-every steps; the same command again resumes \
            from the newest one and ends with the same weights as an uninterrupted run. The model is written \
            to --output as --export-type; export prints how much of the weight change each type keeps \
            (4-bit types would erase small updates, so they are not offered).
            """)

    @OptionGroup var training: TrainingOptions

    @Option(name: .customLong("run"), help: "Train on this run's stored samples (an id from `quorum runs`).")
    var runID: String?

    @Flag(help: "With --run: only the samples the run's verifier passed.")
    var onlyCorrect = false

    @Option(help: "With --run: the run store (default: QUORUM_HOME/runs.sqlite).")
    var store: String?

    @Option(help: "A JSONL file in TRL's SFT format.")
    var data: String?

    func validate() throws {
        guard (runID == nil) != (data == nil) else { throw ValidationError("Give exactly one of --run RUN_ID or --data FILE.jsonl.") }
        if onlyCorrect && runID == nil { throw ValidationError("--only-correct needs --run.") }
    }

    func run() throws {
        let modelURL = try ModelCache().resolve(training.model)
        let file = try GGUFFile(path: modelURL.path)
        let tokenizer = try Tokenizer(gguf: file)
        let (examples, description) = try loadExamples()
        let sequences = examples.map { $0.tokenized(with: tokenizer) }
        let trainingModel = try TrainingModel(file: file, threads: training.threads)
        let context = trainingModel.configuration.contextLength, microBatchTokens = training.microBatchTokens
        if let long = sequences.firstIndex(where: { $0.tokens.count > min(context, microBatchTokens) }) {
            throw ValidationError("Example \(long + 1) of \(description) has \(sequences[long].tokens.count) tokens, more than "
                + "\(sequences[long].tokens.count > context ? "the model's context of \(context)" : "--micro-batch-tokens \(microBatchTokens)"); "
                + "raise --micro-batch-tokens or drop long examples.")
        }
        let scoredTotal = sequences.reduce(0) { $0 + $1.scoredCount }
        let settings = training.settings(scoredTotal: scoredTotal)
        let checkpoints = try training.checkpoints()
        let trainer = try SFTTrainer(model: trainingModel, examples: sequences, settings: settings, checkpoints: checkpoints)
        printError("train sft: \(modelURL.lastPathComponent) (\(trainingModel.layout.parameterCount) parameters, f32), "
            + "\(sequences.count) examples (\(scoredTotal) completion tokens) from \(description); \(settings.steps) steps of "
            + "\(settings.batchTokens) tokens, learning rate \(settings.learningRate) (\(training.schedule)), checkpoints in \(checkpoints.path)")
        if trainer.completedSteps > 0 { printError("resuming after step \(trainer.completedSteps)") }
        let (progress, step) = training.stepPrinter(totalSteps: settings.steps)
        try trainer.run(progress: step)
        progress.finish()
        try training.export(trainingModel, base: file, modelURL: modelURL, objective: onlyCorrect ? "sft (correct samples)" : "sft",
                            data: description, steps: trainer.completedSteps, finalLoss: trainer.history.last?.loss ?? .nan)
    }

    /// The examples and a description of where they came from (for the log and the file's lineage).
    func loadExamples() throws -> ([SFTExample], String) {
        if let data { return (try SFTDataFile.read(path: data), data) }
        let runID = runID!
        let run = try StoredRunPrompts.load(runID: runID, storePath: store)
        var examples: [SFTExample] = []
        for record in try run.store.samples(runID: runID) where !onlyCorrect || record.verdict.isCorrect {
            guard record.completion.finishReason != .error, let problem = run.problems[record.problemID] else { continue }
            examples.append(SFTExample(prompt: run.template.render(problem), completion: record.completion.text))
        }
        guard !examples.isEmpty else {
            throw ValidationError("Run \(runID) has no \(onlyCorrect ? "correct " : "")samples to train on.")
        }
        return (examples, "run \(runID)\(onlyCorrect ? " (correct samples)" : "")")
    }
}

/// One progress line on standard error: step, loss, learning rate, tokens/s, ETA.
final class TrainingProgress {
    private let enabled: Bool
    private let totalSteps: Int
    private var seconds = 0.0, tokens = 0, steps = 0

    init(enabled: Bool, totalSteps: Int) {
        self.enabled = enabled
        self.totalSteps = totalSteps
    }

    func update(_ r: StepReport) {
        seconds += r.seconds
        tokens += r.tokens
        steps += 1
        let rate = Double(tokens) / max(seconds, 1e-9)
        let eta = seconds / Double(steps) * Double(totalSteps - r.step)
        let line = "step \(r.step)/\(totalSteps)  loss \(String(format: "%.4f", r.loss))  lr \(String(format: "%.2e", r.learningRate))  "
            + (r.preference.map { "margin \(String(format: "%.3f", $0.margin))  chosen \(String(format: "%.2f", $0.chosenLogprob))  "
                + "rejected \(String(format: "%.2f", $0.rejectedLogprob))  acc \(String(format: "%.2f", $0.accuracy))  " } ?? "")
            + "‖g‖ \(String(format: "%.3f", r.gradientNorm))  \(String(format: "%.0f", rate)) tok/s  ETA \(formatDuration(eta))"
        if enabled {
            FileHandle.standardError.write(Data(("\r" + line + "\u{1B}[K").utf8))
        } else if r.step == totalSteps || r.step % 10 == 0 {
            printError(line)
        }
    }

    func finish() {
        if enabled { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
