import ScalingCore

/// One sample, returned as it is: the baseline every strategy is measured against.
public struct SingleSample: Strategy {
    public init() {}

    public var specification: String { "single" }

    public var offlineSelection: OfflineSelection? { .single }

    public var sampleCount: Int? { 1 }

    public func answer(_ prompt: ProblemPrompt, using context: StrategyContext) async throws -> StrategyResult {
        var ledger = CallLedger(seed: context.seed)
        let completion = try await ledger.sample(context.provider, prompt, context.parameters, count: 1, role: .proposal, step: "sampling")[0]
        return StrategyResult(text: completion.text, extractedAnswer: context.grouping.answer(of: completion.text),
                              evidence: .single(EvidenceSample(completion, index: 0)), spend: ledger.finalSpend)
    }
}
