import Engine
import Foundation
import Models
import ScalingCore
import Synchronization
import Testing
import TestSupport
import Tokenizers

/// Continuous batching across prompts (issue 4): requests that share the engine's decode
/// steps, join while others run and leave when done must give every sample exactly what
/// it gets alone — the same tokens and the same log-probabilities — since a sample
/// depends only on its prompt, parameters and seed.
struct GenerationSchedulerTests {
    /// Several chat prompts of different lengths (one longer than a prefill chunk, so it
    /// prefills over several steps beside other requests' decode rows) and settings.
    static func requests(tokenizer: Tokenizer) -> [GenerationRequest] {
        func chat(_ text: String) -> [Int] {
            tokenizer.encode(tokenizer.renderChat([ScalingCore.ChatMessage(role: "user", content: text)]).text)
        }
        let story = String(repeating: "A farmer sells eggs at the market every morning and counts the coins twice. ", count: 14)
        let sampled = GenerationOptions(temperature: 0.9, topP: 0.95, maxTokens: 20, topLogprobs: 2)
        return [
            GenerationRequest(promptTokens: chat("Name a colour."), parameters: sampled, seeds: [1, 2, 3], reportLogprobs: true),
            GenerationRequest(promptTokens: chat(story + "How many coins?"), parameters: sampled, seeds: [40, 41, 42, 43],
                              reportLogprobs: true),
            GenerationRequest(promptTokens: chat("What is 7 times 8?"),
                              parameters: GenerationOptions(temperature: 0, maxTokens: 16, stopStrings: ["."]), seeds: [9],
                              reportLogprobs: true),
            GenerationRequest(promptTokens: chat("Write a haiku about rain."),
                              parameters: GenerationOptions(temperature: 1.1, topK: 40, repetitionPenalty: 1.1, maxTokens: 24),
                              seeds: [5, 6, 7, 8, 9], reportLogprobs: true),
            GenerationRequest(promptTokens: chat("Say hi."), parameters: GenerationOptions(temperature: 0.7, maxTokens: 1),
                              seeds: [3, 4], reportLogprobs: true),
        ]
    }

    /// What each sample is alone: a fresh engine, one seed per call.
    static func alone(_ request: GenerationRequest, engine: InferenceEngine) throws -> [GeneratedSample] {
        try request.seeds.map { seed in
            try engine.generate(promptTokens: request.promptTokens, parameters: request.parameters, seeds: [seed],
                                reportLogprobs: request.reportLogprobs).samples[0]
        }
    }

    static func expectSame(_ together: [GeneratedSample], _ alone: [GeneratedSample], request: Int,
                           sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(together.count == alone.count, sourceLocation: sourceLocation)
        for (a, b) in zip(together, alone) {
            #expect(a.seed == b.seed, sourceLocation: sourceLocation)
            #expect(a.tokens == b.tokens, "request \(request), seed \(a.seed): tokens differ", sourceLocation: sourceLocation)
            #expect(a.text == b.text, sourceLocation: sourceLocation)
            #expect(a.finishReason == b.finishReason, sourceLocation: sourceLocation)
            #expect(a.logprobs == b.logprobs, "request \(request), seed \(a.seed): logprobs differ", sourceLocation: sourceLocation)
        }
    }

    @Test func concurrentRequestsThroughTheSchedulerEqualEachSampleAlone() async throws {
        let path = try TestPaths.defaultModel().path
        // A decode batch of 8 rows for 15 samples: requests queue, later samples fork into
        // rows that earlier ones free, prompts prefill beside decode rows.
        let scheduler = try GenerationScheduler(path: path, threadCount: 2, maxSamples: 8)
        let tokenizer = try #require(scheduler.tokenizer)
        let requests = Self.requests(tokenizer: tokenizer)
        let streamed = TokenLog()
        let outputs = try await withThrowingTaskGroup(of: (Int, GenerationOutput).self) { group in
            for (index, request) in requests.enumerated() {
                group.addTask {
                    (index, try await scheduler.generate(request) { event in streamed.add(request: index, event) })
                }
            }
            var outputs = [GenerationOutput?](repeating: nil, count: requests.count)
            for try await (index, output) in group { outputs[index] = output }
            return outputs.map { $0! }
        }

        let engine = try InferenceEngine(path: path, threadCount: 2, maxSamples: 8)
        for (index, request) in requests.enumerated() {
            let output = outputs[index]
            #expect(output.samples.map(\.seed) == request.seeds)
            Self.expectSame(output.samples, try Self.alone(request, engine: engine), request: index)
            // The stream carried each sample's tokens in order.
            for sample in output.samples {
                #expect(streamed.tokens(request: index, sample: sample.index) == sample.tokens)
            }
            #expect(output.timings.generatedTokenCount == output.samples.reduce(0) { $0 + $1.tokens.count })
            #expect(output.samples.allSatisfy { $0.computeSeconds > 0 })
        }
        // Every generated token but each sample's first (drawn from the prompt's logits)
        // came from one decode row.
        let samples = outputs.flatMap(\.samples)
        let statistics = scheduler.statistics
        #expect(statistics.decodeRows == samples.reduce(0) { $0 + max(0, $1.tokens.count - 1) })
        #expect(statistics.queued == 0)
        // Requests shared steps: one after another they would need at least, each, a prefill
        // step plus one step per token of its longest sample after the first.
        let oneAfterAnother = outputs.reduce(0) { $0 + 1 + ($1.samples.map(\.tokens.count).max() ?? 1) - 1 }
        #expect(statistics.steps < oneAfterAnother, "\(statistics.steps) steps; \(oneAfterAnother) one request at a time")
    }

    @Test func severalPromptsInOneEngineCallEqualEachSampleAlone() throws {
        let path = try TestPaths.defaultModel().path
        let engine = try InferenceEngine(path: path, threadCount: 2, maxSamples: 6)
        var requests = Self.requests(tokenizer: try #require(engine.tokenizer))
        requests.append(GenerationRequest(promptTokens: [], parameters: .greedy, seeds: [1]))
        let results = engine.generate(requests)
        #expect(results.count == requests.count)
        guard case .failure(.emptyPrompt) = results.last! else {
            Issue.record("an empty prompt should fail alone, got \(results.last!)")
            return
        }
        for index in 0..<requests.count - 1 {
            let output = try results[index].get()
            Self.expectSame(output.samples, try Self.alone(requests[index], engine: engine), request: index)
        }
    }

    @Test func cancellingACallerRemovesItsSamplesAndTheOthersAreUnchanged() async throws {
        let path = try TestPaths.defaultModel().path
        let scheduler = try GenerationScheduler(path: path, threadCount: 2, maxSamples: 4)
        let tokenizer = try #require(scheduler.tokenizer)
        let prompt = tokenizer.encode(tokenizer.renderChat([ScalingCore.ChatMessage(role: "user", content: "Tell a long story.")]).text)
        let long = GenerationRequest(promptTokens: prompt, parameters: GenerationOptions(temperature: 1, maxTokens: 400), seeds: [1, 2])
        let short = GenerationRequest(promptTokens: prompt, parameters: GenerationOptions(temperature: 0.8, maxTokens: 12), seeds: [7])
        let started = Mutex(false)
        let cancelled = Task {
            try await scheduler.generate(long) { _ in started.withLock { $0 = true } }
        }
        while !started.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
        async let other = scheduler.generate(short)
        cancelled.cancel()
        do {
            let output = try await cancelled.value
            Issue.record("the cancelled request returned \(output.samples.map(\.tokens.count)) tokens")
        } catch let error as EngineError {
            guard case .cancelled = error else { Issue.record("expected .cancelled, got \(error)"); return }
        }
        let engine = try InferenceEngine(path: path, threadCount: 2, maxSamples: 4)
        Self.expectSame((try await other).samples, try Self.alone(short, engine: engine), request: 1)
        // The freed rows and pages serve later requests.
        let again = try await scheduler.generate(short)
        Self.expectSame(again.samples, try Self.alone(short, engine: engine), request: 1)
    }

    @Test func aFullQueueRefusesWithAClearErrorAndInvalidRequestsNeverQueue() async throws {
        // Without a tokenizer nothing stops a sample before maxTokens, so each request takes 48 steps.
        let model = try LlamaModel(path: try TestPaths.defaultModel().path)
        let scheduler = GenerationScheduler(model: model, tokenizer: nil, threadCount: 2, maxSamples: 1, maxQueuedRequests: 1)
        let request = GenerationRequest(promptTokens: [1, 504, 1782, 314, 253, 2212, 30],
                                        parameters: GenerationOptions(temperature: 1, maxTokens: 48), seeds: [1])
        // Twelve at once: one decodes, one prefills ahead, one waits; the rest are refused.
        let outcomes = await withTaskGroup(of: Result<GenerationOutput, EngineError>.self) { group in
            for _ in 0..<12 {
                group.addTask {
                    do throws(EngineError) { return .success(try await scheduler.generate(request)) } catch { return .failure(error) }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let refused = outcomes.filter { if case .failure(.queueFull(limit: 1)) = $0 { true } else { false } }
        let served = outcomes.compactMap { try? $0.get() }
        #expect(refused.count >= 1 && refused.count + served.count == 12)
        #expect(Set(served.map { $0.samples[0].tokens }).count == 1, "one seed, one prompt: one sample")
        if case .failure(let error) = refused.first { #expect(error.description.contains("retry")) }

        await #expect(throws: EngineError.self) {
            try await scheduler.generate(GenerationRequest(promptTokens: [1], parameters: .greedy, seeds: [1, 2]))
        }
        await #expect(throws: EngineError.self) {
            try await scheduler.generate(GenerationRequest(promptTokens: [1_000_000], parameters: .greedy, seeds: [1]))
        }
        let tooLong = Array(repeating: 1, count: model.configuration.contextLength)
        do {
            _ = try await scheduler.generate(GenerationRequest(promptTokens: tooLong, parameters: .greedy, seeds: [1]))
            Issue.record("a prompt filling the context was accepted")
        } catch {
            guard case .promptTooLong = error else { Issue.record("expected .promptTooLong, got \(error)"); return }
        }
    }
}

/// Streamed tokens per (request, sample), from the engine thread.
final class TokenLog: Sendable {
    private let tokens = Mutex<[String: [Int]]>([:])
    func add(request: Int, _ event: GenerationEvent) {
        tokens.withLock { $0["\(request)/\(event.sampleIndex)", default: []].append(event.token) }
    }
    func tokens(request: Int, sample: Int) -> [Int] { tokens.withLock { $0["\(request)/\(sample)"] ?? [] } }
}
