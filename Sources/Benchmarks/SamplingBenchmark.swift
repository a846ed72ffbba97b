import Engine
import Foundation
import Models
import Tokenizers

/// The repeated-sampling throughput benchmark behind `quorum bench sample`: for each
/// sample count N, prefill one synthetic prompt of exactly `promptTokenCount` tokens
/// and decode N samples of exactly `generatedTokenCount` tokens each, `repeats` times,
/// recording prefill and decode speed and the process's peak resident memory.
///
/// Generation is forced to its full length by running the engine without a
/// tokenizer: the engine then adds no end-of-turn stop tokens and does no
/// detokenisation (a few microseconds per token, negligible beside a forward pass),
/// so every run does the same work and runs at different N are comparable. The
/// tokenizer is still used to build the prompt from ordinary text.
///
/// With `promptCount` Q > 1, each run instead sends Q distinct prompts of N samples
/// each to one engine at once (`InferenceEngine.generate(_ requests:)`, the batching
/// core `GenerationScheduler` runs): they prefill in chunks beside each other's decode
/// rows and decode together, Q × N samples per step. That is the dataset-run workload,
/// where continuous batching across prompts keeps the batch full.
///
/// It is a benchmark, never a timed test: nothing here asserts a speed.
public struct SamplingBenchmark: Sendable {
    /// What to measure.
    public struct Configuration: Sendable, Codable, Equatable {
        public var modelPath: String
        /// Tokens of the shared prompt (prefilled once per run, whatever N).
        public var promptTokenCount: Int
        /// New tokens per sample.
        public var generatedTokenCount: Int
        /// The N values (samples per prompt), in the order they run.
        public var sampleCounts: [Int]
        /// Distinct prompts per run, sent together (Q); 1 = one shared prompt.
        public var promptCount: Int
        /// Runs per N; figures are reported as median and min–max over them.
        public var repeats: Int
        /// Worker threads; nil = all processors.
        public var threadCount: Int?
        public var temperature: Double
        public var topK: Int
        public var topP: Double
        /// Sample i of every run draws with `seed + i`: each repeat does identical work.
        public var seed: UInt64

        public init(modelPath: String, promptTokenCount: Int = 128, generatedTokenCount: Int = 128,
                    sampleCounts: [Int] = [1, 4, 16, 64, 256], repeats: Int = 3, threadCount: Int? = nil,
                    temperature: Double = 0.8, topK: Int = 40, topP: Double = 0.95, seed: UInt64 = 0,
                    promptCount: Int = 1) {
            self.promptCount = promptCount
            self.modelPath = modelPath
            self.promptTokenCount = promptTokenCount
            self.generatedTokenCount = generatedTokenCount
            self.sampleCounts = sampleCounts
            self.repeats = repeats
            self.threadCount = threadCount
            self.temperature = temperature
            self.topK = topK
            self.topP = topP
            self.seed = seed
        }

        /// The sampling options every run uses (no stop tokens or strings, exactly
        /// `generatedTokenCount` tokens).
        public var generationOptions: GenerationOptions {
            GenerationOptions(temperature: temperature, topK: topK, topP: topP, maxTokens: generatedTokenCount, seed: seed)
        }

        /// Throws on values the benchmark cannot run with, naming the parameter.
        public func validate() throws(EngineError) {
            func check(_ ok: Bool, _ name: String, _ value: Any, _ expected: String) throws(EngineError) {
                if !ok { throw .invalidParameter(name: name, value: "\(value)", expected: expected) }
            }
            try check(promptTokenCount >= 1, "prompt-tokens", promptTokenCount, "at least 1")
            try check(generatedTokenCount >= 1, "gen-tokens", generatedTokenCount, "at least 1")
            try check(!sampleCounts.isEmpty, "n", sampleCounts, "at least one sample count")
            try check(sampleCounts.allSatisfy { $0 >= 1 }, "n", sampleCounts, "sample counts of at least 1")
            try check(repeats >= 1, "repeat", repeats, "at least 1")
            try check(promptCount >= 1, "prompts", promptCount, "at least 1")
            try ThreadCount.validate(threadCount)
            try generationOptions.validate()
        }
    }

    public let configuration: Configuration

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Parses a list of sample counts such as `1,4,16,64,256`: positive integers,
    /// comma-separated (spaces allowed), no duplicates, kept in the given order.
    public static func parseSampleCounts(_ text: String) throws(EngineError) -> [Int] {
        let expected = "comma-separated positive integers without repeats, e.g. 1,4,16,64"
        let fields = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        var counts: [Int] = []
        for field in fields {
            guard let count = Int(field), count >= 1, !counts.contains(count) else {
                throw .invalidParameter(name: "n", value: text, expected: expected)
            }
            counts.append(count)
        }
        return counts
    }

    /// A prompt of exactly `count` tokens: the tokens of a fixed English paragraph,
    /// repeated as often as needed and cut; without a tokenizer, ids cycling through
    /// `256..<min(vocabularySize, 1256)` (ordinary tokens in byte-level vocabularies).
    /// Prompt `variant` k > 0 starts k × 7 tokens into the cycle, so Q variants are Q
    /// distinct prompts of the same length.
    public static func syntheticPrompt(tokenizer: Tokenizer?, vocabularySize: Int, count: Int, variant: Int = 0) -> [Int] {
        let paragraph = """
            The committee met on a grey morning to weigh the evidence. Each member read the \
            reports, checked the figures twice, and wrote down a short answer before the \
            discussion began. When the votes were counted, most answers agreed, and the few \
            that did not were examined line by line until the error was found.
            """
        var unit = tokenizer?.encode(paragraph, addSpecial: false, parseSpecial: false) ?? []
        if unit.isEmpty {
            let low = min(256, max(0, vocabularySize - 1))
            let high = max(low + 1, min(vocabularySize, low + 1000))
            unit = Array(low..<high)
        }
        return (0..<count).map { unit[($0 + variant * 7) % unit.count] }
    }

    /// KV-cache memory the engine holds at the end of decode, computed (the engine does
    /// not expose its cache): the shared prompt once, then each sample's own positions,
    /// in the cache's f16 (keys and values, every layer), times `promptCount` prompts.
    public static func kvCacheBytes(configuration model: LlamaConfiguration, promptTokens: Int,
                                    generatedTokens: Int, sampleCount: Int, promptCount: Int = 1) -> Int {
        let bytesPerPosition = PagedKVCache.bytesPerPosition(layerCount: model.layerCount, kvWidth: model.kvWidth)
        // The last sampled token of a sample is never fed back, so it has no KV entry.
        return bytesPerPosition * promptCount * (promptTokens + sampleCount * max(0, generatedTokens - 1))
    }

    /// Runs every N `repeats` times. `progress` is called after each run (for a
    /// progress line); the runs are also in the returned report.
    public func run(progress: (BenchmarkRun) -> Void = { _ in }) throws(EngineError) -> BenchmarkReport {
        try configuration.validate()
        let model: LlamaModel
        do { model = try LlamaModel(path: configuration.modelPath) } catch { throw .model(error) }
        let tokenizer = try? Tokenizer(gguf: model.weights.file)
        let promptCount = configuration.promptCount
        let prompts = (0..<promptCount).map {
            Self.syntheticPrompt(tokenizer: tokenizer, vocabularySize: model.configuration.vocabularySize,
                                 count: configuration.promptTokenCount, variant: $0)
        }
        let options = configuration.generationOptions
        let context = model.configuration.contextLength
        guard configuration.promptTokenCount + configuration.generatedTokenCount <= context else {
            throw .invalidParameter(name: "prompt-tokens + gen-tokens",
                                    value: "\(configuration.promptTokenCount + configuration.generatedTokenCount)",
                                    expected: "at most the model's context length, \(context)")
        }
        let peakResettable = ProcessStatistics.resetPeak()
        var runs: [BenchmarkRun] = []
        for n in configuration.sampleCounts {
            // One engine per N, sized for Q × N samples, as a server configured for them
            // would be. Without a tokenizer the engine stops only at maxTokens (see the type's comment).
            let width = promptCount * n
            let pagesSlack = 2 * 16
            let positions = max(1 << 16, promptCount * (configuration.promptTokenCount + pagesSlack)
                                + width * (configuration.generatedTokenCount + pagesSlack))
            let engine = InferenceEngine(model: model, tokenizer: nil, threadCount: configuration.threadCount,
                                         maxSamples: width, maxTotalPositions: positions,
                                         maxPrefillingRequests: promptCount)
            // Warm-up: touches the weights and the scratch buffers for Q × N rows once.
            var warmUp = options
            warmUp.maxTokens = 2
            _ = try engine.generate(promptTokens: Array(prompts[0].prefix(16)), parameters: warmUp, count: width)
            let requests = prompts.enumerated().map { k, prompt in
                GenerationRequest(promptTokens: prompt, parameters: options,
                                  seeds: (0..<n).map { options.seed &+ UInt64(k * n + $0) })
            }
            for repeatIndex in 0..<configuration.repeats {
                if peakResettable { _ = ProcessStatistics.resetPeak() }
                let cpuStart = ProcessStatistics.cpuSeconds()
                let timings = try Self.measure(engine: engine, requests: requests)
                let run = BenchmarkRun(
                    sampleCount: n, repeatIndex: repeatIndex, timings: timings,
                    cpuSeconds: ProcessStatistics.cpuSeconds() - cpuStart,
                    peakResidentBytes: ProcessStatistics.peakResidentBytes(),
                    kvCacheBytes: Self.kvCacheBytes(configuration: model.configuration, promptTokens: configuration.promptTokenCount,
                                                    generatedTokens: configuration.generatedTokenCount, sampleCount: n,
                                                    promptCount: promptCount),
                    promptCount: promptCount)
                runs.append(run)
                progress(run)
            }
        }
        return BenchmarkReport(configuration: configuration, machine: .current(threadCount: configuration.threadCount),
                               peakIsPerRun: peakResettable, runs: runs)
    }
}

extension SamplingBenchmark {
    /// Runs `requests` together and returns their combined timings: prompt tokens and
    /// new tokens over all of them; prefill = until the last prompt finished prefilling
    /// (earlier prompts' decode overlaps it when Q > 1); decode = from then to the end;
    /// decode steps = forward passes with decode rows. One request gives its own timings.
    static func measure(engine: InferenceEngine, requests: [GenerationRequest]) throws(EngineError) -> GenerationTimings {
        if requests.count == 1 {
            let request = requests[0]
            return try engine.generate(promptTokens: request.promptTokens, parameters: request.parameters,
                                       seeds: request.seeds).timings
        }
        let clock = ContinuousClock()
        let start = clock.now
        let stepsBefore = engine.decodeSteps
        var outputs: [GenerationOutput] = []
        for result in engine.generate(requests) { outputs.append(try result.get()) }
        let wallSeconds = (clock.now - start).inSeconds
        var timings = GenerationTimings()
        timings.promptTokenCount = outputs.reduce(0) { $0 + $1.promptTokenCount }
        timings.generatedTokenCount = outputs.reduce(0) { $0 + $1.timings.generatedTokenCount }
        timings.promptSeconds = outputs.map(\.timings.promptSeconds).max() ?? 0
        timings.decodeSeconds = max(0, wallSeconds - timings.promptSeconds)
        timings.decodeSteps = engine.decodeSteps - stepsBefore
        return timings
    }
}

/// One timed generation run at one N (Q prompts × N samples when `promptCount` > 1).
public struct BenchmarkRun: Sendable, Codable, Equatable {
    /// Samples per prompt (N).
    public let sampleCount: Int
    /// Distinct prompts sent together (Q).
    public let promptCount: Int
    public let repeatIndex: Int
    /// Prompt tokens over all Q prompts.
    public let promptTokens: Int
    /// Prefill wall time, the fork of the prompt's KV pages into N sequences included.
    public let promptSeconds: Double
    /// New tokens over all samples (Q × N × gen-tokens when generation ran its full length).
    public let generatedTokens: Int
    /// From the end of prefill to the last token.
    public let decodeSeconds: Double
    /// Batched forward passes after prefill.
    public let decodeSteps: Int
    /// CPU time (user + system, all threads) the process used during prefill and decode.
    public let cpuSeconds: Double
    /// `cpuSeconds` over the wall time: how many cores the run actually got. Below the
    /// thread count, the run waited (for other processes, or for memory).
    public let coresUsed: Double
    /// Prompt tokens per second of prefill.
    public let prefillTokensPerSecond: Double
    /// New tokens per second over all samples.
    public let decodeTokensPerSecond: Double
    /// New tokens per second each sample saw (`decodeTokensPerSecond / (Q × N)`).
    public let perSequenceTokensPerSecond: Double
    /// VmHWM after the run: the process's peak resident set in bytes, weights included
    /// (per run when the peak could be reset, else since the process started).
    public let peakResidentBytes: Int?
    /// KV cache at the end of decode, computed (`SamplingBenchmark.kvCacheBytes`).
    public let kvCacheBytes: Int

    /// A run from the engine's timings of one request.
    public init(sampleCount: Int, repeatIndex: Int, timings: GenerationTimings, cpuSeconds: Double,
                peakResidentBytes: Int?, kvCacheBytes: Int, promptCount: Int = 1) {
        self.init(sampleCount: sampleCount, repeatIndex: repeatIndex, promptTokens: timings.promptTokenCount,
                  promptSeconds: timings.promptSeconds, generatedTokens: timings.generatedTokenCount,
                  decodeSeconds: timings.decodeSeconds, decodeSteps: timings.decodeSteps, cpuSeconds: cpuSeconds,
                  peakResidentBytes: peakResidentBytes, kvCacheBytes: kvCacheBytes, promptCount: promptCount)
    }

    /// A run from raw counts and seconds; the rates are derived from them.
    public init(sampleCount: Int, repeatIndex: Int, promptTokens: Int, promptSeconds: Double, generatedTokens: Int,
                decodeSeconds: Double, decodeSteps: Int, cpuSeconds: Double, peakResidentBytes: Int?, kvCacheBytes: Int,
                promptCount: Int = 1) {
        self.sampleCount = sampleCount
        self.promptCount = promptCount
        self.repeatIndex = repeatIndex
        self.promptTokens = promptTokens
        self.promptSeconds = promptSeconds
        self.generatedTokens = generatedTokens
        self.decodeSeconds = decodeSeconds
        self.decodeSteps = decodeSteps
        self.cpuSeconds = cpuSeconds
        let wall = promptSeconds + decodeSeconds
        coresUsed = wall > 0 ? cpuSeconds / wall : 0
        prefillTokensPerSecond = promptSeconds > 0 ? Double(promptTokens) / promptSeconds : 0
        decodeTokensPerSecond = decodeSeconds > 0 ? Double(generatedTokens) / decodeSeconds : 0
        perSequenceTokensPerSecond = decodeTokensPerSecond / Double(max(1, sampleCount * promptCount))
        self.peakResidentBytes = peakResidentBytes
        self.kvCacheBytes = kvCacheBytes
    }
}

/// The median and the range of repeated measurements.
public struct Spread: Sendable, Codable, Equatable {
    public let median: Double
    public let minimum: Double
    public let maximum: Double

    /// nil for no values. The median of an even count is the mean of the middle two.
    public init?(_ values: [Double]) {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        median = sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
        minimum = sorted[0]
        maximum = sorted[sorted.count - 1]
    }
}

/// The runs at one N, summarised.
public struct BenchmarkSummary: Sendable, Codable, Equatable {
    public let sampleCount: Int
    public let runCount: Int
    /// The fewest new tokens any run produced (N × gen-tokens when all ran full length).
    public let generatedTokens: Int
    public let prefillTokensPerSecond: Spread
    public let decodeTokensPerSecond: Spread
    public let perSequenceTokensPerSecond: Spread
    /// Cores the runs got (CPU time over wall time).
    public let coresUsed: Spread
    /// In bytes; nil when /proc/self/status could not be read.
    public let peakResidentBytes: Spread?
    public let kvCacheBytes: Int

    /// Summarises `runs`, which must be non-empty and all at one N.
    public init?(runs: [BenchmarkRun]) {
        guard let first = runs.first, runs.allSatisfy({ $0.sampleCount == first.sampleCount }),
              let prefill = Spread(runs.map(\.prefillTokensPerSecond)),
              let decode = Spread(runs.map(\.decodeTokensPerSecond)),
              let perSequence = Spread(runs.map(\.perSequenceTokensPerSecond)),
              let cores = Spread(runs.map(\.coresUsed)) else { return nil }
        sampleCount = first.sampleCount
        runCount = runs.count
        generatedTokens = runs.map(\.generatedTokens).min() ?? 0
        prefillTokensPerSecond = prefill
        decodeTokensPerSecond = decode
        perSequenceTokensPerSecond = perSequence
        coresUsed = cores
        let peaks = runs.compactMap(\.peakResidentBytes)
        peakResidentBytes = peaks.count == runs.count ? Spread(peaks.map(Double.init)) : nil
        kvCacheBytes = first.kvCacheBytes
    }
}

/// Where and when the benchmark ran, so figures can be judged against the machine's load.
public struct BenchmarkMachine: Sendable, Codable, Equatable {
    public let processorCount: Int
    /// Threads the engine used.
    public let threadCount: Int
    /// `/proc/loadavg`'s 1, 5 and 15 minute averages at the end; empty when unreadable.
    public let loadAverage: [Double]
    /// ISO 8601, UTC.
    public let date: String

    public init(processorCount: Int, threadCount: Int, loadAverage: [Double], date: String) {
        self.processorCount = processorCount
        self.threadCount = threadCount
        self.loadAverage = loadAverage
        self.date = date
    }

    /// This machine now.
    public static func current(threadCount: Int?) -> BenchmarkMachine {
        let processors = ProcessInfo.processInfo.activeProcessorCount
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))
            .map { $0.split(separator: " ").prefix(3).compactMap { Double($0) } } ?? []
        return BenchmarkMachine(processorCount: processors, threadCount: threadCount ?? processors,
                                loadAverage: load, date: ISO8601DateFormatter().string(from: Date()))
    }
}

/// Everything one `quorum bench sample` measured: the configuration, every raw run
/// and a summary per N. Encodes to the JSON that `--json` writes.
public struct BenchmarkReport: Sendable, Codable, Equatable {
    public let configuration: SamplingBenchmark.Configuration
    public let machine: BenchmarkMachine
    /// True when the peak RSS was reset before each run (VmHWM then is that run's
    /// peak); false when it is the process-wide high-water mark.
    public let peakIsPerRun: Bool
    public let runs: [BenchmarkRun]
    /// One per N, in the order of `configuration.sampleCounts`.
    public let summaries: [BenchmarkSummary]

    public init(configuration: SamplingBenchmark.Configuration, machine: BenchmarkMachine, peakIsPerRun: Bool,
                runs: [BenchmarkRun]) {
        self.configuration = configuration
        self.machine = machine
        self.peakIsPerRun = peakIsPerRun
        self.runs = runs
        var order: [Int] = []
        for run in runs where !order.contains(run.sampleCount) { order.append(run.sampleCount) }
        summaries = order.compactMap { n in BenchmarkSummary(runs: runs.filter { $0.sampleCount == n }) }
    }

    /// An aligned plain-text table: one row per N (`prompts × N` with several prompts), each
    /// figure as `median (min–max)`.
    public func table() -> String {
        let peakHeader = peakIsPerRun ? "peak RSS MB (per run)" : "peak RSS MB (process)"
        let prompts = configuration.promptCount
        var rows = [[prompts > 1 ? "prompts × N" : "N", "prefill tok/s", "decode tok/s (all)", "per-seq tok/s", "cores used", peakHeader, "KV MB", "new tokens"]]
        for summary in summaries {
            rows.append([
                prompts > 1 ? "\(prompts) × \(summary.sampleCount)" : String(summary.sampleCount),
                Self.format(summary.prefillTokensPerSecond, decimals: 0),
                Self.format(summary.decodeTokensPerSecond, decimals: 1),
                Self.format(summary.perSequenceTokensPerSecond, decimals: 1),
                Self.format(summary.coresUsed, decimals: 2),
                summary.peakResidentBytes.map { Self.format($0, scale: 1e-6, decimals: 0) } ?? "–",
                String(format: "%.1f", Double(summary.kvCacheBytes) / 1e6),
                String(summary.generatedTokens),
            ])
        }
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                String(repeating: " ", count: widths[column] - cell.count) + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    /// `302.1 (295.0–310.2)`; without the range when it rounds to one value.
    static func format(_ spread: Spread, scale: Double = 1, decimals: Int) -> String {
        let f = { (value: Double) in String(format: "%.\(decimals)f", value * scale) }
        let (low, high) = (f(spread.minimum), f(spread.maximum))
        return low == high ? f(spread.median) : "\(f(spread.median)) (\(low)–\(high))"
    }
}

/// The process's resident memory (as Linux reports it in /proc/self/status) and CPU time.
public enum ProcessStatistics {
    /// CPU time of the whole process (all threads, user + system), in seconds.
    public static func cpuSeconds() -> Double {
        var time = timespec()
        guard clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time) == 0 else { return 0 }
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    /// VmHWM (peak resident set) in bytes; nil when unreadable (not Linux).
    public static func peakResidentBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        return field("VmHWM", in: status)
    }

    /// A `Name:   1234 kB` field of a /proc status text, in bytes.
    public static func field(_ name: String, in status: String) -> Int? {
        for line in status.split(separator: "\n") where line.hasPrefix(name + ":") {
            let parts = line.dropFirst(name.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let value = parts.first.flatMap({ Int($0) }) else { return nil }
            let unit = parts.dropFirst().first.map(String.init) ?? ""
            return unit == "kB" ? value * 1024 : value
        }
        return nil
    }

    /// Resets VmHWM to the current resident set (writes 5 to /proc/self/clear_refs,
    /// Linux 4.0+). Returns false when the kernel refuses, and the peak stays process-wide.
    public static func resetPeak() -> Bool {
        let descriptor = open("/proc/self/clear_refs", O_WRONLY)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        return write(descriptor, "5", 1) == 1
    }
}
