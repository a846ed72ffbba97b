import Benchmarks
import Engine
import Foundation
import Models
import Testing
import TestSupport

/// The pure parts of `quorum bench sample` (argument parsing, median and range, the JSON
/// users script against, /proc parsing) and one tiny real run checking that generation
/// is forced to its full length. No speed is asserted anywhere.
struct BenchmarkReportTests {
    @Test func sampleCountsParseInOrderAndRejectBadLists() throws {
        #expect(try SamplingBenchmark.parseSampleCounts("1,4,16,64,256") == [1, 4, 16, 64, 256])
        #expect(try SamplingBenchmark.parseSampleCounts(" 16, 1 ,4") == [16, 1, 4])
        #expect(try SamplingBenchmark.parseSampleCounts("8") == [8])
        for bad in ["", "0", "1,,4", "1,4,", "a,2", "-1", "4,4", "1.5", "1;4"] {
            #expect(throws: EngineError.self, "\"\(bad)\" should be rejected") {
                try SamplingBenchmark.parseSampleCounts(bad)
            }
        }
    }

    @Test func spreadIsTheMedianAndTheRange() throws {
        // Known answers: median of an odd count is the middle value; of an even count,
        // the mean of the middle two (numpy.median's and statistics.median's convention).
        let odd = try #require(Spread([3, 1, 2]))
        #expect(odd.median == 2 && odd.minimum == 1 && odd.maximum == 3)
        let even = try #require(Spread([4, 10, 1, 2]))
        #expect(even.median == 3 && even.minimum == 1 && even.maximum == 10)
        let single = try #require(Spread([7.5]))
        #expect(single.median == 7.5 && single.minimum == 7.5 && single.maximum == 7.5)
        #expect(Spread([]) == nil)
    }

    static func run(n: Int, repeatIndex: Int, decodeSeconds: Double, peak: Int?) -> BenchmarkRun {
        BenchmarkRun(sampleCount: n, repeatIndex: repeatIndex, promptTokens: 128, promptSeconds: 0.5,
                     generatedTokens: n * 128, decodeSeconds: decodeSeconds, decodeSteps: 127,
                     cpuSeconds: decodeSeconds + 0.5, peakResidentBytes: peak, kvCacheBytes: 1000)
    }

    static let report = BenchmarkReport(
        configuration: .init(modelPath: "/models/m.gguf", sampleCounts: [4, 1], repeats: 3, threadCount: 2),
        machine: BenchmarkMachine(processorCount: 2, threadCount: 2, loadAverage: [1, 2, 3], date: "2026-11-22T09:00:00Z"),
        peakIsPerRun: true,
        runs: [
            run(n: 4, repeatIndex: 0, decodeSeconds: 4, peak: 300_000_000),
            run(n: 4, repeatIndex: 1, decodeSeconds: 2, peak: 310_000_000),
            run(n: 4, repeatIndex: 2, decodeSeconds: 8, peak: 305_000_000),
            run(n: 1, repeatIndex: 0, decodeSeconds: 1, peak: 200_000_000),
        ])

    @Test func summariesFollowTheOrderOfNAndComputeRatesFromTheRuns() throws {
        let summaries = Self.report.summaries
        #expect(summaries.map(\.sampleCount) == [4, 1])
        let four = summaries[0]
        #expect(four.runCount == 3)
        #expect(four.generatedTokens == 512)
        // 512 tokens in 2, 4 and 8 seconds: 256, 128 and 64 tok/s.
        #expect(four.decodeTokensPerSecond == Spread([256, 128, 64]))
        #expect(four.decodeTokensPerSecond.median == 128)
        #expect(four.perSequenceTokensPerSecond == Spread([64, 32, 16]))
        #expect(four.prefillTokensPerSecond.median == 256)   // 128 tokens in 0.5 s
        #expect(four.peakResidentBytes?.median == 305_000_000)
        #expect(four.coresUsed == Spread([1, 1, 1]))   // CPU time equal to wall time: one core
        let table = Self.report.table()
        #expect(table.split(separator: "\n").count == 3)   // header + one row per N
        #expect(table.contains("128.0 (64.0–256.0)"))
    }

    @Test func jsonHoldsTheConfigurationEveryRawRunAndTheSummaries() throws {
        let data = try JSONEncoder().encode(Self.report)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let configuration = try #require(object["configuration"] as? [String: Any])
        #expect(configuration["sampleCounts"] as? [Int] == [4, 1])
        #expect(configuration["promptTokenCount"] as? Int == 128)
        #expect(configuration["repeats"] as? Int == 3)
        let runs = try #require(object["runs"] as? [[String: Any]])
        #expect(runs.count == 4)
        for key in ["sampleCount", "repeatIndex", "promptTokens", "promptSeconds", "generatedTokens", "decodeSeconds",
                    "decodeSteps", "cpuSeconds", "coresUsed", "prefillTokensPerSecond", "decodeTokensPerSecond", "perSequenceTokensPerSecond",
                    "peakResidentBytes", "kvCacheBytes"] {
            #expect(runs[0][key] != nil, "run is missing \(key)")
        }
        #expect(runs[1]["decodeTokensPerSecond"] as? Double == 256)
        let summaries = try #require(object["summaries"] as? [[String: Any]])
        #expect(summaries.count == 2)
        let decode = try #require(summaries[0]["decodeTokensPerSecond"] as? [String: Any])
        #expect(decode["median"] as? Double == 128 && decode["minimum"] as? Double == 64 && decode["maximum"] as? Double == 256)
        #expect(object["peakIsPerRun"] as? Bool == true)
        #expect((object["machine"] as? [String: Any])?["loadAverage"] as? [Double] == [1, 2, 3])
        // It round-trips, so a saved file can be read back.
        #expect(try JSONDecoder().decode(BenchmarkReport.self, from: data) == Self.report)
    }

    @Test func procStatusFieldsAreReadInBytes() {
        let status = "Name:\tquorum\nVmPeak:\t  500000 kB\nVmHWM:\t  123456 kB\nVmRSS:\t   100000 kB\nThreads:\t2\n"
        #expect(ProcessStatistics.field("VmHWM", in: status) == 123_456 * 1024)
        #expect(ProcessStatistics.field("VmRSS", in: status) == 100_000 * 1024)
        #expect(ProcessStatistics.field("Threads", in: status) == 2)
        #expect(ProcessStatistics.field("VmSwap", in: status) == nil)
        #expect(ProcessStatistics.peakResidentBytes().map { $0 > 0 } ?? false, "Linux has /proc/self/status")
    }

    @Test func kvCacheIsThePromptOnceAndEachSamplesOwnPositions() throws {
        let model = try LlamaModel(path: TestPaths.defaultModel().path)
        // SmolLM2-135M: 30 layers, 3 KV heads of 64 → 30 × 2 × 192 × 2 bytes = 23,040 per position
        // in f16, as BASELINE.md gives for llama.cpp's cache.
        let bytes = SamplingBenchmark.kvCacheBytes(configuration: model.configuration, promptTokens: 128,
                                                   generatedTokens: 128, sampleCount: 16)
        #expect(bytes == 23_040 * (128 + 16 * 127))
    }

    @Test func everySampleRunsItsFullLengthAndThePromptHasExactlyTheAskedTokens() throws {
        let model = try TestPaths.defaultModel().path
        let benchmark = SamplingBenchmark(configuration: .init(
            modelPath: model, promptTokenCount: 37, generatedTokenCount: 24, sampleCounts: [1, 3], repeats: 2,
            threadCount: 2, temperature: 1.0, topK: 0, topP: 1))
        let report = try benchmark.run()
        #expect(report.runs.count == 4)
        for run in report.runs {
            #expect(run.promptTokens == 37)
            #expect(run.generatedTokens == run.sampleCount * 24, "N=\(run.sampleCount): generation stopped early")
            #expect(run.decodeSteps == 23)   // the first token comes from the prefill's logits
            #expect(run.cpuSeconds > 0 && run.peakResidentBytes != nil)
        }
        #expect(report.summaries.map(\.sampleCount) == [1, 3])
    }

    @Test func severalPromptsRunTogetherAtFullLengthAndAreDistinct() throws {
        let model = try TestPaths.defaultModel().path
        let benchmark = SamplingBenchmark(configuration: .init(
            modelPath: model, promptTokenCount: 21, generatedTokenCount: 9, sampleCounts: [2], repeats: 1,
            threadCount: 2, temperature: 1.0, topK: 0, topP: 1, promptCount: 3))
        let report = try benchmark.run()
        let run = try #require(report.runs.first)
        #expect(run.promptCount == 3 && run.sampleCount == 2)
        #expect(run.promptTokens == 3 * 21)
        #expect(run.generatedTokens == 3 * 2 * 9, "generation stopped early")
        #expect(report.table().contains("3 × 2"))
        let prompts = (0..<3).map {
            SamplingBenchmark.syntheticPrompt(tokenizer: nil, vocabularySize: 49152, count: 21, variant: $0)
        }
        #expect(Set(prompts).count == 3 && prompts.allSatisfy { $0.count == 21 })
    }
}
