import Engine
import Foundation
import TestSupport
import Testing

/// Issue 20, finding 4: a thread count out of range is a clear error wherever it is taken,
/// not a failed precondition (SIGILL) deep in the worker pool.
struct ThreadCountTests {
    @Test func outOfRangeCountsAreRefusedBeforeAnythingStarts() throws {
        let processors = ProcessInfo.processInfo.activeProcessorCount
        #expect(ThreadCount.maximum == 4 * processors)
        for bad in [0, -3, 4 * processors + 1, 100_000] {
            #expect(throws: EngineError.self) { try ThreadCount.validate(bad) }
            // Checked before the model is loaded: no file is needed to be refused.
            do {
                _ = try InferenceEngine(path: "/nonexistent.gguf", threadCount: bad)
                Issue.record("threads \(bad) accepted")
            } catch {
                #expect(error.description.contains("--threads \(bad) is out of range: give 1 to \(4 * processors)"), "\(error)")
            }
            #expect(throws: EngineError.self) { try GenerationScheduler(path: "/nonexistent.gguf", threadCount: bad) }
        }
        for good in [nil, 1, processors, 4 * processors] { try ThreadCount.validate(good) }
    }
    // The commands' own messages: CommandsTests.CommandOptionTests.
}
