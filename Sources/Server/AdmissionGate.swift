/// Bounds the requests in flight: `maxConcurrency` run at once, `maxQueue` more wait in
/// arrival order, and any beyond that are turned away at once (429) rather than piling up.
actor AdmissionGate {
    private let maxConcurrency: Int
    private let maxQueue: Int
    private var running = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(maxConcurrency: Int, maxQueue: Int) {
        self.maxConcurrency = max(1, maxConcurrency)
        self.maxQueue = max(0, maxQueue)
    }

    /// Waits for a slot; returns false without waiting when the queue is full.
    func enter() async -> Bool {
        if running < maxConcurrency {
            running += 1
            return true
        }
        guard waiting.count < maxQueue else { return false }
        await withCheckedContinuation { waiting.append($0) }
        return true   // the leaving request handed its slot over
    }

    /// Frees a slot, handing it to the longest waiter if there is one.
    func leave() {
        if waiting.isEmpty {
            running -= 1
        } else {
            waiting.removeFirst().resume()
        }
    }

    /// Requests running and waiting, for `/health`.
    var load: (running: Int, waiting: Int) { (running, waiting.count) }
}
