import Aggregation
import Foundation
import OpenAIAPI
import ScalingCore

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

    /// Runs `plan` (the caller holds a slot) and returns its outcome, or `.timedOut` after
    /// the configured time, whichever is first; frees the slot either way.
    ///
    /// A timed-out generation is cancelled, and this returns only once it has ended: the
    /// engine drops its samples at its next step, so by the time the client reads the 504
    /// the request's decode rows, KV pages and slot are free for the next one.
    func runAdmitted(_ plan: GenerationPlan,
                     onUpdate: @escaping @Sendable (GenerationUpdate) -> Void) async throws(ServerError) -> GenerationOutcome {
        let timeout = configuration.timeoutSeconds
        let result = await withTaskGroup(of: Result<GenerationOutcome, ServerError>?.self) { group in
            group.addTask {
                do throws(ServerError) { return .success(try await run(plan, onUpdate: onUpdate)) } catch { return .failure(error) }
            }
            group.addTask {
                // Cancelled when the request finished first: then it must not report a timeout.
                guard (try? await Task.sleep(for: .seconds(timeout))) != nil else { return nil }
                return .failure(.timedOut(seconds: timeout))
            }
            var first: Result<GenerationOutcome, ServerError>?
            while first == nil, let next = await group.next() { first = next }
            // The loser is cancelled and awaited before the group returns.
            group.cancelAll()
            return first ?? .failure(.modelFailed("the request was cancelled"))
        }
        await gate.leave()
        return try result.get()
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
        do { strategy = try spec.makeStrategy(defaultSamples: configuration.defaultStrategySamples) } catch {
            throw .invalidStrategy(field: "model", detail: error.description)
        }
        let grouping = spec.options["group"].flatMap(AnswerGrouping.init(rawValue:)) ?? .math
        var provider: any CompletionProvider = BudgetedProvider(underlying: model.provider, limits: configuration.strategyLimits)
        if plan.stream, plan.strategyProgress {
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
