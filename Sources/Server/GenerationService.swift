import Aggregation
import Foundation
import OpenAIAPI
import ScalingCore
import Synchronization

/// What a plan produced: one completion per choice (the strategy's answer as one
/// choice), the tokens spent and, for a strategy, its evidence.
struct GenerationOutcome: Sendable {
    var choices: [DetailedCompletion]
    var usage: Usage
    var quorum: QuorumResponseInfo?
}

/// Something a streamed response shows as it happens.
enum GenerationUpdate: Sendable {
    case delta(CompletionDelta)
    case progress(StrategyProgress)
}

/// Runs plans on the served model under the admission and time limits.
struct GenerationService: Sendable {
    let model: ServedModel
    let configuration: ServerConfiguration
    let gate: AdmissionGate

    /// Takes a slot (waiting in the queue if need be) or fails with `.overloaded`.
    func admit() async throws(ServerError) {
        guard await gate.enter() else { throw .overloaded(retryAfterSeconds: 1) }
    }

    /// Runs `plan` in a task of its own that frees the slot when the model is done, and
    /// returns its outcome or `.timedOut` after the configured time, whichever is first.
    /// The model cannot be stopped mid-batch, so a timed-out request still finishes in the
    /// background (bounded by its max_tokens) before its slot frees.
    func runAdmitted(_ plan: GenerationPlan,
                     onUpdate: @escaping @Sendable (GenerationUpdate) -> Void) async throws(ServerError) -> GenerationOutcome {
        let timeout = configuration.timeoutSeconds
        let pending = Mutex<CheckedContinuation<GenerationOutcome, any Error>?>(nil)
        let resumeOnce: @Sendable (Result<GenerationOutcome, any Error>) -> Void = { result in
            pending.withLock { continuation in
                continuation?.resume(with: result)
                continuation = nil
            }
        }
        do {
            return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<GenerationOutcome, any Error>) in
                pending.withLock { $0 = continuation }
                let timer = Task {
                    // Cancelled when the request finished first: then it must not report a timeout.
                    guard (try? await Task.sleep(for: .seconds(timeout))) != nil else { return }
                    resumeOnce(.failure(ServerError.timedOut(seconds: timeout)))
                }
                Task {
                    let result: Result<GenerationOutcome, any Error>
                    do { result = .success(try await run(plan, onUpdate: onUpdate)) } catch { result = .failure(error) }
                    resumeOnce(result)
                    timer.cancel()
                    await gate.leave()
                }
            }
        } catch let error as ServerError {
            throw error
        } catch {
            throw .modelFailed("\(error)")
        }
    }

    /// Runs `plan` now (the caller holds a slot).
    func run(_ plan: GenerationPlan, onUpdate: @escaping @Sendable (GenerationUpdate) -> Void) async throws(ServerError) -> GenerationOutcome {
        if let spec = plan.strategy { return try await runStrategy(spec, plan, onUpdate: onUpdate) }
        let request = CompletionRequest(prompt: plan.prompt, parameters: plan.parameters, seeds: plan.seeds)
        let choices: [DetailedCompletion]
        do {
            choices = try await model.provider.completeStreaming(request) { onUpdate(.delta($0)) }
        } catch {
            throw .modelFailed("\(error)")
        }
        guard choices.count == plan.seeds.count else {
            throw .modelFailed("asked for \(plan.seeds.count) samples, got \(choices.count)")
        }
        if let failed = choices.first(where: { $0.completion.finishReason == .error }) {
            throw .modelFailed(failed.completion.error ?? "a sample failed")
        }
        // The samples share one prompt (one prefill), so it is counted once, as OpenAI bills `n`.
        let usage = Usage(promptTokens: choices.first?.completion.promptTokens ?? 0,
                          completionTokens: choices.reduce(0) { $0 + $1.completion.completionTokens })
        return GenerationOutcome(choices: choices, usage: usage)
    }

    private func runStrategy(_ spec: StrategySpec, _ plan: GenerationPlan,
                             onUpdate: @escaping @Sendable (GenerationUpdate) -> Void) async throws(ServerError) -> GenerationOutcome {
        let strategy: any Strategy
        do { strategy = try spec.makeStrategy(defaultSamples: min(8, configuration.maxN)) } catch {
            throw .invalidStrategy(field: "model", detail: error.description)
        }
        let grouping = spec.options["group"].flatMap(AnswerGrouping.init(rawValue:)) ?? .math
        var provider = model.provider
        if plan.stream {
            provider = MonitoredProvider(underlying: provider, monitor: StrategyMonitor(grouping: grouping) { onUpdate(.progress($0)) })
        }
        let countTokens = model.countTokens
        let context = StrategyContext(
            provider: provider, parameters: plan.parameters, seed: plan.seeds[0], grouping: grouping,
            contextWindow: ContextWindow(limit: model.contextLength, countTokens: countTokens))
        let result: StrategyResult
        do {
            result = try await strategy.answer(plan.prompt, using: context)
        } catch let error as AggregationError {
            if case .providerFailed = error { throw .modelFailed(error.description) }
            // The strategy refused what it cannot serve (an aggregator prompt over the context).
            throw .invalidStrategy(field: "model", detail: error.description)
        } catch {
            throw .modelFailed("\(error)")
        }
        let completion = Completion(
            text: result.text, finishReason: .stop, seed: plan.seeds[0], promptTokens: result.spend.promptTokens,
            completionTokens: result.spend.completionTokens, seconds: result.spend.seconds)
        let usage = Usage(promptTokens: result.spend.promptTokens, completionTokens: result.spend.completionTokens)
        let info = QuorumResponseInfo(strategy: strategy.specification, answer: result.extractedAnswer,
                                      evidence: Self.json(result.evidence), spend: Self.json(result.spend))
        return GenerationOutcome(choices: [DetailedCompletion(completion: completion)], usage: usage, quorum: info)
    }

    /// A Codable value as a `JSONValue`, for the response's extension field.
    static func json(_ value: some Encodable) -> JSONValue? {
        guard let data = try? JSONEncoder().encode(value) else { return nil }
        return try? JSONDecoder().decode(JSONValue.self, from: data)
    }
}
