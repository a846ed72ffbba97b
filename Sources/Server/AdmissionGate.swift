/// Bounds the requests in flight: `maxConcurrency` run at once, `maxQueue` more wait in
/// arrival order, and any beyond that are turned away at once (429) rather than piling up.
actor AdmissionGate {
    private let maxConcurrency: Int
    private let maxQueue: Int
    private var running = 0
    /// Waiters in arrival order; each is resumed with true (admitted) or false (cancelled).
    private var waiting: [(id: Int, continuation: CheckedContinuation<Bool, Never>)] = []
    private var nextWaiter = 0

    init(maxConcurrency: Int, maxQueue: Int) {
        self.maxConcurrency = max(1, maxConcurrency)
        self.maxQueue = max(0, maxQueue)
    }

    /// Waits for a slot; returns false without waiting when the queue is full, and false when
    /// the waiting task is cancelled (its client left), giving up its place in the queue.
    func enter() async -> Bool {
        if running < maxConcurrency {
            running += 1
            return true
        }
        guard waiting.count < maxQueue else { return false }
        let id = nextWaiter
        nextWaiter += 1
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                if Task.isCancelled { continuation.resume(returning: false) } else { waiting.append((id, continuation)) }
            }
        } onCancel: {
            Task { await self.cancelWaiter(id) }
        }
        // When admitted, the leaving request handed its slot over.
    }

    private func cancelWaiter(_ id: Int) {
        if let index = waiting.firstIndex(where: { $0.id == id }) {
            waiting.remove(at: index).continuation.resume(returning: false)
        }
    }

    /// Frees a slot, handing it to the longest waiter if there is one.
    func leave() {
        if waiting.isEmpty {
            running -= 1
        } else {
            waiting.removeFirst().continuation.resume(returning: true)
        }
    }

    /// Requests running and waiting, for `/health`.
    var load: (running: Int, waiting: Int) { (running, waiting.count) }
}
