import ArgumentParser
import Engine
import Foundation
import GGUF
import ModelHub
import QuorumKit
import Training

/// The options every `quorum train` objective shares: the model, the optimizer and its
/// schedule, micro-batching, checkpoints, the export and the progress output.
struct TrainingOptions: ParsableArguments {
    @Option(help: "The model to train: a name (`quorum model list --known`) or a GGUF path.")
    var model: String = ModelCatalog.defaultModel.name

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

    /// The trainer's settings, with `--steps` (or `--epochs` passes, default one) over data of
    /// `scoredTotal` completion tokens.
    func settings(scoredTotal: Int) -> TrainingSettings {
        var settings = TrainingSettings(steps: 1)
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
        return settings
    }

    func checkpoints() throws -> CheckpointDirectory {
        try CheckpointDirectory(path: checkpointDir ?? output + ".checkpoints")
    }

    /// The per-step callback: the progress line on standard error, JSON lines on standard output with `--json`.
    func stepPrinter(totalSteps: Int) -> (progress: TrainingProgress, step: (StepReport) -> Void) {
        let progress = TrainingProgress(enabled: !quiet && isatty(STDERR_FILENO) == 1, totalSteps: totalSteps)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = json
        return (progress, { report in
            progress.update(report)
            if json, let line = try? encoder.encode(report) { print(String(decoding: line, as: UTF8.self)) }
        })
    }

    /// Writes the trained weights to `--output` with their lineage, then prints how much of the
    /// weight change each export type keeps.
    func export(_ model: TrainingModel, base file: GGUFFile, modelURL: URL, objective: String, data: String,
                steps: Int, finalLoss: Double) throws {
        let type = try ExportType.named(exportType)
        let baseSHA = try ModelCatalog.named(self.model)?.sha256 ?? ModelCache.sha256(of: modelURL)
        try ModelExport.write(model.parameters, base: file, type: type,
                              lineage: .init(baseSHA256: baseSHA, objective: objective, data: data, steps: steps, finalLoss: finalLoss),
                              to: output)
        printError("wrote \(output) (\(type.rawValue)); final loss \(String(format: "%.4f", finalLoss))")
        for r in try ModelExport.retention(of: model.parameters, base: file) {
            printError("  \(r.type.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0)) keeps \(String(format: "%.1f", 100 * r.keptFraction))% "
                + "of the weight change (update error \(String(format: "%.2e", r.updateError)) of ‖Δ‖, ‖Δ‖ = \(String(format: "%.2e", r.relativeUpdate)) of ‖θ₀‖)"
                + (r.type == type ? "  <- written" : ""))
        }
    }
}
