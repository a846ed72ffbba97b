import ArgumentParser
import Engine
import Foundation
import ModelHub
import Benchmarks

/// `quorum bench`: performance benchmarks of the embedded engine.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the embedded engine's and the trainer's speed (benchmarks, not tests).",
        subcommands: [SampleBenchCommand.self, TrainBenchCommand.self])
}

/// `quorum bench sample`: prefill and batched-decode throughput against the number of samples N.
struct SampleBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Prefill and decode tokens/s, per-sequence tokens/s and peak memory for N samples of one prompt.",
        discussion: """
            For each N, a synthetic prompt of exactly --prompt-tokens tokens is prefilled once \
            and N samples of exactly --gen-tokens new tokens are decoded together (end-of-turn \
            tokens do not stop them). Each N runs --repeat times after a warm-up; the table shows \
            the median and the min–max range. With --prompts Q, each run sends Q distinct prompts \
            of N samples each at once, batched together (continuous batching across prompts, as in a \
            dataset run). Progress goes to stderr. docs/BENCHMARKS.md explains the figures and how \
            to compare them with llama.cpp.
            """)

    @Option(help: "Model name in the cache or a path to a .gguf file.")
    var model: String = ModelCatalog.defaultModel.name

    @Option(name: .customLong("prompt-tokens"), help: "Tokens of the shared prompt.")
    var promptTokens: Int = 128

    @Option(name: .customLong("gen-tokens"), help: "New tokens per sample.")
    var genTokens: Int = 128

    @Option(name: .shortAndLong, help: "Sample counts N (per prompt), comma-separated.")
    var n: String = "1,4,16,64,256"

    @Option(help: "Distinct prompts Q sent together per run, each with N samples (Q × N decode together).")
    var prompts: Int = 1

    @Option(help: "Runs per N (median and range are reported).")
    var `repeat`: Int = 3

    @Option(help: "Worker threads (default: all processors).")
    var threads: Int?

    // The benchmark samples with llama.cpp's default sampler chain (temperature 0.8, top-k 40,
    // top-p 0.95), not the project's sampling defaults: its figures are compared with
    // llama.cpp's on the same file (docs/BENCHMARKS.md), so the work per token must match.
    @Option(help: "Sampling temperature (0 = greedy); llama.cpp's default, for comparable figures.")
    var temperature: Double = 0.8

    @Option(name: .customLong("top-k"), help: "Keep the k most likely tokens (0 = off).")
    var topK: Int = 40

    @Option(name: .customLong("top-p"), help: "Nucleus sampling mass (1 = off).")
    var topP: Double = 0.95

    @Option(help: "Seed of sample 0; sample i uses seed + i (the same in every run).")
    var seed: UInt64 = 0

    @Option(help: "Write every raw run and the summaries as JSON to this file ('-' = stdout, the table then goes to stderr).")
    var json: String?

    func validate() throws {
        do { try ThreadCount.validate(threads) } catch { throw ValidationError(error.description) }
        do { try configuration(modelPath: model).validate() } catch { throw ValidationError("\(error)") }
    }

    func configuration(modelPath: String) throws -> SamplingBenchmark.Configuration {
        SamplingBenchmark.Configuration(
            modelPath: modelPath, promptTokenCount: promptTokens, generatedTokenCount: genTokens,
            sampleCounts: try SamplingBenchmark.parseSampleCounts(n), repeats: `repeat`, threadCount: threads,
            temperature: temperature, topK: topK, topP: topP, seed: seed, promptCount: prompts)
    }

    func run() throws {
        let path = try ModelCache().resolve(model).path
        let benchmark = SamplingBenchmark(configuration: try configuration(modelPath: path))
        let config = benchmark.configuration
        printError("bench sample: \(URL(fileURLWithPath: path).lastPathComponent), "
                   + (config.promptCount > 1 ? "\(config.promptCount) distinct prompts of " : "prompt ")
                   + "\(config.promptTokenCount) tokens, "
                   + "\(config.generatedTokenCount) new tokens per sample, N = \(config.sampleCounts.map(String.init).joined(separator: ",")), "
                   + "\(config.repeats) run(s) each, \(config.threadCount.map(String.init) ?? "all") thread(s)")
        let report = try benchmark.run { run in
            printError((run.promptCount > 1 ? "  prompts=\(run.promptCount)" : " ")
                       + String(format: " N=%d run %d: prefill %.0f tok/s, decode %.1f tok/s (%d tokens in %.2f s), %.2f cores used",
                              run.sampleCount, run.repeatIndex + 1, run.prefillTokensPerSecond,
                              run.decodeTokensPerSecond, run.generatedTokens, run.decodeSeconds, run.coresUsed))
        }
        let load = report.machine.loadAverage.map { String(format: "%.2f", $0) }.joined(separator: " ")
        let table = report.table()
            + "\(report.machine.date), \(report.machine.threadCount) thread(s) of \(report.machine.processorCount) processors, load average \(load)\n"
            + (report.peakIsPerRun ? "" : "Peak RSS is the process-wide high-water mark (the kernel did not allow resetting it per run).\n")
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let data = try encoder.encode(report) + Data("\n".utf8)
            if json == "-" {
                FileHandle.standardError.write(Data(table.utf8))
                FileHandle.standardOutput.write(data)
            } else {
                do { try data.write(to: URL(fileURLWithPath: json)) } catch {
                    throw ValidationError("Cannot write \(json): \(error.localizedDescription)")
                }
                print(table, terminator: "")
            }
        } else {
            print(table, terminator: "")
        }
    }
}
