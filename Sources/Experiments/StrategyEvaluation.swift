import Aggregation
import Foundation
import Metrics
import RunStore
import ScalingCore

/// What an evaluation did, for the command's log line.
public struct StrategyEvaluationOutcome: Sendable {
    /// Strategies evaluated (offline ones are computed when the report is made).
    public var strategies: [String]
    /// Model calls made now, and calls replayed from the store.
    public var newCalls: Int
    public var replayedCalls: Int
    /// Strategy answers produced now, and answers already stored.
    public var newAnswers: Int
    public var storedAnswers: Int
    public var seconds: Double
}

/// Evaluates strategies over a run's stored samples, spending model calls only where a
/// strategy needs them (the offline half of `Strategy` needs none).
///
/// - Votes, best-of-N by log-probability or verifier (`Strategy.offlineSelection` non-nil):
///   nothing is called; the evaluation is noted in the store and `StrategyCurves` estimates
///   the curve from the samples (exact where possible, `OfflineEstimator`).
/// - Best-of-N by judge: every stored sample is judged once (one call each, prompt
///   `JudgePrompt`); best-of-N@k over the judge scores is then exact for every k.
/// - Best-of-N by pairwise judge: for each budget k (powers of two up to the spec's n and
///   the run's n) and each of `draws` draws, the online bracket runs over a seeded random
///   k-subset of the stored samples; its judge calls are new.
/// - Self-MoA, Self-MoA-Seq: for each budget k (powers of two up to the spec's n and the
///   run's n) and each of `draws` draws, the online strategy runs on a seeded random
///   k-subset of the stored samples as its proposals; its aggregator calls are new.
/// - MoA: the run's model proposes (one stored sample per draw) together with `proposers`
///   (new calls), layers as the spec says; its budget k is the number of proposers.
///
/// Every new call is stored (`RunStore.insertStrategyCall`) and every answer
/// (`insertStrategyOutcome`) the moment it is made: a resumed evaluation skips stored
/// answers and replays stored calls. Draws use the same subsets for every strategy, so
/// strategies are compared on the same samples.
public struct StrategyEvaluation: Sendable {
    public var specifications: [StrategySpec]
    /// Random k-subsets per budget for strategies that synthesise or run a pairwise bracket (bounds the calls).
    public var draws: Int
    /// Extra Mixture-of-Agents proposers besides the run's model (other models, backends,
    /// or the same model with other settings, `OverridingProvider`).
    public var proposers: [any CompletionProvider]

    public init(specifications: [StrategySpec], draws: Int = 1, proposers: [any CompletionProvider] = []) {
        self.specifications = specifications
        self.draws = max(1, draws)
        self.proposers = proposers
    }

    /// The key a strategy's rows are stored under: its spec, plus the extra proposers for MoA.
    public func storageKey(_ spec: StrategySpec) -> String {
        guard Self.usesProposerModels(spec), !proposers.isEmpty else { return spec.description }
        return spec.description + " + " + proposers.map(\.modelName).joined(separator: " + ")
    }

    /// The budgets a synthesising strategy is evaluated at.
    public func budgets(_ spec: StrategySpec, samplesPerProblem n: Int) -> [Int] {
        if Self.usesProposerModels(spec) { return [1 + proposers.count] }
        return KGrid.powersOfTwo(upTo: min(spec.samples ?? n, n))
    }

    /// Evaluates every strategy on the run.
    /// - Parameters:
    ///   - problems: the run's problems (prompts rendered with `template`, answers checked with `verifier`).
    ///   - provider: the run's model, for the calls strategies make beyond the stored samples.
    ///   - contextWindow: the aggregator's context, to check aggregator prompts against.
    ///   - programBehaviour: for code runs, groups programs for votes by their outputs on the
    ///     prompt's examples; each stored sample's key is computed once and stored.
    public func run(runID: String, store: RunStore, problems: [Problem], template: PromptTemplate,
                    provider: any CompletionProvider, verifier: any Verifier, contextWindow: ContextWindow? = nil,
                    programBehaviour: ProgramBehaviour? = nil,
                    progress: @escaping @Sendable (String) -> Void = { _ in }) async throws -> StrategyEvaluationOutcome {
        let start = Date()
        let configuration = try store.configuration(ofRun: runID)
        var byProblem: [String: [SampleRecord]] = [:]
        for record in try store.samples(runID: runID) { byProblem[record.problemID, default: []].append(record) }
        let evaluated = problems.filter { byProblem[$0.id] != nil }
        guard let n = evaluated.map({ byProblem[$0.id]!.count }).min(), n > 0 else {
            throw ExperimentError.invalidArgument("Run \(runID) has no stored samples for these problems; sample them first.")
        }
        var parameters = configuration.sampling
        parameters.stop = Array(Set(parameters.stop + template.stop)).sorted()
        var outcome = StrategyEvaluationOutcome(strategies: [], newCalls: 0, replayedCalls: 0, newAnswers: 0, storedAnswers: 0, seconds: 0)

        if let programBehaviour, try specifications.contains(where: { try $0.makeStrategy().offlineSelection != nil }) {
            try await storeProgramBehaviour(programBehaviour, runID: runID, store: store, problems: evaluated,
                                            samples: byProblem, progress: progress)
        }

        for spec in specifications {
            let strategy = try spec.makeStrategy(defaultSamples: n)
            let key = storageKey(spec)
            let settings = "{\"draws\":\(draws),\"proposers\":[\(proposers.map { "\"\($0.modelName)\"" }.joined(separator: ","))]}"
            try store.recordStrategyEvaluation(runID: runID, strategy: key, settings: settings)
            outcome.strategies.append(key)
            if strategy.offlineSelection != nil { continue }
            let storedCalls = Dictionary(try store.strategyCalls(runID: runID, strategy: key).map { ($0.key, $0) },
                                         uniquingKeysWith: { first, _ in first })
            func recorder(_ problem: Problem, budget: Int, draw: Int) -> CallRecorder {
                CallRecorder(store: store, runID: runID, strategy: key, problemID: problem.id, budget: budget, draw: draw, stored: storedCalls)
            }
            func samples(_ problem: Problem) -> [SampleRecord] {
                Array(byProblem[problem.id]!.sorted { $0.sampleIndex < $1.sampleIndex }.prefix(n))
            }

            let judgeContext = StrategyContext(provider: provider, parameters: parameters)
            if strategy.judgesEachSample {   // one judge call per stored sample
                for (p, problem) in evaluated.enumerated() {
                    let prompt = template.render(problem)
                    for sample in samples(problem) {
                        let calls = recorder(problem, budget: 0, draw: sample.sampleIndex)
                        let seed = configuration.sampleSeed(problemID: "judge/\(problem.id)", index: sample.sampleIndex)
                        _ = try await calls.call(provider, strategy.judgement(of: sample.completion.text, to: prompt,
                                                                              context: judgeContext, seed: seed)!)
                        let counts = calls.counts
                        outcome.newCalls += counts.new
                        outcome.replayedCalls += counts.replayed
                    }
                    progress("\(key): judged problem \(p + 1) of \(evaluated.count)")
                }
                continue
            }

            let done = Set(try store.strategyOutcomes(runID: runID, strategy: key).map { "\($0.problemID)/\($0.budget)/\($0.draw)" })
            let budgets = budgets(spec, samplesPerProblem: n)
            for (p, problem) in evaluated.enumerated() {
                let prompt = template.render(problem)
                let stored = samples(problem)
                for k in budgets {
                    for draw in 0..<draws {
                        if done.contains("\(problem.id)/\(k)/\(draw)") { outcome.storedAnswers += 1; continue }
                        let subsetSize = strategy.usesProposerModels ? 1 : k
                        let subset = RandomSubset.indices(n: n, k: subsetSize, seed: configuration.seed,
                                                          streams: [Self.stream(problem.id), k, draw]).sorted().map { stored[$0] }
                        let calls = recorder(problem, budget: k, draw: draw)
                        let runModel = EvaluationProvider(base: provider, recorder: calls, storedSamples: subset.map(\.completion))
                        let others = proposers.map {
                            EvaluationProvider(base: $0, recorder: calls, storedSamples: [])
                        }
                        let context = StrategyContext(
                            provider: runModel, proposers: strategy.usesProposerModels ? [runModel] + others : [],
                            parameters: parameters,
                            seed: configuration.sampleSeed(problemID: "strategy/\(key)/\(problem.id)/\(k)", index: draw),
                            grouping: AnswerGrouping(gradedBy: configuration.verifier),
                            verifier: verifier, problem: problem, contextWindow: contextWindow)
                        let result = try await Self.strategy(strategy, budget: k).answer(prompt, using: context)
                        let verdict = await verifier.verify(result.text, for: problem)
                        let encoder = JSONEncoder()
                        encoder.outputFormatting = [.sortedKeys]
                        let evidence = (try? encoder.encode(result.evidence)).map { String(decoding: $0, as: UTF8.self) }
                        try store.insertStrategyOutcome(StrategyOutcomeRecord(
                            strategy: key, problemID: problem.id, budget: k, draw: draw,
                            answer: result.extractedAnswer ?? verdict.extracted, outcome: verdict.outcome,
                            modelCalls: result.spend.modelCalls, samples: result.spend.samples,
                            promptTokens: result.spend.promptTokens, completionTokens: result.spend.completionTokens,
                            seconds: subset.reduce(0) { $0 + $1.completion.seconds } + calls.seconds, evidence: evidence), runID: runID)
                        let counts = calls.counts
                        outcome.newCalls += counts.new
                        outcome.replayedCalls += counts.replayed
                        outcome.newAnswers += 1
                    }
                }
                progress("\(key): problem \(p + 1) of \(evaluated.count)")
            }
        }
        outcome.seconds = Date().timeIntervalSince(start)
        return outcome
    }

    /// The key program-behaviour classes are stored under (one outcome row per stored sample:
    /// budget 0, draw = sample index, answer = the behaviour key).
    public static let programBehaviourKey = "program-behaviour"

    /// The prefix of a stored class key that is a program's source rather than its behaviour.
    public static let programSourcePrefix = "source: "

    /// Computes and stores the behaviour key of every stored sample that has none yet.
    ///
    /// Grouping by behaviour applies where the prompt shows examples; a problem that shows
    /// none keeps the vote by program text (the verifier's extracted code, behind
    /// `programSourcePrefix`), so its samples still vote.
    func storeProgramBehaviour(_ behaviour: ProgramBehaviour, runID: String, store: RunStore, problems: [Problem],
                               samples: [String: [SampleRecord]], progress: @Sendable (String) -> Void) async throws {
        let done = Set(try store.strategyOutcomes(runID: runID, strategy: Self.programBehaviourKey).map { "\($0.problemID)/\($0.draw)" })
        for (p, problem) in problems.enumerated() {
            let showsExamples = !ProgramBehaviour.examples(for: problem).isEmpty
            for sample in samples[problem.id] ?? [] where !done.contains("\(problem.id)/\(sample.sampleIndex)") {
                let key = showsExamples ? await behaviour.key(of: sample.completion.text, for: problem)
                    : sample.verdict.extracted.map { Self.programSourcePrefix + $0 }
                try store.insertStrategyOutcome(StrategyOutcomeRecord(
                    strategy: Self.programBehaviourKey, problemID: problem.id, budget: 0, draw: sample.sampleIndex, answer: key,
                    outcome: sample.verdict.outcome, modelCalls: 0, samples: 0, promptTokens: 0, completionTokens: 0, seconds: 0,
                    evidence: nil), runID: runID)
            }
            progress("program behaviour on the examples: problem \(p + 1) of \(problems.count)")
        }
    }

    /// The strategy drawing `budget` samples (Self-MoA, Self-MoA-Seq, best-of-N); others as they are.
    static func strategy(_ strategy: any Strategy, budget: Int) -> any Strategy {
        strategy.withSampleCount(budget)
    }

    /// Whether the spec's strategy takes proposals from other models (Mixture-of-Agents).
    static func usesProposerModels(_ spec: StrategySpec) -> Bool {
        (try? spec.makeStrategy())?.usesProposerModels ?? false
    }

    /// A stable integer for a problem id, to seed its subsets.
    static func stream(_ problemID: String) -> Int {
        var hasher = SHA256()
        hasher.update(Array(problemID.utf8))
        return Int(truncatingIfNeeded: UInt64(hasher.finalizeHex().prefix(15), radix: 16) ?? 0)
    }
}
