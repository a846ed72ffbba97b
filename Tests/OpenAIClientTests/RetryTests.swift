import Foundation
import OpenAIClient
import ScalingCore
import Testing

/// Retries: what is retried, how long the client waits, and what surfaces when it gives up.
struct RetryTests {
    @Test func rateLimitWaitsForRetryAfter() async throws {
        try await ClientTestSupport.withServer({ request, number in
            number == 0 ? .error(429, "Rate limit reached", headers: [("Retry-After", "1")]) : ClientTestSupport.echoSeed(request, choices: 1)
        }) { server in
            let provider = try ClientTestSupport.provider([server.baseURL])
            let completions = try await provider.complete(ClientTestSupport.chatRequest(seeds: [3]))
            #expect(completions.map(\.text) == ["seed 3, choice 0"])
            let requests = server.requests
            #expect(requests.count == 2)
            // The backoff alone would retry within 10 ms; Retry-After: 1 holds it for a second.
            let waited = (requests[1].receivedAt - requests[0].receivedAt)
            #expect(waited >= .milliseconds(950), "retried after \(waited), before the server's Retry-After of 1 s")
            try await provider.shutdown()
        }
    }

    @Test func retryAfterHeaderForms() {
        // 2015-10-21T07:28:00Z is Unix time 1445412480 (Python: calendar.timegm((2015, 10, 21, 7, 28, 0))).
        let now = Date(timeIntervalSince1970: 1_445_412_450)
        #expect(RetryAfter.seconds(fromHeader: "Wed, 21 Oct 2015 07:28:00 GMT", now: now) == 30)
        #expect(RetryAfter.seconds(fromHeader: "Wednesday, 21-Oct-15 07:28:00 GMT", now: now) == 30)
        #expect(RetryAfter.seconds(fromHeader: "Wed Oct 21 07:28:00 2015", now: now) == 30)
        #expect(RetryAfter.seconds(fromHeader: "120", now: now) == 120)
        #expect(RetryAfter.seconds(fromHeader: "Wed, 21 Oct 2015 07:27:00 GMT", now: now) == 0, "a date in the past means now")
        #expect(RetryAfter.seconds(fromHeader: "soon", now: now) == nil)
        #expect(RetryAfter.seconds(fromHeader: "-5", now: now) == nil)
        #expect(RetryAfter.seconds(fromHeader: nil, now: now) == nil)
    }

    @Test func backoffIsFullJitterUnderADoublingCeiling() {
        let policy = RetryPolicy(maxAttempts: 10, baseDelay: 0.5, maxDelay: 30)
        #expect((1 ... 8).map { policy.backoffCeiling(retry: $0) } == [0.5, 1, 2, 4, 8, 16, 30, 30])
        #expect(policy.backoff(retry: 3, random: 0) == 0)
        #expect(policy.backoff(retry: 3, random: 0.5) == 1)
        #expect((0 ..< 200).allSatisfy { _ in (0 ..< 2.0).contains(policy.backoff(retry: 3)) })
    }

    @Test func serverErrorsAreRetriedUntilSuccess() async throws {
        try await ClientTestSupport.withServer({ request, number in
            switch number {
            case 0: .error(503, "model is loading")
            case 1: .error(500, "internal error")
            default: ClientTestSupport.echoSeed(request, choices: 1)
            }
        }) { server in
            let provider = try ClientTestSupport.provider([server.baseURL], attempts: 4)
            let completions = try await provider.complete(ClientTestSupport.chatRequest(seeds: [9]))
            #expect(completions.map(\.text) == ["seed 9, choice 0"])
            #expect(server.requests.count == 3)
            #expect(Set(server.requests.map(\.seed)) == [9], "a retry repeats the same request")
            try await provider.shutdown()
        }
    }

    @Test func retriesStopAtMaxAttemptsWithTheLastFailure() async throws {
        try await ClientTestSupport.withServer({ _, _ in .error(502, "bad gateway from the proxy") }) { server in
            let provider = try ClientTestSupport.provider([server.baseURL], attempts: 3)
            await #expect {
                _ = try await provider.complete(ClientTestSupport.chatRequest(seeds: [1]))
            } throws: { error in
                guard case OpenAIClientError.gaveUp(3, _, let failure) = error else { return false }
                return failure.contains("502") && failure.contains("bad gateway from the proxy")
            }
            #expect(server.requests.count == 3)
            try await provider.shutdown()
        }
    }

    @Test func clientErrorsFailAtOnceWithTheServersMessage() async throws {
        try await ClientTestSupport.withServer({ _, _ in .error(404, "The model `fake-model` does not exist.") }) { server in
            let provider = try ClientTestSupport.provider([server.baseURL], attempts: 5)
            await #expect {
                _ = try await provider.complete(ClientTestSupport.chatRequest(seeds: [1]))
            } throws: { error in
                guard case OpenAIClientError.rejected(_, 404, let message) = error else { return false }
                return message == "The model `fake-model` does not exist." && "\(error)".contains("--model")
            }
            #expect(server.requests.count == 1)
            try await provider.shutdown()
        }
    }

    /// The first reply is held until the retry has arrived, so only the client's timeout can
    /// end the first attempt: the outcome depends on the order of events, not the machine's load.
    @Test func timeoutsAreRetried() async throws {
        try await ClientTestSupport.withServer({ request, number in
            guard number == 0 else { return ClientTestSupport.echoSeed(request, choices: 1) }
            var late = FakeResponses.chat(["the first attempt's reply, too late"])
            late.heldUntilRequests = 2
            return late
        }) { server in
            let provider = try ClientTestSupport.provider([server.baseURL], attempts: 3, timeout: 0.5)
            let completions = try await provider.complete(ClientTestSupport.chatRequest(seeds: [4]))
            #expect(completions.map(\.text) == ["seed 4, choice 0"], "the answer is the retry's")
            #expect(server.requests.count == 2)
            #expect(server.requests.map(\.seed) == [4, 4], "a retry repeats the same request")
            try await provider.shutdown()
        }
    }

    /// --request-timeout is a deadline for the whole request: a response whose head arrives
    /// but whose body stalls is timed out and retried (the client library's own deadline
    /// stops at the head). The stalled body is released only once the retry has arrived.
    @Test func aStalledBodyIsTimedOutAndRetried() async throws {
        try await ClientTestSupport.withServer({ request, number in
            guard number == 0 else { return ClientTestSupport.echoSeed(request, choices: 1) }
            var stalled = FakeResponses.chat(["the stalled body"])
            stalled.bodyHeldUntilRequests = 2
            return stalled
        }) { server in
            let provider = try ClientTestSupport.provider([server.baseURL], attempts: 3, timeout: 0.5)
            let completions = try await provider.complete(ClientTestSupport.chatRequest(seeds: [6]))
            #expect(completions.map(\.text) == ["seed 6, choice 0"], "the answer is the retry's")
            #expect(server.requests.count == 2)
            try await provider.shutdown()
        }
    }

    /// A stream that starts and then stalls ends at the deadline with an error naming the
    /// timeout, and is not sent again (its first events may have been shown).
    @Test func aStalledStreamEndsAtTheDeadline() async throws {
        try await ClientTestSupport.withServer({ _, _ in
            var stalled = FakeOpenAIServer.Reply(status: 200, headers: [("Content-Type", "text/event-stream")],
                                                 body: Data("data: [DONE]\n\n".utf8))
            stalled.bodyHeldUntilRequests = 2
            return stalled
        }) { server in
            let provider = try ClientTestSupport.provider([server.baseURL], attempts: 3, timeout: 0.5)
            await #expect {
                _ = try await provider.complete(ClientTestSupport.chatRequest(seeds: [2])) { _ in }
            } throws: { error in
                "\(error)".contains("did not end within the request timeout")
            }
            #expect(server.requests.count == 1)
            try await provider.shutdown()
        }
    }

    @Test func refusedConnectionsAreRetriedThenReported() async throws {
        // Port 1 on loopback: nothing listens, the connection is refused.
        let provider = try ClientTestSupport.provider(["http://127.0.0.1:1/v1"], attempts: 2)
        await #expect {
            _ = try await provider.complete(ClientTestSupport.chatRequest(seeds: [1]))
        } throws: { error in
            guard case OpenAIClientError.gaveUp(2, "http://127.0.0.1:1/v1", _) = error else { return false }
            return true
        }
        try await provider.shutdown()
    }
}
