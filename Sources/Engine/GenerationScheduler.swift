import Foundation
import Models
import Tokenizers

/// One engine shared by many concurrent callers, with continuous batching across
/// their requests: a dedicated engine thread runs one forward pass after another, each
/// over every live sample's next token plus prompt chunks of newly admitted requests.
/// Samples that finish leave the batch; waiting requests join as decode rows and KV
/// pages free up; each caller gets its request's samples when its last sample ends.
///
/// A sample's tokens (and log-probabilities) depend only on its prompt, parameters
/// and seed — never on what else shares the batch — so results equal those of
/// `InferenceEngine.generate` for the same request.
///
/// ```swift
/// let scheduler = try GenerationScheduler(path: modelPath, threadCount: 2, maxSamples: 64)
/// async let a = scheduler.generate(GenerationRequest(promptTokens: p1, parameters: options, seeds: [1, 2, 3]))
/// async let b = scheduler.generate(GenerationRequest(promptTokens: p2, parameters: options, seeds: [4]))
/// let (first, second) = try await (a, b)   // decoded together
/// ```
///
/// Why a thread and not a task: a step is tens of milliseconds of synchronous CPU work
/// (the engine's worker pool runs beside it), which must not occupy a thread of Swift's
/// cooperative pool. Concurrency safety: the engine (model resources, KV cache, scratch,
/// the batch) is created on the engine thread and touched only there; callers and the
/// engine thread share only `SchedulerQueue`, whose every field is read and written under
/// its lock; results go back through `CheckedContinuation`s, which are `Sendable`.
public final class GenerationScheduler: Sendable {
    public let model: LlamaModel
    public let tokenizer: Tokenizer?
    /// Samples decoding at once over all requests; also the most one request may ask for.
    public let maxSamples: Int
    /// Requests that may wait for admission; more fail with `EngineError.queueFull`.
    public let maxQueuedRequests: Int
    private let queue: SchedulerQueue

    /// Starts the engine thread.
    ///
    /// - Parameters:
    ///   - threadCount: engine worker threads (the engine thread included); default all processors.
    ///   - maxSamples: the decode batch width: samples decoding at once over all requests.
    ///   - maxTotalPositions: KV-cache positions over all sequences (a shared prompt counts once).
    ///   - maxQueuedRequests: requests that may wait for room at once.
    public init(model: LlamaModel, tokenizer: Tokenizer?, threadCount: Int? = nil, maxSamples: Int = 64,
                maxTotalPositions: Int = 1 << 16, maxQueuedRequests: Int = 1024) {
        precondition(maxSamples >= 1 && maxQueuedRequests >= 1)
        self.model = model
        self.tokenizer = tokenizer
        self.maxSamples = maxSamples
        self.maxQueuedRequests = maxQueuedRequests
        let queue = SchedulerQueue()
        self.queue = queue
        // The thread holds the queue, never the scheduler: when the last caller lets go of
        // the scheduler, `deinit` stops the thread, which frees the engine.
        let thread = Thread {
            let engine = InferenceEngine(model: model, tokenizer: tokenizer, threadCount: threadCount, maxSamples: maxSamples,
                                         maxTotalPositions: maxTotalPositions, maxPrefillingRequests: 8)
            queue.runEngineLoop(batch: engine.batch)
        }
        thread.name = "quorum-engine"
        thread.start()
    }

    /// Loads model and tokenizer from one GGUF file and starts the engine thread.
    public convenience init(path: String, threadCount: Int? = nil, maxSamples: Int = 64,
                            maxQueuedRequests: Int = 1024) throws(EngineError) {
        try ThreadCount.validate(threadCount)
        let (model, tokenizer) = try InferenceEngine.load(path: path)
        self.init(model: model, tokenizer: tokenizer, threadCount: threadCount, maxSamples: maxSamples,
                  maxQueuedRequests: maxQueuedRequests)
    }

    deinit {
        queue.stop()
    }

    /// Generates `request.seeds.count` samples, decoded together with whatever else
    /// the engine is running; returns when the request's last sample has finished.
    ///
    /// - Parameter onEvent: called after each token of each sample, on the engine
    ///   thread, between two steps: keep it short (yield to an `AsyncStream`, say).
    /// - Throws: `EngineError` for an invalid request (checked before it queues),
    ///   `.queueFull` when `maxQueuedRequests` wait already, `.cancelled` when the
    ///   calling task is cancelled (its samples leave the batch at the next step),
    ///   `.model` when a forward pass fails.
    public func generate(_ request: GenerationRequest,
                         onEvent: (@Sendable (GenerationEvent) -> Void)? = nil) async throws(EngineError) -> GenerationOutput {
        try request.validate(for: model.configuration, maxSamples: maxSamples)
        let id = queue.newRequestID()
        let submitted = ContinuousClock.now
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<GenerationOutput, EngineError>, Never>) in
                queue.enqueue(QueuedRequest(id: id, request: request, onEvent: onEvent, submitted: submitted,
                                            continuation: continuation), limit: maxQueuedRequests)
            }
        } onCancel: {
            queue.cancel(id: id)
        }
        return try result.get()
    }

    /// Counts since the scheduler started, for benchmarks and progress displays.
    public var statistics: SchedulerStatistics { queue.statistics }
}

/// What the engine thread has done so far.
public struct SchedulerStatistics: Sendable, Equatable {
    /// Forward passes run.
    public var steps = 0
    /// Rows over all forward passes (decode rows plus prompt rows).
    public var rows = 0
    /// Decode rows (one generated token each) over all forward passes.
    public var decodeRows = 0
    /// Seconds the engine thread spent in steps.
    public var busySeconds = 0.0
    /// Requests waiting for admission now.
    public var queued = 0
    /// Requests in the batch now (admitted, not yet answered): what holds decode rows and KV pages.
    public var running = 0
    /// Requests whose callers cancelled them, since the scheduler started (each left the
    /// queue, or the batch at its next step, without running to its end).
    public var cancelledRequests = 0

    /// Average decode rows per step: how full the decode batch was kept.
    public var meanDecodeRows: Double { steps > 0 ? Double(decodeRows) / Double(steps) : 0 }
}

/// A request between `generate` and its admission.
private struct QueuedRequest: Sendable {
    let id: Int
    let request: GenerationRequest
    let onEvent: (@Sendable (GenerationEvent) -> Void)?
    let submitted: ContinuousClock.Instant
    let continuation: CheckedContinuation<Result<GenerationOutput, EngineError>, Never>
}

/// What callers and the engine thread share, all under one lock (`condition`).
///
/// `@unchecked Sendable`: every stored property is accessed only while `condition` is
/// locked; the batch, the continuations of admitted requests and their queue times are
/// locals of `runEngineLoop`, on the engine thread.
private final class SchedulerQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending: [QueuedRequest] = []
    /// Ids handed out and not yet answered (queued, admitted, or about to enqueue).
    private var open: Set<Int> = []
    /// Ids the engine thread has taken from `pending` and not answered yet.
    private var admitted: Set<Int> = []
    /// Cancelled ids the engine thread must remove from the batch.
    private var cancelled: Set<Int> = []
    /// Cancelled before `enqueue` ran: answered as cancelled on arrival.
    private var cancelledEarly: Set<Int> = []
    private var nextID = 0
    private var stopping = false
    private var counts = SchedulerStatistics()

    func newRequestID() -> Int {
        condition.withLock {
            nextID += 1
            open.insert(nextID)
            return nextID
        }
    }

    var statistics: SchedulerStatistics {
        condition.withLock {
            var copy = counts
            copy.queued = pending.count
            copy.running = admitted.count
            return copy
        }
    }

    func enqueue(_ request: QueuedRequest, limit: Int) {
        let refusal: EngineError? = condition.withLock {
            if cancelledEarly.remove(request.id) != nil {
                open.remove(request.id)
                return .cancelled
            }
            guard pending.count < limit else {
                open.remove(request.id)
                return .queueFull(limit: limit)
            }
            pending.append(request)
            condition.signal()
            return nil
        }
        if let refusal { request.continuation.resume(returning: .failure(refusal)) }
    }

    /// From the cancelled task's cancellation handler (any thread).
    func cancel(id: Int) {
        let waiting: QueuedRequest? = condition.withLock {
            guard open.contains(id) else { return nil }   // already answered
            counts.cancelledRequests += 1
            if let index = pending.firstIndex(where: { $0.id == id }) {
                open.remove(id)
                return pending.remove(at: index)
            }
            if admitted.contains(id) {
                cancelled.insert(id)
                condition.signal()
            } else {
                cancelledEarly.insert(id)
            }
            return nil
        }
        waiting?.continuation.resume(returning: .failure(.cancelled))
    }

    func stop() {
        condition.withLock {
            stopping = true
            condition.signal()
        }
    }

    /// The engine thread's body: admit, step, answer, until stopped and idle.
    func runEngineLoop(batch: GenerationBatch) {
        var continuations: [Int: CheckedContinuation<Result<GenerationOutput, EngineError>, Never>] = [:]
        let clock = ContinuousClock()
        var queueSeconds: [Int: Double] = [:]
        while true {
            var removed: [Int] = []
            var admittedNow: [(QueuedRequest, queueSeconds: Double)] = []
            condition.lock()
            while pending.isEmpty && cancelled.isEmpty && batch.isIdle && !stopping {
                condition.wait()
            }
            if stopping && pending.isEmpty && batch.isIdle {
                condition.unlock()
                return
            }
            removed = Array(cancelled)
            cancelled.removeAll()
            for id in removed {
                admitted.remove(id)
                open.remove(id)
            }
            for id in removed { batch.remove(id: id) }
            let now = clock.now
            while let head = pending.first, batch.canAdmit(head.request) {
                pending.removeFirst()
                admitted.insert(head.id)
                batch.admit(head.request, id: head.id, onEvent: head.onEvent)
                admittedNow.append((head, (now - head.submitted).inSeconds))
            }
            condition.unlock()

            for id in removed {
                continuations.removeValue(forKey: id)?.resume(returning: .failure(.cancelled))
            }
            for (queued, wait) in admittedNow {
                continuations[queued.id] = queued.continuation
                queueSeconds[queued.id] = wait
            }
            let start = clock.now
            let before = batch.counters
            let finished = batch.step()
            let stepSeconds = (clock.now - start).inSeconds
            condition.withLock {
                if batch.counters.rows > before.rows {
                    counts.steps += 1
                    counts.rows += batch.counters.rows - before.rows
                    counts.decodeRows += batch.counters.decodeRows - before.decodeRows
                    counts.busySeconds += stepSeconds
                }
                // Answered ids leave `open` before their continuation resumes, so a late
                // cancellation finds nothing to do.
                for (id, _) in finished {
                    admitted.remove(id)
                    open.remove(id)
                }
            }
            for (id, result) in finished {
                let wait = queueSeconds.removeValue(forKey: id) ?? 0
                continuations.removeValue(forKey: id)?.resume(returning: result.map { output in
                    var timings = output.timings
                    timings.queueSeconds = wait
                    return GenerationOutput(samples: output.samples, promptTokenCount: output.promptTokenCount, timings: timings)
                })
            }
        }
    }
}
