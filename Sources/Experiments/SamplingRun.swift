import Foundation
import RunStore
import ScalingCore

/// Progress of a run, reported after every stored sample.
public struct RunProgress: Sendable {
    /// Samples stored, counting those a previous invocation stored.
    public var done: Int
    /// Samples the run will hold when complete.
    public var total: Int
    /// Samples produced by this invocation (the rate and ETA are based on these).
    public var producedNow: Int
    /// Stored samples that passed their check.
    public var passed: Int
    /// Requests that failed in this invocation (recorded; a resumed run retries them unless permanent).
    public var failed: Int
    /// Of `failed`, those no retry can fix (the prompt is longer than the context): not retried.
    public var permanentlyFailed: Int = 0
    public var elapsed: Double

    /// pass@1 so far: the fraction of stored samples that passed.
    public var passAt1: Double { done == 0 ? 0 : Double(passed) / Double(done) }
    public var samplesPerSecond: Double { elapsed > 0 ? Double(producedNow) / elapsed : 0 }
    /// Seconds left at the current rate, nil before the first sample.
    public var eta: Double? { samplesPerSecond > 0 ? Double(total - done) / samplesPerSecond : nil }
}

/// What a finished (or interrupted) invocation did.
public struct RunOutcome: Sendable {
    public var runID: String
    public var produced: Int
    public var alreadyStored: Int
    public var failed: Int
    /// Of `failed`, those no retry can fix (recorded as permanent; a resumed run skips them).
    public var permanentlyFailed: Int
    /// Samples left out because an earlier invocation recorded a permanent failure for them.
    public var skippedPermanent: Int
    /// Samples another invocation of the same run (on the same store) held or stored first.
    public var leftToOtherInvocation: Int
    /// Problems of this invocation that have no stored sample after it, with the reason.
    public var unsampled: [UnsampledProblem]
    public var seconds: Double
}

/// Samples, verifies and stores N completions for every problem of a data set.
///
/// Resumable by construction: it asks the store which (problem, index) pairs exist and
/// requests only the others, each with its own seed from the run configuration, so an
/// interrupted run, a repeated command, or a larger `samplesPerProblem` does exactly the
/// missing work. Each sample is stored the moment it is verified; at most
/// `samplesPerRequest` samples per in-flight request are lost to a crash.
///
/// `concurrentRequests` requests are in flight at once. On a backend that batches
/// across requests (the embedded engine's continuous batching, a serving engine) they
/// share decode steps, so samples finishing early make room for the next problem's
/// instead of leaving the batch half empty. Samples depend only on their seeds, so
/// the stored samples are the same at any concurrency.
public struct SamplingRun: Sendable {
    public var configuration: RunConfiguration
    public var problems: [Problem]
    public var samplesPerProblem: Int
    public var template: PromptTemplate
    /// Samples asked of the backend in one request (one shared-prompt batch on the embedded engine).
    public var samplesPerRequest: Int
    /// Requests in flight at once (`concurrencyFilling` gives one that keeps a batching backend full).
    public var concurrentRequests: Int
    /// Ask again for samples whose failure was recorded as permanent (after the cause was
    /// fixed outside the run, e.g. a server restarted with a longer context).
    public var retryPermanentFailures: Bool

    public init(configuration: RunConfiguration, problems: [Problem], samplesPerProblem: Int, template: PromptTemplate,
                samplesPerRequest: Int = 16, concurrentRequests: Int = 1, retryPermanentFailures: Bool = false) {
        self.configuration = configuration
        self.problems = problems
        self.samplesPerProblem = samplesPerProblem
        self.template = template
        self.samplesPerRequest = max(1, samplesPerRequest)
        self.concurrentRequests = max(1, concurrentRequests)
        self.retryPermanentFailures = retryPermanentFailures
    }

    /// Requests to keep in flight so a backend decoding `batchWidth` samples at once
    /// stays full with requests of `samplesPerRequest` samples: enough to fill the
    /// width, plus one more whose prompt prefills while the others decode.
    public static func concurrencyFilling(batchWidth: Int, samplesPerRequest: Int) -> Int {
        let perRequest = max(1, samplesPerRequest)
        return (max(1, batchWidth) + perRequest - 1) / perRequest + 1
    }

    /// The work left: for each problem, the sample indices not yet stored, less those whose
    /// failure was recorded as permanent (unless `retryPermanentFailures`).
    public func missingWork(in store: RunStore) throws -> [(problem: Problem, indices: [Int])] {
        let stored = try store.storedSampleIndices(runID: configuration.id)
        let permanent = retryPermanentFailures ? [] : try permanentFailures(in: store)
        return problems.compactMap { problem in
            let have = stored[problem.id] ?? []
            let missing = (0..<samplesPerProblem).filter { !have.contains($0) && !permanent.contains(PermanentKey(problem.id, $0)) }
            return missing.isEmpty ? nil : (problem, missing)
        }
    }

    private struct PermanentKey: Hashable {
        var problemID: String
        var index: Int
        init(_ problemID: String, _ index: Int) { self.problemID = problemID; self.index = index }
    }

    private func permanentFailures(in store: RunStore) throws -> Set<PermanentKey> {
        Set(try store.failedRequests(runID: configuration.id).filter(\.permanent).map { PermanentKey($0.problemID, $0.sampleIndex) })
    }

    /// Runs to completion (or until cancelled), storing every sample.
    public func run(store: RunStore, provider: any CompletionProvider, verifier: any Verifier,
                    progress: @escaping @Sendable (RunProgress) -> Void = { _ in }) async throws -> RunOutcome {
        let runID = try store.beginRun(configuration)
        // Every problem asked for counts in the run's scores, whether or not a sample of it can be drawn.
        try store.registerProblems(runID: runID, problemIDs: problems.map(\.id))
        let work = try missingWork(in: store)
        let total = problems.count * samplesPerProblem
        let stored = try store.storedSampleIndices(runID: runID)
        let alreadyStored = problems.reduce(0) { sum, problem in
            sum + (stored[problem.id] ?? []).filter { $0 < samplesPerProblem }.count
        }
        let skippedPermanent = total - alreadyStored - work.reduce(0) { $0 + $1.indices.count }
        let storedPassed = try store.samples(runID: runID)
            .filter { record in record.verdict.isCorrect && record.sampleIndex < samplesPerProblem && problems.contains { $0.id == record.problemID } }.count
        let start = Date()
        let counter = ProgressCounter(done: alreadyStored, passed: storedPassed)

        // One job per (problem, chunk of indices); `concurrentRequests` jobs in flight.
        var jobs: [(Problem, [Int])] = []
        for (problem, indices) in work {
            var i = 0
            while i < indices.count {
                jobs.append((problem, Array(indices[i ..< min(i + samplesPerRequest, indices.count)])))
                i += samplesPerRequest
            }
        }
        let configuration = self.configuration
        let template = self.template
        // Another invocation of the same run on the same store (a second `quorum run`) shares
        // the work: each request's samples are claimed first, and those another live
        // invocation holds or has stored are left to it.
        let owner = ClaimOwner()
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func addJob() {
                let (problem, wanted) = jobs[next]
                next += 1
                group.addTask {
                    try Task.checkCancellation()
                    let indices = try store.claim(runID: runID, problemID: problem.id, indices: wanted, owner: owner)
                    counter.leave(wanted.count - indices.count)
                    guard !indices.isEmpty else { return }
                    defer { try? store.releaseClaims(runID: runID, problemID: problem.id, indices: indices, owner: owner) }
                    let seeds = indices.map { configuration.sampleSeed(problemID: problem.id, index: $0) }
                    var parameters = configuration.sampling
                    parameters.stop = Array(Set(parameters.stop + template.stop)).sorted()
                    let request = CompletionRequest(prompt: template.render(problem), parameters: parameters, seeds: seeds)
                    let completions: [Completion]
                    do {
                        completions = try await provider.complete(request)
                    } catch {
                        let permanent = error.isPermanentFailure
                        for index in indices {
                            try store.recordFailure(runID: runID, problemID: problem.id, sampleIndex: index, error: "\(error)",
                                                    permanent: permanent)
                        }
                        counter.fail(indices.count, permanent: permanent)
                        progress(counter.snapshot(total: total, start: start))
                        return
                    }
                    for (offset, index) in indices.enumerated() {
                        guard offset < completions.count, completions[offset].finishReason != .error else {
                            let message = offset < completions.count ? (completions[offset].error ?? "backend error")
                                : "the backend returned \(completions.count) of \(indices.count) samples"
                            try store.recordFailure(runID: runID, problemID: problem.id, sampleIndex: index, error: message)
                            counter.fail(1)
                            continue
                        }
                        var completion = completions[offset]
                        completion.seed = seeds[offset]
                        let verdict = await verifier.verify(completion.text, for: problem)
                        let new = try store.insert(SampleRecord(problemID: problem.id, sampleIndex: index, seed: seeds[offset],
                                                                completion: completion, verdict: verdict), runID: runID)
                        counter.produce(passed: verdict.isCorrect, new: new)
                        progress(counter.snapshot(total: total, start: start))
                    }
                }
            }
            while next < min(concurrentRequests, jobs.count) { addJob() }
            while try await group.next() != nil {
                if next < jobs.count { addJob() }
            }
        }
        let final = counter.snapshot(total: total, start: start)
        let asked = Set(problems.map(\.id))
        return RunOutcome(runID: runID, produced: final.producedNow, alreadyStored: alreadyStored,
                          failed: final.failed, permanentlyFailed: final.permanentlyFailed, skippedPermanent: skippedPermanent,
                          leftToOtherInvocation: counter.leftToOthers,
                          unsampled: try store.unsampledProblems(runID: runID).filter { asked.contains($0.problemID) },
                          seconds: final.elapsed)
    }
}

/// Counts shared by the run's tasks.
private final class ProgressCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var done: Int
    private var passed: Int
    private var producedNow = 0
    private var failed = 0
    private var permanentlyFailed = 0

    init(done: Int, passed: Int) {
        self.done = done
        self.passed = passed
    }

    private var leftToOthersCount = 0

    /// A sample verified and stored; `new` is false when an identical one was already there.
    func produce(passed ok: Bool, new: Bool = true) {
        lock.lock(); defer { lock.unlock() }
        done += 1
        if new { producedNow += 1 }
        if ok { passed += 1 }
    }

    /// Samples left to another invocation of the run.
    func leave(_ count: Int) {
        guard count > 0 else { return }
        lock.lock(); defer { lock.unlock() }
        leftToOthersCount += count
    }

    var leftToOthers: Int {
        lock.lock(); defer { lock.unlock() }
        return leftToOthersCount
    }

    func fail(_ count: Int, permanent: Bool = false) {
        lock.lock(); defer { lock.unlock() }
        failed += count
        if permanent { permanentlyFailed += count }
    }

    func snapshot(total: Int, start: Date) -> RunProgress {
        lock.lock(); defer { lock.unlock() }
        return RunProgress(done: done, total: total, producedNow: producedNow, passed: passed, failed: failed,
                           permanentlyFailed: permanentlyFailed, elapsed: Date().timeIntervalSince(start))
    }
}
