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
        subcommands: [SFTTrainCommand.self])
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

    @Option(help: "The model to train: a name (`quorum model list --known`) or a GGUF path.")
    var model: String = ModelCatalog.defaultModel.name

    @Option(name: .customLong("run"), help: "Train on this run's stored samples (an id from `quorum runs`).")
    var runID: String?

    @Flag(help: "With --run: only the samples the run's verifier passed.")
    var onlyCorrect = false

    @Option(help: "With --run: the run store (default: QUORUM_HOME/runs.sqlite).")
    var store: String?

    @Option(help: "A JSONL file in TRL's SFT format.")
    var data: String?

    @Option(help: "Where to write the trained model (.gguf).")
    var output: String

    @Option(help: "Weight type of the written model: f32, f16 or q8_0 (norms stay f32).")
    var exportType: String = "f32"

    @Option(help: "Optimizer steps (default: one pass over the data).")
    var steps: Int?

    @Option(help: "Passes over the data (sets --steps from the data's size).")
    var epochs: Double?

    @Option(help: "Peak learning rate.")
    var learningRate: Double = 1e-5

    @Option(help: "Steps of linear warmup.")
    var warmupSteps: Int = 0

    @Option(help: "Learning-rate schedule after warmup: cosine (to 10% of the peak) or constant.")
    var schedule: String = "cosine"

    @Option(help: "Scored (completion) tokens per step.")
    var batchTokens: Int = 4096

    @Option(help: "Tokens per forward/backward pass (prompts included); bounds memory.")
    var microBatchTokens: Int = 1024

    @Option(help: "AdamW's decoupled weight decay (not applied to norms).")
    var weightDecay: Double = 0

    @Option(help: "Clip gradients to this global L2 norm (0 = never).")
    var clipNorm: Double = 1

    @Option(help: "Seed of the data order.")
    var seed: UInt64 = 0

    @Option(help: "Worker threads (default: all processors).")
    var threads: Int?

    @Option(help: "Checkpoint folder (default: OUTPUT.checkpoints).")
    var checkpointDir: String?

    @Option(help: "Checkpoint every N steps (and at the end).")
    var checkpointEvery: Int = 50

    @Flag(help: "Print each step as a JSON line on standard output.")
    var json = false

    @Flag(help: "No progress line.")
    var quiet = false

    func validate() throws {
        guard (runID == nil) != (data == nil) else { throw ValidationError("Give exactly one of --run RUN_ID or --data FILE.jsonl.") }
        if onlyCorrect && runID == nil { throw ValidationError("--only-correct needs --run.") }
        do { _ = try ExportType.named(exportType) } catch { throw ValidationError("\(error)") }
        guard LearningRateSchedule.Shape(rawValue: schedule) != nil else {
            throw ValidationError("--schedule must be cosine or constant, not '\(schedule)'.")
        }
        if let steps, steps < 1 { throw ValidationError("--steps must be at least 1.") }
        if let epochs, !(epochs > 0) { throw ValidationError("--epochs must be positive.") }
        if steps != nil && epochs != nil { throw ValidationError("Give --steps or --epochs, not both.") }
        do { try ThreadCount.validate(threads) } catch { throw ValidationError(error.description) }
        guard clipNorm >= 0 else { throw ValidationError("--clip-norm must be ≥ 0.") }
        guard output.hasSuffix(".gguf") else { throw ValidationError("--output must name a .gguf file, not '\(output)'.") }
    }

    func run() throws {
        let modelURL = try ModelCache().resolve(model)
        let file = try GGUFFile(path: modelURL.path)
        let tokenizer = try Tokenizer(gguf: file)
        let (examples, description) = try loadExamples()
        let sequences = examples.map { $0.tokenized(with: tokenizer) }
        let trainingModel = try TrainingModel(file: file, threads: threads)
        let context = trainingModel.configuration.contextLength
        if let long = sequences.firstIndex(where: { $0.tokens.count > min(context, microBatchTokens) }) {
            throw ValidationError("Example \(long + 1) of \(description) has \(sequences[long].tokens.count) tokens, more than "
                + "\(sequences[long].tokens.count > context ? "the model's context of \(context)" : "--micro-batch-tokens \(microBatchTokens)"); "
                + "raise --micro-batch-tokens or drop long examples.")
        }
        var settings = TrainingSettings(steps: 1)
        let scoredTotal = sequences.reduce(0) { $0 + $1.scoredCount }
        settings.steps = steps ?? max(1, Int((Double(scoredTotal) * (epochs ?? 1) / Double(batchTokens)).rounded(.up)))
        settings.batchTokens = batchTokens
        settings.microBatchTokens = microBatchTokens
        settings.learningRate = learningRate
        settings.warmupSteps = warmupSteps
        settings.schedule = LearningRateSchedule.Shape(rawValue: schedule)!
        settings.adam.weightDecay = weightDecay
        settings.adam.clipNorm = clipNorm > 0 ? clipNorm : nil
        settings.seed = seed
        settings.checkpointEvery = checkpointEvery
        let checkpoints = try CheckpointDirectory(path: checkpointDir ?? output + ".checkpoints")
        let trainer = try SFTTrainer(model: trainingModel, examples: sequences, settings: settings, checkpoints: checkpoints)
        printError("train sft: \(modelURL.lastPathComponent) (\(trainingModel.layout.parameterCount) parameters, f32), "
            + "\(sequences.count) examples (\(scoredTotal) completion tokens) from \(description); \(settings.steps) steps of "
            + "\(batchTokens) tokens, learning rate \(learningRate) (\(schedule)), checkpoints in \(checkpoints.path)")
        if trainer.completedSteps > 0 { printError("resuming after step \(trainer.completedSteps)") }
        let progress = TrainingProgress(enabled: !quiet && isatty(STDERR_FILENO) == 1, totalSteps: settings.steps)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try trainer.run { report in
            progress.update(report)
            if json, let line = try? encoder.encode(report) { print(String(decoding: line, as: UTF8.self)) }
        }
        progress.finish()

        let type = try ExportType.named(exportType)
        let baseSHA = try ModelCatalog.named(model)?.sha256 ?? ModelCache.sha256(of: modelURL)
        let finalLoss = trainer.history.last?.loss ?? .nan
        try ModelExport.write(trainingModel.parameters, base: file, type: type,
                              lineage: .init(baseSHA256: baseSHA, objective: onlyCorrect ? "sft (correct samples)" : "sft",
                                             data: description, steps: trainer.completedSteps, finalLoss: finalLoss),
                              to: output)
        printError("wrote \(output) (\(type.rawValue)); final loss \(String(format: "%.4f", finalLoss))")
        for r in try ModelExport.retention(of: trainingModel.parameters, base: file) {
            printError("  \(r.type.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0)) keeps \(String(format: "%.1f", 100 * r.keptFraction))% "
                + "of the weight change (update error \(String(format: "%.2e", r.updateError)) of ‖Δ‖, ‖Δ‖ = \(String(format: "%.2e", r.relativeUpdate)) of ‖θ₀‖)"
                + (r.type == type ? "  <- written" : ""))
        }
    }

    /// The examples and a description of where they came from (for the log and the file's lineage).
    func loadExamples() throws -> ([SFTExample], String) {
        if let data { return (try SFTDataFile.read(path: data), data) }
        let runID = runID!
        let runStore = try RunStore(path: store ?? RunStore.defaultPath())
        let configuration = try runStore.configuration(ofRun: runID)
        let loaded = try DatasetCatalog.load(configuration.dataset)
        let template = try RunTemplates.template(named: configuration.promptTemplate, datasetFormat: loaded.format.rawValue,
                                                 seed: configuration.seed)
        guard template.sha256 == configuration.promptTemplateSHA256 else {
            throw ValidationError("Run \(runID)'s prompt template '\(configuration.promptTemplate)' has changed since the run; "
                + "its prompts cannot be rebuilt exactly.")
        }
        let problems = Dictionary(loaded.problems.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var examples: [SFTExample] = []
        for record in try runStore.samples(runID: runID) where !onlyCorrect || record.verdict.isCorrect {
            guard record.completion.finishReason != .error, let problem = problems[record.problemID] else { continue }
            examples.append(SFTExample(prompt: template.render(problem), completion: record.completion.text))
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
