import Experiments
import Foundation
import Metrics
import Report
import RunStore
import ScalingCore
import TestSupport
import Testing

/// A failure the backend reports as one no retry can fix, as the engine does for a prompt
/// longer than the model's context.
struct PromptOverContext: PermanentFailure, CustomStringConvertible {
    var isPermanent: Bool { true }
    var description: String { "The prompt has 9031 tokens; the model's context holds 8192." }
}

/// `SeededBackend`'s samples, except that prompts containing `permanentPrompt` fail permanently.
final class OverflowingBackend: CompletionProvider, @unchecked Sendable {
    let modelName = "seeded-test-backend"
    let permanentPrompt: String
    let seeded = SeededBackend()
    init(permanentPrompt: String) { self.permanentPrompt = permanentPrompt }

    var requestedSeeds: [UInt64] { seeded.requestedSeeds }

    func complete(_ request: CompletionRequest) async throws -> [Completion] {
        let samples = try await seeded.complete(request)   // counts the request
        if PromptText.of(request.prompt).contains(permanentPrompt) { throw PromptOverContext() }
        // With log-probabilities, so the report has a best-of-N curve too.
        return zip(samples, request.seeds).map { sample, seed in
            var sample = sample
            sample.logprobSum = -Double(seed % 7) - 1
            return sample
        }
    }
}

/// Issue 20, finding 1: a problem no sample can be drawn for must not drop out of the score.
struct UnsampledProblemTests {
    @Test func aProblemThatCannotBeSampledCountsAsUnsolvedAndIsNotRetried() async throws {
        let store = try SamplingRunTests.store()
        let backend = OverflowingBackend(permanentPrompt: "Question 2:")
        let plan = SamplingRunTests.plan(4)
        let first = try await plan.run(store: store, provider: backend, verifier: LastDigitVerifier())
        #expect(first.produced == 20 && first.failed == 4 && first.permanentlyFailed == 4)
        #expect(first.unsampled == [UnsampledProblem(problemID: "p2", error: PromptOverContext().description, permanent: true)])
        #expect(try store.failedRequests(runID: first.runID).allSatisfy { $0.permanent && $0.problemID == "p2" })

        // Running the command again does not ask for the permanently failed samples.
        let asked = backend.requestedSeeds.count
        let again = try await plan.run(store: store, provider: backend, verifier: LastDigitVerifier())
        #expect(backend.requestedSeeds.count == asked)
        #expect(again.produced == 0 && again.failed == 0 && again.skippedPermanent == 4 && again.alreadyStored == 20)
        #expect(again.unsampled.map(\.problemID) == ["p2"])

        // `quorum runs` counts all six problems and one unsampled.
        let summary = try #require(try store.runs().first)
        #expect(summary.problemCount == 6 && summary.unsampledProblemCount == 1 && summary.sampleCount == 20)

        // The report: six problems, p2 listed with its reason, counted as 0 of 4 correct.
        let report = try RunAnalysis(bootstrapResamples: 50).report(runID: first.runID, store: store)
        #expect(report.problemCount == 6 && report.datasetProblemCount == 6)
        #expect(report.unsampledProblems == [UnsampledProblemNote(id: "p2", reason: PromptOverContext().description, permanent: true)])
        #expect(report.solveRates.count == 6)
        let correct = Dictionary(grouping: try store.samples(runID: first.runID), by: \.problemID).mapValues { $0.filter(\.verdict.isCorrect).count }
        for k in 1...4 {
            // Unbiased pass@k by hand, p2 contributing 0.
            let expected = correct.values.reduce(0.0) { $0 + Self.passAtK(n: 4, c: $1, k: k) } / 6
            let value = try #require(report.curve(.coverage)?.point(atK: k)?.value)
            #expect(abs(value - expected) < 1e-12, "pass@\(k)")
        }

        // Excluding them instead: scores over the five sampled problems, and the report says so.
        let excluded = try RunAnalysis(bootstrapResamples: 50, countUnsampledAsUnsolved: false).report(runID: first.runID, store: store)
        #expect(excluded.problemCount == 5 && excluded.datasetProblemCount == 6 && !excluded.unsampledCountAsUnsolved)
        #expect(excluded.unsampledSummary()?.contains("EXCLUDES") == true)
        #expect(report.unsampledSummary()?.contains("1 of 6 problems have no sample (1 failed permanently") == true)
        #expect(report.curve(.bestOfN) != nil)
        for kind in [CurveKind.coverage, .majority, .bestOfN] {
            let all = try #require(report.curve(kind)), sampled = try #require(excluded.curve(kind))
            for point in sampled.points {
                // An unsolved problem adds a zero to the mean over problems.
                #expect(abs(try #require(all.point(atK: point.k)).value - point.value * 5 / 6) < 1e-12, "\(kind) at k=\(point.k)")
            }
        }

        // Asked to, the run tries them again.
        var retrying = plan
        retrying.retryPermanentFailures = true
        let retried = try await retrying.run(store: store, provider: backend, verifier: LastDigitVerifier())
        #expect(retried.failed == 4 && backend.requestedSeeds.count == asked + 4)
    }

    @Test func retryableFailuresStayRetryable() async throws {
        let store = try SamplingRunTests.store()
        let backend = SeededBackend()
        backend.failingPrompts = ["Question 3:"]
        let first = try await SamplingRunTests.plan(2).run(store: store, provider: backend, verifier: LastDigitVerifier())
        #expect(first.permanentlyFailed == 0 && first.unsampled.map(\.problemID) == ["p3"] && first.unsampled[0].permanent == false)
        backend.failingPrompts = []
        let resumed = try await SamplingRunTests.plan(2).run(store: store, provider: backend, verifier: LastDigitVerifier())
        #expect(resumed.produced == 2 && resumed.unsampled.isEmpty)
    }

    @Test func aRunWhereNothingCouldBeSampledSaysWhy() async throws {
        let store = try SamplingRunTests.store()
        let plan = SamplingRun(configuration: SamplingRunTests.configuration(), problems: Array(SamplingRunTests.problems.prefix(2)),
                               samplesPerProblem: 2, template: .gsm8kChat)
        let outcome = try await plan.run(store: store, provider: OverflowingBackend(permanentPrompt: "Question"), verifier: LastDigitVerifier())
        #expect(outcome.unsampled.count == 2)
        #expect {
            try RunAnalysis().report(runID: outcome.runID, store: store)
        } throws: { error in
            "\(error)".contains("none of its 2 problems could be sampled") && "\(error)".contains("8192")
        }
    }

    static func passAtK(n: Int, c: Int, k: Int) -> Double {
        if n - c < k { return 1 }
        var failAll = 1.0
        for i in 0..<k { failAll *= Double(n - c - i) / Double(n - i) }
        return 1 - failAll
    }
}
