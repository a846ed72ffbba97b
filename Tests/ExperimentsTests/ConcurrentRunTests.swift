import Experiments
import Foundation
import RunStore
import ScalingCore
import Testing

/// Issue 20, finding 8: two invocations of one run on one store share the work. Each request's
/// samples are claimed in the store first, so whatever the interleaving no sample is asked for
/// twice, and each invocation reports what it stored itself.
struct ConcurrentRunTests {
    @Test func twoInvocationsOfOneRunShareTheWork() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-shared-\(UUID().uuidString).sqlite").path
        // Two connections to one file, as two `quorum run` processes have.
        let storeA = try RunStore(path: path), storeB = try RunStore(path: path)
        let backendA = CountingSlowBackend(), backendB = CountingSlowBackend()
        let plan = SamplingRunTests.plan(4)
        async let a = plan.run(store: storeA, provider: backendA, verifier: LastDigitVerifier())
        async let b = plan.run(store: storeB, provider: backendB, verifier: LastDigitVerifier())
        let (outcomeA, outcomeB) = try await (a, b)
        let requested = backendA.seeds + backendB.seeds
        #expect(requested.count == 24, "samples computed twice: A \(backendA.seeds.count), B \(backendB.seeds.count)")
        #expect(Set(requested).count == 24)
        #expect(outcomeA.produced + outcomeB.produced == 24)
        #expect(outcomeA.produced == backendA.seeds.count && outcomeB.produced == backendB.seeds.count)
        for outcome in [outcomeA, outcomeB] {
            #expect(outcome.produced + outcome.leftToOtherInvocation + outcome.alreadyStored == 24)
        }
        #expect(try storeA.samples(runID: outcomeA.runID).count == 24)
        // The store is what one uninterrupted invocation stores.
        let alone = try SamplingRunTests.store()
        _ = try await plan.run(store: alone, provider: SeededBackend(), verifier: LastDigitVerifier())
        #expect(try storeA.samples(runID: outcomeA.runID).map(\.completion.text) == alone.samples(runID: outcomeA.runID).map(\.completion.text))
    }

    @Test func aClaimOfAnEndedProcessIsTakenOver() throws {
        let store = try SamplingRunTests.store()
        let run = try store.beginRun(SamplingRunTests.configuration())
        // A claim left by a process that no longer exists (kill -9): pid 2^22 + 1 is above Linux's pid_max limit.
        let ended = ClaimOwner(id: "\(ProcessInfo.processInfo.hostName)/4194305/\(UUID().uuidString)")
        let live = ClaimOwner()
        #expect(try store.claim(runID: run, problemID: "p0", indices: [0, 1], owner: ended) == [0, 1])
        #expect(try store.claim(runID: run, problemID: "p0", indices: [0, 1, 2], owner: live) == [0, 1, 2])
        // A live holder keeps its claim.
        #expect(try store.claim(runID: run, problemID: "p0", indices: [0, 1, 2, 3], owner: ClaimOwner()) == [3])
        try store.releaseClaims(runID: run, problemID: "p0", indices: [0, 1, 2], owner: live)
        #expect(try store.claim(runID: run, problemID: "p0", indices: [0], owner: ClaimOwner()) == [0])
    }
}

/// `SeededBackend`'s samples after a pause, recording every seed asked for.
final class CountingSlowBackend: CompletionProvider, @unchecked Sendable {
    let modelName = "seeded-test-backend"
    private let lock = NSLock()
    private var asked: [UInt64] = []
    var seeds: [UInt64] { lock.withLock { asked } }

    func complete(_ request: CompletionRequest) async throws -> [Completion] {
        lock.withLock { asked += request.seeds }
        try await Task.sleep(for: .milliseconds(5))
        return try await SeededBackend().complete(request)
    }
}
