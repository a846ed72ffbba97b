import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Sends JSON requests to a fleet of OpenAI-compatible endpoints: picks an endpoint,
/// bounds the requests in flight, retries what is worth retrying and fails over.
///
/// The `n` > 1 bookkeeping lives here too, because it is a property of an endpoint: a
/// request asking for several choices is sent with `n = 1` to an endpoint known not to
/// support them, and an endpoint that refuses `n > 1` with a 4xx is asked once more
/// with `n = 1`: if that succeeds, the endpoint is remembered as single-choice.
final class OpenAITransport: Sendable {
    /// One answered exchange.
    struct Response: Sendable {
        /// Which endpoint answered (for errors and `n` bookkeeping).
        var endpointIndex: Int
        var baseURL: String
        /// The `n` actually sent (1 on a single-choice endpoint).
        var sentChoices: Int
        var body: Data
    }

    private let client: HTTPClient
    private let pool: EndpointPool
    private let retry: RetryPolicy
    private let apiKey: OpenAIAPIKey?
    private let requestTimeout: Double
    /// Largest response body accepted, bytes.
    private let maxResponseBytes = 64 << 20

    init(baseURLs: [String], apiKey: OpenAIAPIKey?, retry: RetryPolicy, maxConcurrentRequests: Int,
         requestTimeout: Double, coolOffSeconds: Double) {
        var configuration = HTTPClient.Configuration()
        // One connection per request in flight, so the bound is ours, not the pool's default of 8.
        configuration.connectionPool = .init(idleTimeout: .seconds(60),
                                             concurrentHTTP1ConnectionsPerHostSoftLimit: maxConcurrentRequests)
        configuration.timeout.connect = .seconds(10)
        // A refused connection comes back at once: our retry loop fails over to another
        // endpoint, instead of the pool retrying a dead one until the connect timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.redirectConfiguration = .disallow
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        pool = EndpointPool(baseURLs: baseURLs, maxConcurrentRequests: maxConcurrentRequests, coolOffSeconds: coolOffSeconds)
        self.retry = retry
        self.apiKey = apiKey
        self.requestTimeout = requestTimeout
    }

    deinit {
        // The owner may not have called `shutdown()`; let the client close its connections.
        client.shutdown(queue: .global()) { _ in }
    }

    func shutdown() async throws {
        try await client.shutdown()
    }

    func statuses() async -> [EndpointStatus] { await pool.statuses() }

    /// Records what a response with `sentChoices > 1` showed about its endpoint.
    func noteChoices(returned: Int, in response: Response) async {
        await noteChoices(returned: returned, sent: response.sentChoices, endpointIndex: response.endpointIndex)
    }

    func noteChoices(returned: Int, sent: Int, endpointIndex: Int) async {
        guard sent > 1 else { return }
        await pool.setSupportsMultipleChoices(endpointIndex, returned >= sent)
    }

    /// POSTs `payload(n)` to `path` under some endpoint's base URL until it succeeds, a
    /// non-retryable status comes back, or the attempts run out.
    /// - Parameters:
    ///   - choices: the `n` wanted; endpoints known to be single-choice get 1.
    ///   - payload: the JSON body for a given `n`.
    func post(path: String, choices: Int, payload: @Sendable (Int) throws -> Data) async throws -> Response {
        let maxResponseBytes = maxResponseBytes
        return try await send(path: path, choices: choices, accept: "application/json", payload: payload) { response, lease, sentChoices in
            let buffer = try await response.body.collect(upTo: maxResponseBytes)
            return Response(endpointIndex: lease.index, baseURL: lease.baseURL, sentChoices: sentChoices, body: Data(buffer.readableBytesView))
        }
    }

    /// Like `post`, for a streamed (`stream: true`) request: once a 2xx head arrives, hands
    /// each `data:` payload of the server-sent-event body to `onEvent` as it comes, until
    /// `data: [DONE]` or the end of the body (`StreamedResponse.sawDone` tells which).
    ///
    /// Retries and failover happen only before the body starts: a stream that breaks off
    /// after some events (whose text the caller may have shown) fails with
    /// `.invalidResponse` instead of being sent again.
    func postStreaming(path: String, choices: Int, payload: @Sendable (Int) throws -> Data,
                       onEvent: @escaping @Sendable (String) throws -> Void) async throws -> StreamedResponse {
        let timeout = requestTimeout
        return try await send(path: path, choices: choices, accept: "text/event-stream", payload: payload, deadlineError: { lease in
            // Events may have been shown already: the stream fails rather than being sent again.
            OpenAIClientError.invalidResponse(endpoint: lease.baseURL,
                                              detail: "the event stream did not end within the request timeout (\(timeout) s, --request-timeout)")
        }) { response, lease, sentChoices in
            var parser = ServerSentEventParser()
            var sawDone = false
            do {
                reading: for try await buffer in response.body {
                    for data in try parser.feed(buffer.readableBytesView) {
                        if data == "[DONE]" {
                            sawDone = true
                            break reading
                        }
                        try onEvent(data)
                    }
                }
                if !sawDone {
                    for data in try parser.finish() where data != "[DONE]" { try onEvent(data) }
                }
            } catch let error as OpenAIClientError {
                throw error
            } catch let error as ServerSentEventParser.Malformed {
                throw OpenAIClientError.invalidResponse(endpoint: lease.baseURL, detail: error.description)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                throw OpenAIClientError.invalidResponse(endpoint: lease.baseURL,
                                                        detail: "the event stream broke off: \(Self.describe(error))")
            }
            return StreamedResponse(endpointIndex: lease.index, baseURL: lease.baseURL, sentChoices: sentChoices, sawDone: sawDone)
        }
    }

    /// A streamed exchange that has ended.
    struct StreamedResponse: Sendable {
        var endpointIndex: Int
        var baseURL: String
        var sentChoices: Int
        /// The stream ended with `data: [DONE]` (not just with the end of the body).
        var sawDone: Bool
    }

    /// The retry loop both kinds of request share; `success` reads a 2xx response's body.
    /// An `OpenAIClientError` from `success` ends the request; any other error is the
    /// endpoint's fault and is retried.
    private func send<T: Sendable>(path: String, choices: Int, accept: String, payload: @Sendable (Int) throws -> Data,
                                   deadlineError: @escaping @Sendable (EndpointPool.Lease) -> any Error = { _ in HTTPClientError.deadlineExceeded },
                                   success: @escaping @Sendable (HTTPClientResponse, EndpointPool.Lease, Int) async throws -> T) async throws -> T {
        var attempt = 0
        var probing: Int?   // an endpoint that refused n > 1, being asked again with n = 1
        while true {
            if probing == nil { attempt += 1 }
            let lease = try await pool.acquire(preferring: probing)
            let sentChoices = choices > 1 && lease.supportsMultipleChoices != false ? choices : 1
            let url = lease.baseURL + path
            let requestBody: Data
            do { requestBody = try payload(sentChoices) } catch {
                await pool.release(lease)
                throw error
            }
            let failure: String
            do {
                // --request-timeout bounds the whole attempt: the client library's own deadline
                // stops at the response head, so reading the body runs under the rest of it.
                let deadline = ContinuousClock.now + .milliseconds(Int64(requestTimeout * 1000))
                let response = try await exchange(url: url, body: requestBody, accept: accept)
                let status = Int(response.status.code)
                if (200 ..< 300).contains(status) {
                    let result: T
                    do {
                        result = try await Self.withDeadline(deadline, error: deadlineError(lease)) { try await success(response, lease, sentChoices) }
                    } catch let error as OpenAIClientError {
                        await pool.release(lease)
                        throw error
                    }   // other errors reach the catches below, which release the lease
                    await pool.release(lease)
                    return result
                }
                let body = Data((try await response.body.collect(upTo: maxResponseBytes)).readableBytesView)
                let message = redacted(Self.errorMessage(body))
                guard RetryPolicy.isRetryable(status: status) else {
                    await pool.release(lease)
                    if sentChoices > 1 && lease.supportsMultipleChoices == nil && ![401, 403, 404].contains(status) {
                        // Maybe it is n the server refuses (llama.cpp's server, Ollama): ask once with n = 1.
                        await pool.setSupportsMultipleChoices(lease.index, false)
                        probing = lease.index
                        continue
                    }
                    if let probing {
                        // n = 1 was refused too: n was not the problem.
                        await pool.setSupportsMultipleChoices(probing, nil)
                    }
                    throw OpenAIClientError.rejected(endpoint: lease.baseURL, status: status, message: message)
                }
                let retryAfter = RetryAfter.seconds(fromHeader: response.headers.first(name: "Retry-After")).map { min($0, retry.maxRetryAfter) }
                await pool.release(lease, failure: retryAfter.map { .retryAfter($0) } ?? .coolOff)
                failure = "HTTP \(status): \(message)" + (retryAfter.map { " (Retry-After \($0) s)" } ?? "")
            } catch let error as OpenAIClientError {
                throw error
            } catch is CancellationError {
                await pool.release(lease)
                throw CancellationError()
            } catch {
                // Connection refused or reset, timeouts: the endpoint's fault, worth a retry.
                await pool.release(lease, failure: .coolOff)
                failure = Self.describe(error)
            }
            if probing != nil {
                probing = nil   // the probe failed retryably; the retry decides afresh
            }
            guard attempt < retry.maxAttempts else {
                throw OpenAIClientError.gaveUp(attempts: attempt, lastEndpoint: lease.baseURL, lastFailure: failure)
            }
            // Fail over at once when another endpoint is healthy; otherwise back off.
            if !(await pool.hasHealthyEndpoint(besides: lease.index)) {
                try await Task.sleep(for: .milliseconds(Int64(retry.backoff(retry: attempt) * 1000)))
            }
        }
    }

    /// Runs `operation`, or throws `error` once `deadline` passes (cancelling it): a timer
    /// child task races the operation, and whichever ends first decides. A cancelled caller
    /// gets `CancellationError`.
    static func withDeadline<T: Sendable>(_ deadline: ContinuousClock.Instant, error timeoutError: any Error,
                                          _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                try await Task.sleep(until: deadline, clock: .continuous)
                return nil
            }
            defer { group.cancelAll() }
            do {
                guard let first = try await group.next(), let value = first else { throw timeoutError }
                return value
            } catch {
                if Task.isCancelled { throw CancellationError() }
                // The operation may fail because the deadline cancelled it: the deadline is the cause.
                if ContinuousClock.now >= deadline { throw timeoutError }
                throw error
            }
        }
    }

    /// Sends one request and returns once the response head is in (the body is the caller's to read).
    private func exchange(url: String, body: Data, accept: String) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: accept)
        if let apiKey { request.headers.add(name: "Authorization", value: "Bearer \(apiKey.value)") }
        request.body = .bytes(ByteBuffer(bytes: body))
        return try await client.execute(request, timeout: .milliseconds(Int64(requestTimeout * 1000)))
    }

    /// `message` with the API key taken out, for a server message that echoes it.
    func redacted(_ message: String) -> String {
        apiKey.map { $0.redacting(message) } ?? message
    }

    /// The message of an OpenAI error body (`{"error": {"message": ...}}`), or the body's
    /// first 500 characters when it has another shape.
    static func errorMessage(_ body: Data) -> String {
        if let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] {
            if let error = object["error"] as? [String: Any], let message = error["message"] as? String { return message }
            if let message = object["error"] as? String { return message }      // Ollama, llama-cpp-python
            if let message = object["message"] as? String { return message }
            if let detail = object["detail"] { return "\(detail)" }             // FastAPI validation errors
        }
        let text = String(decoding: body.prefix(500), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "(empty body)" : text
    }

    private static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout: return "the request timed out (--request-timeout)"
            case .connectTimeout: return "connecting timed out"
            case .remoteConnectionClosed: return "the server closed the connection"
            default: return "HTTP client error: \(error)"
            }
        }
        return "connection failed: \(error)"
    }
}
