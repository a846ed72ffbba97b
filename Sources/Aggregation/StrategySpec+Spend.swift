import Foundation

extension StrategySpec {
    /// The most model calls, and samples over all of them, the strategy makes with one
    /// proposer, `defaultSamples` being n when the spec gives none: a judge scores every
    /// sample, a pairwise bracket compares every pair it may meet in both orders, a window that
    /// does not divide n adds a step. A server checks it against its limits before any call.
    public func worstCaseSpend(defaultSamples: Int) -> (calls: Int, samples: Int) {
        let n = samples ?? defaultSamples
        func integer(_ key: String, _ fallback: Int) -> Int { options[key].flatMap { Int($0) } ?? fallback }
        switch name {
        case "single":
            return (1, 1)
        case "best-of-n":
            switch options["score"]?.lowercased() ?? "logprob" {
            case "judge":
                return (1 + n, 2 * n)
            case "pairwise":
                let bracket = PairwiseBracket(rawValue: options["bracket"]?.lowercased() ?? "knockout") ?? .knockout
                let calls = 2 * bracket.comparisons(candidates: n)
                return (1 + calls, n + calls)
            default:
                return (1, n)
            }
        case "moa":
            let layers = integer("layers", 3)   // one proposer: one call per layer
            return (layers, layers)
        case "self-moa":
            return (2, n + 1)
        case "adaptive":
            // Every wave drawn: max samples in ceil(max / wave) calls.
            guard let policy = try? stoppingPolicy(defaultSamples: defaultSamples) else { return (1, n) }
            return ((policy.maxSamples + policy.wave - 1) / policy.wave, policy.maxSamples)
        case "self-moa-seq":
            let steps = (n + max(1, integer("window", 4)) - 1) / max(1, integer("window", 4))
            return (1 + steps, n + steps)
        default:   // self-consistency, weighted-vote: one call of n samples
            return (1, n)
        }
    }
}
