import Foundation
import RunStore
import ScalingCore

/// Numbers a strategy evaluation's calls, records new ones in the run store and replays
/// stored ones, so a resumed evaluation never pays for a call twice.
///
/// One recorder serves one strategy answer (a strategy, a problem, a budget k, a draw); the
/// providers of that answer share it, so calls are numbered in the strategy's call order
/// (which is deterministic: strategies call their providers one after another).
final class CallRecorder: @unchecked Sendable {
    let store: RunStore
    let runID: String
    let strategy: String
    let problemID: String
    let budget: Int
    let draw: Int
    /// Calls already stored for this strategy on the run, by key.
    private let stored: [StrategyCallKey: StrategyCallRecord]
    private let lock = NSLock()
    private var nextIndex = 0
    private var totalSeconds = 0.0
    private var fresh = 0
    private var replays = 0

    init(store: RunStore, runID: String, strategy: String, problemID: String, budget: Int, draw: Int,
         stored: [StrategyCallKey: StrategyCallRecord]) {
        self.store = store
        self.runID = runID
        self.strategy = strategy
        self.problemID = problemID
        self.budget = budget
        self.draw = draw
        self.stored = stored
    }

    /// Wall time of every call this answer made or replayed (replays count their original time), seconds.
    var seconds: Double { lock.withLock { totalSeconds } }
    /// Calls made now, and calls replayed from the store.
    var counts: (new: Int, replayed: Int) { lock.withLock { (fresh, replays) } }

    /// The next call: replayed when stored under this key with the same request, else made and stored.
    func call(_ provider: any CompletionProvider, _ request: CompletionRequest) async throws -> [Completion] {
        let index: Int = lock.withLock { defer { nextIndex += 1 }; return nextIndex }
        let key = StrategyCallKey(strategy: strategy, problemID: problemID, budget: budget, draw: draw, callIndex: index)
        let hash = Self.requestHash(model: provider.modelName, request)
        if let record = stored[key] {
            guard record.requestSHA256 == hash else {
                throw ExperimentError.invalidArgument("""
                    Run \(runID) stores call \(index) of \(strategy) on problem \(problemID) (k = \(budget), draw \(draw)) for a \
                    different request (\(record.model)); the strategy's settings or the prompt changed. Evaluate it on a new run, \
                    or give it other parameters.
                    """)
            }
            lock.withLock { totalSeconds += record.seconds; replays += 1 }
            return record.completions
        }
        let start = ContinuousClock.now
        let completions = try await provider.complete(request)
        let elapsed = ContinuousClock.now - start
        let seconds = elapsed.inSeconds
        // Failed samples are returned but not stored, so a resumed evaluation retries them.
        if !completions.contains(where: { $0.finishReason == .error }) {
            try store.insertStrategyCall(StrategyCallRecord(key: key, requestSHA256: hash, model: provider.modelName,
                                                            completions: completions, seconds: seconds), runID: runID)
        }
        lock.withLock { totalSeconds += seconds; fresh += 1 }
        return completions
    }

    /// SHA-256 of the model name and the request (prompt, parameters, seeds) as sorted-key JSON.
    static func requestHash(model: String, _ request: CompletionRequest) -> String {
        struct Key: Encodable {
            var model: String
            var prompt: ProblemPrompt
            var parameters: SamplingParameters
            var seeds: [UInt64]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(Key(model: model, prompt: request.prompt, parameters: request.parameters, seeds: request.seeds))) ?? Data()
        var hasher = SHA256()
        hasher.update(Array(data))
        return hasher.finalizeHex()
    }
}

/// A provider for one strategy answer over a run: proposal calls (`CallRole.proposal`, the
/// problem's own prompt) are served from the stored samples given (the k-subset the answer
/// is evaluated on), in order; every other call (aggregation, judging) goes to the model
/// through the recorder.
///
/// This is how the online strategy code runs unchanged over a run: Self-MoA's proposal call
/// takes k stored samples, its aggregator call is a new, recorded call.
final class EvaluationProvider: CompletionProvider, @unchecked Sendable {
    let modelName: String
    private let base: any CompletionProvider
    private let recorder: CallRecorder
    private let lock = NSLock()
    private var queue: [Completion]

    init(base: any CompletionProvider, recorder: CallRecorder, storedSamples: [Completion]) {
        modelName = base.modelName
        self.base = base
        self.recorder = recorder
        queue = storedSamples
    }

    func complete(_ request: CompletionRequest) async throws -> [Completion] {
        if request.role == .proposal {
            let served: [Completion]? = lock.withLock {
                guard queue.count >= request.seeds.count else { return nil }
                defer { queue.removeFirst(request.seeds.count) }
                return Array(queue.prefix(request.seeds.count))
            }
            if let served { return served }
        }
        return try await recorder.call(base, request)
    }
}
