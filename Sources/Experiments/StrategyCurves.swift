import Aggregation
import Foundation
import Metrics
import Report
import RunStore
import ScalingCore

/// What strategies cost over a run, in the report's `Cost` (totals over all problems).
///
/// Drawing k samples of a problem costs its prompt once (the samples share a prefill, as the
/// embedded engine and OpenAI's `n` do) plus k times the problem's mean completion length and
/// mean per-sample time, in one model call. FLOPs follow Large Language Monkeys §2.3
/// (`Metrics.CostModel`), with the context length of the attention term set to the mean
/// prompt plus completion of the tokens counted; calls beyond the samples (aggregations,
/// judgements) have their own, longer contexts.
public struct StrategyCostModel: Sendable {
    /// Per problem: prompt tokens, mean completion tokens, mean seconds per sample.
    let problems: [(prompt: Int, meanCompletion: Double, meanSeconds: Double)]
    let shape: ModelShape?
    /// Mean prompt + completion tokens of a stored sample: the sampling context length.
    let samplingContext: Int

    public init(samples: [[SampleRecord]], shape: ModelShape?) {
        problems = samples.map { s in
            let count = Double(max(s.count, 1))
            return (s.first?.completion.promptTokens ?? 0,
                    Double(s.reduce(0) { $0 + $1.completion.completionTokens }) / count,
                    s.reduce(0.0) { $0 + $1.completion.seconds } / count)
        }
        self.shape = shape
        let tokens = samples.flatMap { $0.map { $0.completion.promptTokens + $0.completion.completionTokens } }
        samplingContext = tokens.isEmpty ? 1 : tokens.reduce(0, +) / tokens.count
    }

    /// Drawing k samples of every problem.
    public func sampling(k: Int) -> Cost {
        let decoded = problems.reduce(0.0) { $0 + $1.meanCompletion * Double(k) }
        let flops = shape.map { shape in
            CostModel(shape: shape, contextLength: samplingContext).cost(problems.map {
                ProblemUsage(promptTokens: $0.prompt, completions: k, decodedTokens: Int(($0.meanCompletion * Double(k)).rounded()))
            }).flops
        }
        return Cost(promptTokens: problems.reduce(0) { $0 + $1.prompt }, completionTokens: Int(decoded.rounded()),
                    seconds: problems.reduce(0.0) { $0 + $1.meanSeconds * Double(k) }, flops: flops,
                    modelCalls: Double(problems.count))
    }

    /// Calls beyond the samples, totals over problems: their tokens, time and FLOPs.
    public func extraCalls(calls: Double, promptTokens: Double, completionTokens: Double, seconds: Double) -> Cost {
        let perCall = calls > 0 ? (promptTokens + completionTokens) / calls : 0
        let flops = shape.map { $0.flopsPerToken(contextLength: Int(perCall.rounded())) * (promptTokens + completionTokens) }
        return Cost(promptTokens: Int(promptTokens.rounded()), completionTokens: Int(completionTokens.rounded()),
                    seconds: seconds, flops: flops, modelCalls: calls)
    }
}

extension Cost {
    /// Field-wise sum; a field is known when it is known in both.
    public func adding(_ other: Cost) -> Cost {
        func add<T: AdditiveArithmetic>(_ a: T?, _ b: T?) -> T? { a.flatMap { a in b.map { a + $0 } } }
        return Cost(promptTokens: add(promptTokens, other.promptTokens), completionTokens: add(completionTokens, other.completionTokens),
                    seconds: add(seconds, other.seconds), flops: add(flops, other.flops), dollars: add(dollars, other.dollars),
                    modelCalls: add(modelCalls, other.modelCalls))
    }
}

/// The curves of the strategies evaluated on a run (`StrategyEvaluation`), for its report:
/// accuracy against k, each point with its cost.
public enum StrategyCurves {
    /// Curves for every strategy the store says was evaluated on `runID`.
    /// - Parameters:
    ///   - problemIDs: the problems of the report, in order; `samples[p]` are problem p's
    ///     samples (cut to the same n).
    public static func curves(runID: String, store: RunStore, problemIDs: [String], samples: [[SampleRecord]],
                              verifier: VerifierKind, costs: StrategyCostModel, seed: UInt64) throws -> (curves: [Curve], notes: [String]) {
        let n = samples.map(\.count).min() ?? 0
        guard n > 0 else { return ([], []) }
        let ks = RunAnalysis.budgets(upTo: n)
        var stored = samples.map { $0.map { StoredSample(text: $0.completion.text, extractedAnswer: $0.verdict.extracted,
                                                          isCorrect: $0.verdict.isCorrect, meanLogprob: $0.completion.meanLogprob) } }
        let grouping = AnswerGrouping(gradedBy: verifier)
        var curves: [Curve] = []
        var notes: [String] = []
        // Code: votes group programs by their outputs on the prompt's examples, when computed.
        let behaviour = try store.strategyOutcomes(runID: runID, strategy: StrategyEvaluation.programBehaviourKey)
        if !behaviour.isEmpty {
            var keys: [String: String?] = [:]
            for row in behaviour { keys["\(row.problemID)/\(row.draw)"] = .some(row.answer) }
            let complete = zip(problemIDs, samples).allSatisfy { id, s in s.allSatisfy { keys["\(id)/\($0.sampleIndex)"] != nil } }
            if complete {
                for (p, id) in problemIDs.enumerated() {
                    for i in samples[p].indices {
                        // A program without a behaviour (no examples, did not run) does not vote.
                        stored[p][i].extractedAnswer = keys["\(id)/\(samples[p][i].sampleIndex)"]!
                        if stored[p][i].extractedAnswer == nil { stored[p][i].text = "" }
                    }
                }
                notes.append("Strategy votes group programs by their outputs on the examples the prompt shows (programs that did not run do not vote; "
                             + "problems whose prompt shows no examples group programs by their normalised code text).")
            } else {
                notes.append("Program behaviour is not computed for every sample; votes group programs by their normalised code text.")
            }
        }
        for (key, _) in try store.strategyEvaluations(runID: runID) {
            let specText = key.components(separatedBy: " + ").first ?? key
            let strategy: any Strategy
            do {
                strategy = try StrategySpec(parsing: specText).makeStrategy(defaultSamples: n)
            } catch {
                notes.append("Strategy \(key) is stored but cannot be read by this Quorum: \(error)")
                continue
            }
            do {
                if let selection = strategy.offlineSelection {
                    let curveKs = selection == .single ? [1] : ks
                    let offline = try OfflineEstimator.curve(selection, problems: stored, ks: curveKs, defaultGrouping: grouping, seed: seed)
                    curves.append(curve(key, offline, costs: { costs.sampling(k: $0) }, extra: "no calls beyond the samples"))
                } else if strategy.judgesEachSample {
                    if let judged = try judgeCurve(key, runID: runID, store: store, problemIDs: problemIDs, samples: samples,
                                                   stored: stored, ks: ks, costs: costs, seed: seed) {
                        curves.append(judged)
                    } else {
                        notes.append("Strategy \(key): no problem has a judge score for every sample yet; run the evaluation again.")
                    }
                } else if let synthesis = try synthesisCurve(key, runID: runID, store: store, problemIDs: problemIDs, costs: costs) {
                    curves.append(synthesis.curve)
                    notes += synthesis.notes
                } else {
                    notes.append("Strategy \(key) has no stored answers yet; run the evaluation again.")
                }
            } catch {
                notes.append("No curve for strategy \(key): \(error)")
            }
        }
        return (curves, notes)
    }

    static func curve(_ name: String, _ offline: OfflineCurve, costs: (Int) -> Cost, extra: String) -> Curve {
        var details = "\(offline.estimation) over random k-subsets of the stored samples; \(extra)"
        if let tied = offline.tiedProblemsAtAllSamples {
            details += "; \(OfflineEstimator.tieRule); votes over all samples tied on \(tied) problems"
        }
        return Curve(name: name, kind: .other, points: offline.metric.ks.indices.map { i in
            let k = offline.metric.ks[i]
            let cost = costs(k)
            return CurvePoint(k: k, value: offline.metric.mean[i], flops: cost.flops, cost: cost, tieRate: offline.tieRate?[i])
        }, details: details)
    }

    /// Best-of-N by judge: exact over the stored judge scores, once every sample is judged.
    static func judgeCurve(_ key: String, runID: String, store: RunStore, problemIDs: [String], samples: [[SampleRecord]],
                           stored: [[StoredSample]], ks: [Int], costs: StrategyCostModel, seed: UInt64) throws -> Curve? {
        var calls: [String: StrategyCallRecord] = [:]
        for call in try store.strategyCalls(runID: runID, strategy: key) where call.key.budget == 0 {
            calls["\(call.key.problemID)/\(call.key.draw)"] = call
        }
        // The problems whose every sample has a judge reply (all, once the evaluation is complete).
        var scores: [[Double?]] = []
        var judgedProblems: [Int] = []
        var judgePrompt = 0.0, judgeCompletion = 0.0, judgeSeconds = 0.0, judged = 0.0
        for (p, problemID) in problemIDs.enumerated() {
            let replies = samples[p].map { calls["\(problemID)/\($0.sampleIndex)"] }
            guard replies.allSatisfy({ $0?.completions.first != nil }) else { continue }
            judgedProblems.append(p)
            scores.append(replies.map { JudgePrompt.parseScore($0!.completions[0].text) })
            for call in replies {
                judgePrompt += Double(call!.completions[0].promptTokens)
                judgeCompletion += Double(call!.completions[0].completionTokens)
                judgeSeconds += call!.seconds
                judged += 1
            }
        }
        guard !judgedProblems.isEmpty else { return nil }
        let unscored = scores.reduce(0) { $0 + $1.filter { $0 == nil }.count }
        let offline = try OfflineEstimator.curve(.bestOfNByScore(name: "judge"), problems: judgedProblems.map { stored[$0] }, ks: ks,
                                                 scores: scores, seed: seed)
        var name = key
        if judgedProblems.count < problemIDs.count { name += " (\(judgedProblems.count) of \(problemIDs.count) problems)" }
        // k judge calls per problem: k times the mean judge call, for every problem.
        return curve(name, offline, costs: { k in
            let scale = Double(k) * Double(problemIDs.count) / judged   // k × problems × the mean judge call
            return costs.sampling(k: k).adding(costs.extraCalls(calls: Double(k * problemIDs.count), promptTokens: judgePrompt * scale,
                                                                completionTokens: judgeCompletion * scale, seconds: judgeSeconds * scale))
        }, extra: "one judge call per sample (\(unscored) of \(Int(judged)) replies unscored, ranked last)"
            + (judgedProblems.count < problemIDs.count ? "; accuracy over the \(judgedProblems.count) judged problems, cost scaled to all \(problemIDs.count)" : ""))
    }

    /// Self-MoA, Self-MoA-Seq, MoA, best-of-N by pairwise judge: the mean over problems and
    /// draws of the stored answers' correctness at each budget, with their recorded cost.
    static func synthesisCurve(_ key: String, runID: String, store: RunStore, problemIDs: [String],
                               costs: StrategyCostModel) throws -> (curve: Curve, notes: [String])? {
        let outcomes = try store.strategyOutcomes(runID: runID, strategy: key)
        guard !outcomes.isEmpty else { return nil }
        let wanted = Set(problemIDs)
        var notes: [String] = []
        var points: [CurvePoint] = []
        let rows = outcomes.filter { wanted.contains($0.problemID) }
        let byBudget = Dictionary(grouping: rows, by: \.budget)
        // One problem set for every k: the problems answered at every budget evaluated (all of
        // them once the evaluation is complete; fewer when it was limited or interrupted).
        let answered = byBudget.values.map { Set($0.map(\.problemID)) }.reduce(Set(problemIDs)) { $0.intersection($1) }
        guard !answered.isEmpty else { return nil }
        let scale = Double(problemIDs.count) / Double(answered.count)
        var name = key
        if answered.count < problemIDs.count {
            name += " (\(answered.count) of \(problemIDs.count) problems)"
            notes.append("Strategy \(key) was evaluated on \(answered.count) of the run's \(problemIDs.count) problems: its accuracy is over those, "
                         + "its cost is their mean per problem times \(problemIDs.count).")
        }
        for (k, rows) in byBudget.sorted(by: { $0.key < $1.key }) {
            let byProblem = Dictionary(grouping: rows.filter { answered.contains($0.problemID) }, by: \.problemID)
            // Per problem, the mean over its draws; then the mean over problems (costs: totals scaled to all problems).
            var value = 0.0
            var calls = 0.0, prompt = 0.0, completion = 0.0, seconds = 0.0
            for (_, draws) in byProblem {
                let d = Double(draws.count)
                value += Double(draws.filter { $0.outcome == .passed }.count) / d
                calls += Double(draws.reduce(0) { $0 + $1.modelCalls }) / d * scale
                prompt += Double(draws.reduce(0) { $0 + $1.promptTokens }) / d * scale
                completion += Double(draws.reduce(0) { $0 + $1.completionTokens }) / d * scale
                seconds += draws.reduce(0.0) { $0 + $1.seconds } / d * scale
            }
            // The proposals are stored samples (one call of k); the rest are new calls at their own context.
            let sampling = key.hasPrefix("moa") ? costs.sampling(k: 1) : costs.sampling(k: k)
            let extra = costs.extraCalls(calls: max(0, calls - Double(problemIDs.count)),
                                         promptTokens: max(0, prompt - Double(sampling.promptTokens ?? 0)),
                                         completionTokens: max(0, completion - Double(sampling.completionTokens ?? 0)),
                                         seconds: max(0, seconds - (sampling.seconds ?? 0)))
            // Tokens and time as recorded; FLOPs split between sampling and the longer aggregation contexts.
            let cost = Cost(promptTokens: Int(prompt.rounded()), completionTokens: Int(completion.rounded()), seconds: seconds,
                            flops: sampling.flops.flatMap { a in extra.flops.map { a + $0 } }, modelCalls: calls)
            points.append(CurvePoint(k: k, value: value / Double(answered.count), flops: cost.flops, cost: cost))
        }
        guard !points.isEmpty else { return nil }
        let draws = Set(outcomes.map(\.draw)).count
        return (Curve(name: name, kind: .other, points: points,
                      details: "the online strategy on \(draws) random k-subset\(draws == 1 ? "" : "s") of the stored samples per problem and k; new calls recorded in the store"),
                notes)
    }
}
