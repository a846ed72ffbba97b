import Foundation
import ScalingCore
import Testing
import Verifiers

/// Grading throughput on the 164 HumanEval canonical solutions, in programs per second.
/// A measurement, not an assertion: enabled only with QUORUM_BENCHMARKS=1, e.g.
/// `QUORUM_BENCHMARKS=1 swift test -c release --filter CodeBenchmarkTests`.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["QUORUM_BENCHMARKS"] == "1", "set QUORUM_BENCHMARKS=1 to run"))
struct CodeBenchmarkTests {
    @Test func humanEvalGradingThroughput() async throws {
        let problems = try CodeTestSupport.humanEval()
        let sandbox = try CodeTestSupport.sandbox()
        let verifier = PythonTestsVerifier(sandbox: sandbox)
        let pairs = problems.map { (($0.metadata["canonical_solution"]?.stringValue ?? ""), $0) }
        _ = await CodeTestSupport.verifyAll(verifier, Array(pairs.prefix(4)))   // warm the page cache
        let clock = ContinuousClock()
        let start = clock.now
        let verdicts = await CodeTestSupport.verifyAll(verifier, pairs)
        let elapsed = start.duration(to: clock.now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let passed = verdicts.filter(\.isCorrect).count
        print("""
            benchmark humaneval-grading: \(pairs.count) programs in \(String(format: "%.2f", seconds)) s = \
            \(String(format: "%.1f", Double(pairs.count) / seconds)) programs/s with \(sandbox.configuration.maxConcurrentRuns) \
            workers (\(passed) passed; \(sandbox.controlGroupSupport))
            """)
        #expect(passed == pairs.count)
    }
}
