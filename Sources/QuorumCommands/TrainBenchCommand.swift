import ArgumentParser
import Benchmarks
import Engine
import Foundation
import GGUF
import ModelHub
import ScalingCore
import Training

/// `quorum bench train`: training throughput of the in-process engine, with an
/// independent framework measured in the same invocation.
struct TrainBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Forward, backward and optimizer time per step, trained tokens/s and peak memory of full fine-tuning.",
        discussion: """
            Each step trains on --batch-tokens tokens in sequences of --seq-len (random tokens, every token after \
            the first scored), split into forward/backward passes of --micro-batch-tokens, then one AdamW step. \
            After a warm-up step, --repeat steps are timed; the table shows the median and the min–max range. \
            FLOP/s counts 6 × parameters per trained token (plus attention). With --reference jax, the same \
            architecture, shapes, thread count and f32 AdamW run in JAX (scripts/training_speed_reference.py; \
            scripts/training_python_setup installs it) right after, and the ratio is printed. PyTorch is not on \
            this list because PyPI's Linux wheels need CUDA libraries. docs/BENCHMARKS.md records the figures.
            """)

    @Option(help: "Model name in the cache or a path to a .gguf file.")
    var model: String = ModelCatalog.defaultModel.name

    @Option(help: "Tokens per sequence.")
    var seqLen: Int = 256

    @Option(help: "Tokens per optimizer step.")
    var batchTokens: Int = 4096

    @Option(help: "Tokens per forward/backward pass.")
    var microBatchTokens: Int = 1024

    @Option(help: "Timed steps (after one warm-up step).")
    var `repeat`: Int = 3

    @Option(help: "Worker threads (default: all processors).")
    var threads: Int?

    @Option(help: "Also measure an independent framework in the same invocation: jax, or none.")
    var reference: String = "none"

    func validate() throws {
        guard seqLen >= 2 else { throw ValidationError("--seq-len must be at least 2.") }
        guard batchTokens >= seqLen, microBatchTokens >= seqLen else {
            throw ValidationError("--batch-tokens and --micro-batch-tokens must hold at least one sequence of --seq-len \(seqLen).")
        }
        guard `repeat` >= 1 else { throw ValidationError("--repeat must be at least 1.") }
        guard ["jax", "none"].contains(reference) else { throw ValidationError("--reference must be jax or none.") }
        do { try ThreadCount.validate(threads) } catch { throw ValidationError(error.description) }
    }

    func run() throws {
        let path = try ModelCache().resolve(model).path
        let model = try TrainingModel(file: GGUFFile(path: path), threads: threads)
        let c = model.configuration
        let sequencesPerStep = batchTokens / seqLen, perMicro = max(1, microBatchTokens / seqLen)
        var random = SystemRandomNumberGenerator()
        let sequences = (0..<sequencesPerStep).map { _ in
            TrainingSequence(tokens: (0..<seqLen).map { _ in Int.random(in: 0..<c.vocabularySize, using: &random) }, completionStart: 1)
        }
        let optimizer = AdamW(layout: model.layout)
        var rows: [(forward: Double, backward: Double, optimizer: Double)] = []
        var cpuSeconds: [Double] = []
        printError("bench train: \(URL(fileURLWithPath: path).lastPathComponent), \(model.layout.parameterCount) parameters, "
            + "\(sequencesPerStep) sequences of \(seqLen) per step, \(perMicro) per pass, \(model.pool.threadCount) threads")
        for step in 0...`repeat` {
            var forward = 0.0, backward = 0.0
            let cpuStart = ProcessStatistics.cpuSeconds()
            model.zeroGradients()
            for start in stride(from: 0, to: sequences.count, by: perMicro) {
                let micro = Array(sequences[start..<min(sequences.count, start + perMicro)])
                let t0 = ContinuousClock.now
                let logprobs = try model.forward(micro)
                let t1 = ContinuousClock.now
                try model.backward(SFTObjective.loss(logprobs: logprobs, totalTokens: sequencesPerStep * (seqLen - 1)).gradients)
                let t2 = ContinuousClock.now
                forward += (t1 - t0).inSeconds
                backward += (t2 - t1).inSeconds
            }
            let t3 = ContinuousClock.now
            optimizer.step(parameters: model.parameters, gradients: model.gradients, rate: 1e-6, pool: model.pool)
            let update = (ContinuousClock.now - t3).inSeconds
            if step > 0 {
                rows.append((forward, backward, update))
                cpuSeconds.append(ProcessStatistics.cpuSeconds() - cpuStart)
            }
            printError("  step \(step)\(step == 0 ? " (warm-up)" : ""): forward \(fmt(forward)) s, backward \(fmt(backward)) s, AdamW \(fmt(update)) s")
        }
        let tokens = Double(sequencesPerStep * seqLen)
        let totals = rows.map { $0.forward + $0.backward + $0.optimizer }
        let tokensPerSecond = totals.map { tokens / $0 }.sorted()
        let parameters = Double(model.layout.parameterCount)
        // Attention: per layer and token, QK and PV over on average T/2 positions, ×3 for forward + backward.
        let attention = Double(c.layerCount) * 2 * 2 * Double(c.queryWidth) * Double(seqLen) / 2 * 3
        let flopsPerToken = 6 * parameters + attention
        func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s[s.count / 2] }
        print("""
            quorum   forward \(fmt(median(rows.map(\.forward)))) s  backward \(fmt(median(rows.map(\.backward)))) s  \
            AdamW \(fmt(median(rows.map(\.optimizer)))) s  per step; \
            \(fmt(median(tokensPerSecond))) tok/s (\(fmt(tokensPerSecond.first!))-\(fmt(tokensPerSecond.last!))), \
            \(fmt(median(tokensPerSecond) * flopsPerToken / 1e9)) GFLOP/s, peak RSS \((ProcessStatistics.peakResidentBytes() ?? 0) / 1_000_000) MB; \
            \(fmt(tokens / median(cpuSeconds))) tokens per CPU-second (what a loaded machine leaves)
            """)
        guard reference == "jax" else { return }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let script = root.appendingPathComponent("scripts/training_speed_reference.py").path
        guard FileManager.default.fileExists(atPath: script) else {
            throw ValidationError("--reference jax needs \(script) (run from a checkout of the repository).")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, path, "--seq-len", "\(seqLen)", "--batch-tokens", "\(batchTokens)",
                             "--micro-batch-tokens", "\(microBatchTokens)", "--repeat", "\(`repeat`)",
                             "--threads", "\(model.pool.threadCount)"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let line = output.split(separator: "\n").last(where: { $0.hasPrefix("tokens_per_second ") }),
              let referenceRate = Double(line.split(separator: " ")[1]) else {
            throw ValidationError("the JAX reference failed (exit \(process.terminationStatus)); run scripts/training_python_setup. Output: \(output.suffix(500))")
        }
        print(output.split(separator: "\n").filter { !$0.hasPrefix("tokens_per_second ") }.joined(separator: "\n"))
        print("ratio    quorum / jax = \(String(format: "%.2f", median(tokensPerSecond) / referenceRate))×")
    }

    private func fmt(_ x: Double) -> String { String(format: x >= 100 ? "%.0f" : x >= 10 ? "%.1f" : "%.3f", x) }
}
