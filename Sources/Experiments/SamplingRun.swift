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
    /// Requests that failed in this invocation (recorded; a resumed run retries them).
    public var failed: Int
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

    public init(configuration: RunConfiguration, problems: [Problem], samplesPerProblem: Int, template: PromptTemplate,
                samplesPerRequest: Int = 16, concurrentRequests: Int = 1) {
        self.configuration = configuration
        self.problems = problems
        self.samplesPerProblem = samplesPerProblem
        self.template = template
        self.samplesPerRequest = max(1, samplesPerRequest)
        self.concurrentRequests = max(1, concurrentRequests)
    }

    /// Requests to keep in flight so a backend decoding `batchWidth` samples at once
    /// stays full with requests of `samplesPerRequest` samples: enough to fill the
    /// width, plus one more whose prompt prefills while the others decode.
    public static func concurrencyFilling(batchWidth: Int, samplesPerRequest: Int) -> Int {
        let perRequest = max(1, samplesPerRequest)
        return (max(1, batchWidth) + perRequest - 1) / perRequest + 1
    }

    /// The work left: for each problem, the sample indices not yet stored.
    public func missingWork(in store: RunStore) throws -> [(problem: Problem, indices: [Int])] {
        let stored = try store.storedSampleIndices(runID: configuration.id)
        return problems.compactMap { problem in
            let have = stored[problem.id] ?? []
            let missing = (0..<samplesPerProblem).filter { !have.contains($0) }
            return missing.isEmpty ? nil : (problem, missing)
        }
    }

    /// Runs to completion (or until cancelled), storing every sample.
    public func run(store: RunStore, provider: any CompletionProvider, verifier: any Verifier,
                    progress: @escaping @Sendable (RunProgress) -> Void = { _ in }) async throws -> RunOutcome {
        let runID = try store.beginRun(configuration)
        let work = try missingWork(in: store)
        let total = problems.count * samplesPerProblem
        let missingCount = work.reduce(0) { $0 + $1.indices.count }
        let alreadyStored = total - missingCount
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
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func addJob() {
                let (problem, indices) = jobs[next]
                next += 1
                group.addTask {
                    try Task.checkCancellation()
                    let seeds = indices.map { configuration.sampleSeed(problemID: problem.id, index: $0) }
                    var parameters = configuration.sampling
                    parameters.stop = Array(Set(parameters.stop + template.stop)).sorted()
                    let request = CompletionRequest(prompt: template.render(problem), parameters: parameters, seeds: seeds)
                    let completions: [Completion]
                    do {
                        completions = try await provider.complete(request)
                    } catch {
                        for index in indices {
                            try store.recordFailure(runID: runID, problemID: problem.id, sampleIndex: index, error: "\(error)")
                        }
                        counter.fail(indices.count)
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
                        try store.insert(SampleRecord(problemID: problem.id, sampleIndex: index, seed: seeds[offset],
                                                      completion: completion, verdict: verdict), runID: runID)
                        counter.produce(passed: verdict.isCorrect)
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
        return RunOutcome(runID: runID, produced: final.producedNow, alreadyStored: alreadyStored,
                          failed: final.failed, seconds: final.elapsed)
    }
}

/// Counts shared by the run's tasks.
private final class ProgressCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var done: Int
    private var passed: Int
    private var producedNow = 0
    private var failed = 0

    init(done: Int, passed: Int) {
        self.done = done
        self.passed = passed
    }

    func produce(passed ok: Bool) {
        lock.lock(); defer { lock.unlock() }
        done += 1
        producedNow += 1
        if ok { passed += 1 }
    }

    func fail(_ count: Int) {
        lock.lock(); defer { lock.unlock() }
        failed += count
    }

    func snapshot(total: Int, start: Date) -> RunProgress {
        lock.lock(); defer { lock.unlock() }
        return RunProgress(done: done, total: total, producedNow: producedNow, passed: passed, failed: failed,
                           elapsed: Date().timeIntervalSince(start))
    }
}
