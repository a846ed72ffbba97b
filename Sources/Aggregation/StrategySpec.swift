import Foundation
import ScalingCore

/// A strategy written as `NAME[:PARAMS]`, as the CLI takes it: `self-consistency:16`,
/// `best-of-n:8,score=logprob`, `self-moa-seq:16,window=4`.
///
/// PARAMS is a comma-separated list; a bare integer is the sample count n, the rest are
/// `key=value`. Unknown names and keys are errors that list what is known.
public struct StrategySpec: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    /// The bare integer parameter, if given.
    public var samples: Int?
    public var options: [String: String]

    /// Every strategy name, with its parameters, for help texts and errors.
    public static let catalog: [(name: String, parameters: String, summary: String)] = [
        ("single", "", "one sample, no selection"),
        ("self-consistency", "N,group=math|extracted|text", "majority vote over N samples (aliases: majority, majority-vote, maj)"),
        ("weighted-vote", "N,group=math|extracted|text", "vote weighted by exp(mean token logprob)"),
        ("best-of-n", "N,score=logprob|judge|pairwise|verifier,bracket=knockout|round-robin",
         "highest-scoring of N samples (judge: a 0-10 score each; pairwise: both orders of each pair, bracket for pairwise)"),
        ("moa", "layers=L", "Mixture-of-Agents: L-1 proposer layers over the proposers, then an aggregator"),
        ("self-moa", "N", "N samples of one model, one aggregator call"),
        ("self-moa-seq", "N,window=W,repeats=R", "sliding window of W new samples plus the running synthesis (R copies)"),
        ("adaptive", "RULE,max=N,min=M,threshold=T,window=W,wave=V,group=…",
         "samples in waves of V (4) until RULE stops it: verified, adaptive-consistency, esc, confidence (`StrategySpec.stoppingRules`)"),
    ]

    static let aliases = ["majority": "self-consistency", "majority-vote": "self-consistency", "maj": "self-consistency", "bon": "best-of-n"]
    static let allowedOptions: [String: [String]] = [
        "single": [], "self-consistency": ["group"], "weighted-vote": ["group"], "best-of-n": ["score", "bracket"],
        "moa": ["layers"], "self-moa": [], "self-moa-seq": ["window", "repeats"],
        "adaptive": ["rule", "max", "min", "threshold", "window", "wave", "single", "group"],
    ]

    /// Parses `NAME[:PARAMS]`.
    public init(parsing text: String) throws(AggregationError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let rawName = parts.first.map { String($0).lowercased() } ?? ""
        let name = Self.aliases[rawName] ?? rawName
        guard let allowed = Self.allowedOptions[name] else {
            throw .unknownStrategy(name: rawName, known: Self.catalog.map(\.name))
        }
        self.name = name
        options = [:]
        guard parts.count == 2 else { return }
        for (position, item) in parts[1].split(separator: ",").enumerated() {
            let item = String(item).trimmingCharacters(in: .whitespaces)
            // adaptive:RULE,…: the rule comes first, bare; max=N is its sample count.
            if name == "adaptive", position == 0, !item.contains("="), Int(item) == nil {
                options["rule"] = item.lowercased()
                continue
            }
            if name == "adaptive", item.hasPrefix("max=") {
                guard let n = Int(item.dropFirst(4)), n >= 1 else {
                    throw .invalidParameter(strategy: name, parameter: "max", value: String(item.dropFirst(4)), expected: "a sample count of at least 1")
                }
                samples = n
                continue
            }
            if let n = Int(item) {
                guard n >= 1, name != "moa", name != "single" else {
                    throw .invalidParameter(strategy: name, parameter: "N", value: item,
                                            expected: name == "moa" || name == "single" ? "no sample count for \(name)" : "a sample count of at least 1")
                }
                samples = n
                continue
            }
            let pair = item.split(separator: "=", maxSplits: 1).map { String($0).trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, allowed.contains(pair[0]) else {
                let expected = (["N"] + allowed.map { "\($0)=…" }).joined(separator: ", ")
                throw .invalidParameter(strategy: name, parameter: pair.first ?? item, value: pair.count == 2 ? pair[1] : "",
                                        expected: "one of: \(expected)")
            }
            options[pair[0]] = pair[1]
        }
    }

    public var description: String {
        if name == "adaptive" {
            let items = [options["rule"]].compactMap { $0 } + (samples.map { ["max=\($0)"] } ?? [])
                + options.keys.sorted().filter { $0 != "rule" }.map { "\($0)=\(options[$0]!)" }
            return items.isEmpty ? name : "\(name):\(items.joined(separator: ","))"
        }
        let params = (samples.map { ["\($0)"] } ?? []) + options.keys.sorted().map { "\($0)=\(options[$0]!)" }
        return params.isEmpty ? name : "\(name):\(params.joined(separator: ","))"
    }

    /// The strategy this spec describes; `defaultSamples` is n when the spec gives none.
    public func makeStrategy(defaultSamples: Int = 8) throws(AggregationError) -> any Strategy {
        let n = samples ?? defaultSamples
        guard n >= 1 else { throw .invalidParameter(strategy: name, parameter: "N", value: "\(n)", expected: "at least 1") }
        switch name {
        case "single":
            return SingleSample()
        case "self-consistency", "weighted-vote":
            return MajorityVote(samples: n, weighting: name == "weighted-vote" ? .logprob : .count,
                                grouping: try option("group", AnswerGrouping.init(rawValue:), "math, extracted or text"))
        case "best-of-n":
            let scorer = try option("score", BestOfNScorer.init(rawValue:), "logprob, judge, pairwise or verifier") ?? .logprob
            let bracket = try option("bracket", PairwiseBracket.init(rawValue:), "knockout or round-robin")
            if bracket != nil, scorer != .pairwise {
                throw .invalidParameter(strategy: name, parameter: "bracket", value: options["bracket"] ?? "",
                                        expected: "no bracket unless score=pairwise")
            }
            return BestOfN(samples: n, scorer: scorer, bracket: bracket ?? .knockout)
        case "moa":
            return MixtureOfAgents(layers: try integer("layers", minimum: 2) ?? 3)
        case "self-moa":
            return SelfMixtureOfAgents(samples: n)
        case "adaptive":
            return AdaptiveSampling(policy: try stoppingPolicy(defaultSamples: n),
                                    grouping: try option("group", AnswerGrouping.init(rawValue:), "math, extracted or text"))
        default:   // self-moa-seq: the parser admits no other name
            return SequentialSelfMixtureOfAgents(samples: n, window: try integer("window", minimum: 1) ?? 4,
                                                 synthesisRepeats: try integer("repeats", minimum: 1) ?? 2)
        }
    }

    func option<T>(_ key: String, _ make: (String) -> T?, _ expected: String) throws(AggregationError) -> T? {
        guard let raw = options[key] else { return nil }
        guard let value = make(raw.lowercased()) else {
            throw .invalidParameter(strategy: name, parameter: key, value: raw, expected: expected)
        }
        return value
    }

    func integer(_ key: String, minimum: Int) throws(AggregationError) -> Int? {
        try option(key, { Int($0).flatMap { $0 >= minimum ? $0 : nil } }, "an integer of at least \(minimum)")
    }
}
