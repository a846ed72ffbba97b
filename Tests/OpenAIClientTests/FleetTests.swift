import Foundation
import OpenAIClient
import ScalingCore
import Testing

/// Several endpoints for one model: requests spread over healthy ones, a failing one is
/// kept out for its cool-off, and the others take its requests.
struct FleetTests {
    @Test func aFailingEndpointIsCooledOffAndTheOtherTakesItsRequests() async throws {
        try await ClientTestSupport.withServer({ _, _ in .error(503, "overloaded") }) { broken in
            try await ClientTestSupport.withServer({ request, _ in ClientTestSupport.echoSeed(request, choices: 1) }) { healthy in
                // An hour's cool-off: the ten requests must all fall inside it, however loaded the machine
                // (with 30 s, a CI machine at load 20 let the cool-off end mid-test).
                let provider = try ClientTestSupport.provider([broken.baseURL, healthy.baseURL], attempts: 3, concurrency: 1,
                                                              coolOff: 3600)
                for seed in UInt64(1) ... 10 {
                    let completions = try await provider.complete(ClientTestSupport.chatRequest(seeds: [seed]))
                    #expect(completions.map(\.text) == ["seed \(seed), choice 0"])
                }
                // One request found the broken endpoint out; the cool-off kept it out after that.
                #expect(broken.requests.count <= 1)
                #expect(healthy.requests.count == 10)
                let statuses = await provider.endpointStatuses()
                #expect(statuses[0].isCoolingOff == (broken.requests.count == 1))
                #expect(statuses[1].isCoolingOff == false)
                try await provider.shutdown()
            }
        }
    }

    @Test func anUnreachableEndpointFailsOverUnderConcurrentLoad() async throws {
        try await ClientTestSupport.withServer({ request, _ in ClientTestSupport.echoSeed(request, choices: 1) }) { healthy in
            // An hour's cool-off, as above: with the helper's 30 s, a loaded CI machine (the whole suite
            // in parallel) let the cool-off end mid-test and the endpoint was asked again.
            let provider = try ClientTestSupport.provider(["http://127.0.0.1:1/v1", healthy.baseURL], attempts: 3, concurrency: 4,
                                                          coolOff: 3600, seedMode: .perSample)
            let seeds = Array(UInt64(100) ..< 124)
            let completions = try await provider.complete(ClientTestSupport.chatRequest(seeds: seeds))
            #expect(completions.map(\.text) == seeds.map { "seed \($0), choice 0" })
            #expect(completions.allSatisfy { $0.finishReason == .stop })
            let statuses = await provider.endpointStatuses()
            // At most the requests already in flight when the first refusal came back went there.
            #expect(statuses[0].exchanges <= 4)
            #expect(statuses[0].failures == statuses[0].exchanges)
            try await provider.shutdown()
        }
    }

    @Test func loadIsSpreadOverHealthyEndpoints() async throws {
        let slow: FakeOpenAIServer.Handler = { request, _ in
            var reply = ClientTestSupport.echoSeed(request, choices: 1)
            reply.delay = .milliseconds(30)
            return reply
        }
        try await ClientTestSupport.withServer(slow) { first in
            try await ClientTestSupport.withServer(slow) { second in
                let provider = try ClientTestSupport.provider([first.baseURL, second.baseURL], concurrency: 8, seedMode: .perSample)
                let seeds = Array(UInt64(0) ..< 48)
                let completions = try await provider.complete(ClientTestSupport.chatRequest(seeds: seeds))
                #expect(completions.map(\.text) == seeds.map { "seed \($0), choice 0" })
                #expect(first.requests.count + second.requests.count == 48)
                // Least outstanding requests: each endpoint gets about half.
                #expect((16 ... 32).contains(first.requests.count), "first endpoint got \(first.requests.count) of 48")
                try await provider.shutdown()
            }
        }
    }
}
