import Foundation

/// What the client knows about one server of a model's fleet, for reports and tests.
public struct EndpointStatus: Sendable, Hashable {
    /// The base URL, e.g. `http://gpu1:8000/v1`.
    public var baseURL: String
    /// Requests sent to it and not yet answered.
    public var outstanding: Int
    /// HTTP exchanges started on it, in all.
    public var exchanges: Int
    /// Exchanges that failed with a retryable problem (429, 5xx, timeout, connection).
    public var failures: Int
    /// Whether it returns `n` choices for one request: nil until a request with n > 1 told.
    public var supportsMultipleChoices: Bool?
    /// Whether it is cooling off after a failure (others take its requests meanwhile).
    public var isCoolingOff: Bool
}

/// The servers of one model: picks the one with the fewest outstanding requests, keeps
/// failed ones out for a cool-off, bounds the requests in flight over all of them, and
/// remembers which accept `n` > 1.
///
/// Two ways an endpoint is kept out. A cool-off (after a 5xx, a timeout, a refused
/// connection) only steers traffic: while any other endpoint is healthy the cooling one
/// gets nothing, and when all are cooling the one that failed longest ago is tried again
/// (the retry's own backoff has already waited). A `Retry-After` is a promise to the
/// server: the endpoint is not asked again before it passes, even if requests must wait.
actor EndpointPool {
    private struct Endpoint {
        let baseURL: String
        var outstanding = 0
        var exchanges = 0
        var failures = 0
        var coolOffUntil: ContinuousClock.Instant?
        var notBefore: ContinuousClock.Instant?
        var supportsMultipleChoices: Bool?
    }

    /// A reservation of one request slot on one endpoint; give it back with `release`.
    struct Lease: Sendable {
        let index: Int
        let baseURL: String
        /// What the pool knew when the lease was taken.
        let supportsMultipleChoices: Bool?
    }

    /// Why an exchange failed, as far as the endpoint's health goes.
    enum Failure: Sendable {
        /// A retryable failure: cool off.
        case coolOff
        /// The server asked not to be called for this many seconds.
        case retryAfter(Double)
    }

    private var endpoints: [Endpoint]
    private let maxConcurrentRequests: Int
    private let coolOff: Duration
    private let clock = ContinuousClock()
    private var inFlight = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(baseURLs: [String], maxConcurrentRequests: Int, coolOffSeconds: Double) {
        endpoints = baseURLs.map { Endpoint(baseURL: $0) }
        self.maxConcurrentRequests = maxConcurrentRequests
        coolOff = .milliseconds(Int64((coolOffSeconds * 1000).rounded()))
    }

    /// Waits for a request slot and an endpoint to send it to.
    /// - Parameter preferring: an endpoint to use if it is not held back (the n > 1 probe
    ///   must ask the server that refused).
    func acquire(preferring preferred: Int? = nil) async throws -> Lease {
        while inFlight >= maxConcurrentRequests {
            await withCheckedContinuation { waiters.append($0) }
        }
        inFlight += 1
        do {
            while true {
                try Task.checkCancellation()
                let now = clock.now
                let open = endpoints.indices.filter { endpoints[$0].notBefore.map { $0 <= now } ?? true }
                let healthy = open.filter { endpoints[$0].coolOffUntil.map { $0 <= now } ?? true }
                let chosen: Int?
                if let preferred, open.contains(preferred) {
                    chosen = preferred
                } else if !healthy.isEmpty {
                    // Least outstanding; ties go to the one used least, so load spreads evenly.
                    chosen = healthy.min { (endpoints[$0].outstanding, endpoints[$0].exchanges) < (endpoints[$1].outstanding, endpoints[$1].exchanges) }
                } else {
                    chosen = open.min { endpoints[$0].coolOffUntil! < endpoints[$1].coolOffUntil! }
                }
                if let chosen {
                    endpoints[chosen].outstanding += 1
                    endpoints[chosen].exchanges += 1
                    return Lease(index: chosen, baseURL: endpoints[chosen].baseURL,
                                 supportsMultipleChoices: endpoints[chosen].supportsMultipleChoices)
                }
                // Every endpoint asked for a pause: wait for the first to end.
                let wake = endpoints.compactMap(\.notBefore).min()!
                try await Task.sleep(until: wake, clock: clock)
            }
        } catch {
            releaseSlot()
            throw error
        }
    }

    /// Gives a lease back, with the failure that ended its exchange, if any.
    func release(_ lease: Lease, failure: Failure? = nil) {
        endpoints[lease.index].outstanding -= 1
        switch failure {
        case nil:
            endpoints[lease.index].coolOffUntil = nil
        case .coolOff:
            endpoints[lease.index].failures += 1
            endpoints[lease.index].coolOffUntil = clock.now + coolOff
        case .retryAfter(let seconds):
            endpoints[lease.index].failures += 1
            endpoints[lease.index].notBefore = clock.now + .milliseconds(Int64((seconds * 1000).rounded()))
        }
        releaseSlot()
    }

    private func releaseSlot() {
        inFlight -= 1
        if !waiters.isEmpty { waiters.removeFirst().resume() }
    }

    /// Whether some endpoint other than `index` could take a request now.
    func hasHealthyEndpoint(besides index: Int) -> Bool {
        let now = clock.now
        return endpoints.indices.contains { i in
            i != index && (endpoints[i].notBefore.map { $0 <= now } ?? true) && (endpoints[i].coolOffUntil.map { $0 <= now } ?? true)
        }
    }

    func supportsMultipleChoices(_ index: Int) -> Bool? { endpoints[index].supportsMultipleChoices }

    func setSupportsMultipleChoices(_ index: Int, _ value: Bool?) {
        endpoints[index].supportsMultipleChoices = value
    }

    func statuses() -> [EndpointStatus] {
        let now = clock.now
        return endpoints.map {
            EndpointStatus(baseURL: $0.baseURL, outstanding: $0.outstanding, exchanges: $0.exchanges, failures: $0.failures,
                           supportsMultipleChoices: $0.supportsMultipleChoices,
                           isCoolingOff: ($0.coolOffUntil.map { $0 > now } ?? false) || ($0.notBefore.map { $0 > now } ?? false))
        }
    }
}
