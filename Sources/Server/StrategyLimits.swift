import Aggregation
import Foundation
import ScalingCore

/// Bounds on the work one strategy request may make the model do. `n` is bounded by
/// `--max-n`; these bound the other parameters that multiply work, and the total: a request
/// whose worst case (every call made, every sample at `max_tokens`) is over a limit is refused
/// with a 400 naming the parameter and the server option, before any model call.
public struct StrategyLimits: Sendable, Hashable {
    /// `moa:layers=L` (each layer is one more model call on all the references before it).
    public var maxLayers: Int
    /// `self-moa-seq:…,window=W`.
    public var maxWindow: Int
    /// `self-moa-seq:…,repeats=R` (copies of the running synthesis in each aggregator prompt).
    public var maxRepeats: Int
    /// Model calls one request may make (a pairwise round robin over n samples makes n(n − 1) + 1).
    public var maxModelCalls: Int
    /// Tokens one request may generate over all its calls (samples × max_tokens, worst case).
    public var maxGeneratedTokens: Int

    public init(maxLayers: Int = 4, maxWindow: Int = 16, maxRepeats: Int = 4, maxModelCalls: Int = 64,
                maxGeneratedTokens: Int = 1 << 17) {
        self.maxLayers = maxLayers
        self.maxWindow = maxWindow
        self.maxRepeats = maxRepeats
        self.maxModelCalls = maxModelCalls
        self.maxGeneratedTokens = maxGeneratedTokens
    }

    /// Refuses `spec` when a parameter or its worst case is over a limit; `field` is where the
    /// request gave it (`model` or `quorum.strategy`).
    func check(_ spec: StrategySpec, defaultSamples: Int, maxTokens: Int, field: String) throws(ServerError) {
        let bounded: [(key: String, limit: Int, option: String)] = [
            ("layers", maxLayers, "--max-moa-layers"), ("window", maxWindow, "--max-moa-window"),
            ("repeats", maxRepeats, "--max-moa-repeats"),
        ]
        for (key, limit, option) in bounded {
            if let raw = spec.options[key], let value = Int(raw), value > limit {
                throw .invalidStrategy(field: field, detail: "\(key)=\(value) is over this server's limit of \(limit) (its \(option)).")
            }
        }
        let worst = spec.worstCaseSpend(defaultSamples: defaultSamples)
        if worst.calls > maxModelCalls {
            throw .invalidStrategy(field: field, detail: "'\(spec)' may make \(worst.calls) model calls; this server allows \(maxModelCalls) per request "
                                   + "(its --max-strategy-calls). Use fewer samples\(spec.options["bracket"] == "round-robin" ? " or bracket=knockout" : "").")
        }
        let tokens = worst.samples.multipliedReportingOverflow(by: maxTokens)
        if tokens.overflow || tokens.partialValue > maxGeneratedTokens {
            throw .invalidStrategy(field: field, detail: "'\(spec)' may generate \(worst.samples) samples of up to \(maxTokens) tokens; "
                                   + "this server allows \(maxGeneratedTokens) generated tokens per request (its --max-strategy-tokens). "
                                   + "Use fewer samples or a smaller max_tokens.")
        }
    }
}

/// A provider that counts a strategy's calls and generated tokens and refuses a call that
/// would go over the request's limits: the backstop behind `StrategyLimits.check` (whose worst
/// case should make it unreachable; if a strategy ever spends more than its worst case, the
/// request fails as a model failure instead of running on).
struct BudgetedProvider: CompletionProvider {
    let underlying: any CompletionProvider
    let limits: StrategyLimits
    private let spent = SpendCounter()

    init(underlying: any CompletionProvider, limits: StrategyLimits) {
        self.underlying = underlying
        self.limits = limits
    }

    var modelName: String { underlying.modelName }

    func complete(_ request: CompletionRequest) async throws -> [Completion] {
        let budget = request.seeds.count * request.parameters.maxTokens
        guard spent.reserve(calls: 1, tokens: budget, limits: limits) else {
            throw ServerError.invalidStrategy(
                field: "model", detail: "the strategy went over this server's per-request limits of \(limits.maxModelCalls) model calls "
                + "and \(limits.maxGeneratedTokens) generated tokens (--max-strategy-calls, --max-strategy-tokens).")
        }
        return try await underlying.complete(request)
    }
}

private final class SpendCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var calls = 0
    private var tokens = 0

    func reserve(calls more: Int, tokens moreTokens: Int, limits: StrategyLimits) -> Bool {
        lock.withLock {
            guard calls + more <= limits.maxModelCalls, tokens + moreTokens <= limits.maxGeneratedTokens else { return false }
            calls += more
            tokens += moreTokens
            return true
        }
    }
}
