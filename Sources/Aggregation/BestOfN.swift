import Foundation
import ScalingCore

/// How best-of-N scores a sample.
public enum BestOfNScorer: String, Codable, Sendable, Hashable, CaseIterable {
    /// Mean token log-probability (length-normalised); needs a backend that reports it.
    case logprob
    /// An LLM judge (the context's provider) rates each sample 0 to 10 (`JudgePrompt`).
    case judge
    /// The context's verifier: the first sample that passes wins.
    case verifier
    /// An LLM judge (the context's provider) compares samples two at a time, in both orders
    /// (`PairwiseJudgePrompt`), over a knockout or round-robin bracket (`PairwiseBracket`).
    case pairwise
}

/// Best-of-N: draw n samples in one call, score each, return the best.
///
/// Selection rule: the highest score wins; among equal scores the earliest sample. A
/// sample without a score (no log-probability, an unparseable judge reply) ranks below
/// every scored one. By verifier, the first sample that passes wins; if none passes, the
/// first sample is returned and the evidence says so.
///
/// By pairwise judge, the samples meet in a bracket (`PairwiseTournament`): each comparison
/// asks the judge twice with the two samples swapped, a win needs both orders, ties go to the
/// earlier sample. A knockout costs 2(n − 1) judge calls, a round robin n(n − 1).
public struct BestOfN: Strategy {
    public var samples: Int
    public var scorer: BestOfNScorer
    /// Tokens the judge may write (it is asked for a score or a verdict only).
    public var judgeMaxTokens: Int
    /// The pairwise judge's bracket (pairwise scoring only).
    public var bracket: PairwiseBracket

    public init(samples: Int, scorer: BestOfNScorer = .logprob, judgeMaxTokens: Int = 24, bracket: PairwiseBracket = .knockout) {
        self.samples = samples
        self.scorer = scorer
        self.judgeMaxTokens = judgeMaxTokens
        self.bracket = bracket
    }

    public var specification: String {
        "best-of-n:\(samples)" + (scorer == .pairwise && bracket != .knockout ? ",bracket=\(bracket.rawValue)" : "")
            + ",score=\(scorer.rawValue)"
    }

    /// By log-probability or verifier: computable from stored samples. By judge: needs judge calls.
    public var offlineSelection: OfflineSelection? {
        switch scorer {
        case .logprob: .bestOfNByLogprob
        case .verifier: .bestOfNByVerifier
        case .judge, .pairwise: nil
        }
    }

    public var sampleCount: Int? { samples }
    public func withSampleCount(_ count: Int) -> any Strategy {
        var copy = self
        copy.samples = count
        return copy
    }

    /// The judge's sampling: greedy, `judgeMaxTokens` tokens, no log-probabilities, from the
    /// aggregator parameters (else the proposal parameters). Online and offline judge alike.
    /// The 0-10 judge's call on one response (`score=judge`); nil for the other scorers,
    /// whose scores need no call of their own (log-probability, verifier) or compare two
    /// responses at a time (pairwise).
    public var judgesEachSample: Bool { scorer == .judge }

    public func judgement(of response: String, to question: ProblemPrompt, context: StrategyContext,
                          seed: UInt64) -> CompletionRequest? {
        guard judgesEachSample else { return nil }
        return CompletionRequest(prompt: JudgePrompt.prompt(question: question, response: response),
                                 parameters: judgeParameters(context), seeds: [seed], role: .judgement)
    }

    public func judgeParameters(_ context: StrategyContext) -> SamplingParameters {
        var judgeParameters = context.aggregatorParameters ?? context.parameters
        judgeParameters.temperature = 0
        judgeParameters.maxTokens = judgeMaxTokens
        judgeParameters.logprobs = nil
        return judgeParameters
    }

    public static let rule = "highest score wins; equal scores go to the earliest sample; unscored samples rank last"

    public func answer(_ prompt: ProblemPrompt, using context: StrategyContext) async throws -> StrategyResult {
        if scorer == .verifier, context.verifier == nil {
            throw AggregationError.missingRequirement(strategy: specification, what: "a verifier",
                                                      hint: "Give the context a verifier (and the problem it checks against), or score by logprob or judge.")
        }
        var ledger = CallLedger(seed: context.seed)
        var parameters = context.parameters
        if scorer == .logprob, parameters.logprobs == nil { parameters.logprobs = 0 }
        let completions = try await ledger.sample(context.provider, prompt, parameters, count: samples, role: .proposal, step: "sampling")
        var evidenceSamples = completions.enumerated().map { EvidenceSample($1, index: $0) }
        var notes: [String] = []
        var comparisons: [PairwiseComparison]?
        let chosen: Int
        switch scorer {
        case .logprob:
            for i in evidenceSamples.indices { evidenceSamples[i].score = completions[i].meanLogprob }
            if evidenceSamples.allSatisfy({ $0.score == nil }) {
                throw AggregationError.missingRequirement(
                    strategy: specification, what: "log-probabilities",
                    hint: "The backend \(context.provider.modelName) reported none; score by judge instead.")
            }
            chosen = Self.best(evidenceSamples.map(\.score))
        case .judge:
            let judgeParameters = judgeParameters(context)
            for i in completions.indices {
                let judgePrompt = JudgePrompt.prompt(question: prompt, response: completions[i].text)
                let reply = try await ledger.sample(context.provider, judgePrompt, judgeParameters, count: 1, role: .judgement,
                                                    step: "judging sample \(i)")[0]
                evidenceSamples[i].score = JudgePrompt.parseScore(reply.text)
                evidenceSamples[i].scoreDetail = reply.text
                if evidenceSamples[i].score == nil { notes.append("Sample \(i): judge reply has no score 0-10; ranked last.") }
            }
            chosen = Self.best(evidenceSamples.map(\.score))
            if evidenceSamples.allSatisfy({ $0.score == nil }) { notes.append("No judge reply had a score; the first sample is returned.") }
        case .verifier:
            let verifier = context.verifier!
            let problem = context.problem ?? Problem(id: "ask", prompt: prompt, reference: ProblemReference())
            var firstPassing: Int?
            for i in completions.indices {
                let verdict = await verifier.verify(completions[i].text, for: problem)
                evidenceSamples[i].score = verdict.isCorrect ? 1 : 0
                evidenceSamples[i].scoreDetail = verdict.outcome.rawValue + (verdict.detail.map { ": \($0)" } ?? "")
                if verdict.isCorrect, firstPassing == nil { firstPassing = i }
            }
            if firstPassing == nil { notes.append("No sample passed \(verifier.name); the first sample is returned.") }
            chosen = firstPassing ?? 0
        case .pairwise:
            let judged = try await pairwise(prompt, completions, context: context, ledger: &ledger)
            for i in evidenceSamples.indices { evidenceSamples[i].score = judged.scores[i] }
            comparisons = judged.comparisons
            chosen = judged.chosen
            notes += judged.notes
        }
        let rule: String
        switch scorer {
        case .verifier: rule = "the first sample that passes wins"
        case .pairwise: rule = PairwiseTournament.rule
        case .logprob, .judge: rule = Self.rule
        }
        let evidence = BestOfNEvidence(
            scorer: scorer == .verifier ? "verifier:\(context.verifier!.name)"
                : scorer == .pairwise ? "pairwise judge, \(bracket.rawValue)" : scorer.rawValue,
            samples: evidenceSamples, chosen: chosen, rule: rule, notes: notes, comparisons: comparisons)
        return StrategyResult(text: completions[chosen].text,
                              extractedAnswer: context.grouping.answer(of: completions[chosen].text),
                              evidence: .bestOfN(evidence), spend: ledger.finalSpend)
    }

    /// The pairwise bracket over `completions`: every judge call checked against the context
    /// window, made greedily (`judgeParameters`), recorded with its reply.
    func pairwise(_ prompt: ProblemPrompt, _ completions: [Completion], context: StrategyContext,
                  ledger: inout CallLedger) async throws -> (comparisons: [PairwiseComparison], chosen: Int, scores: [Double], notes: [String]) {
        let judgeParameters = judgeParameters(context)
        var calls = ledger
        defer { ledger = calls }
        let tournament = PairwiseTournament(bracket: bracket) { first, second in
            let judgePrompt = PairwiseJudgePrompt.prompt(question: prompt, first: completions[first].text, second: completions[second].text)
            let step = "pairwise judging of samples \(first) (shown first) and \(second)"
            try await context.contextWindow?.ensureFits(
                judgePrompt, maxTokens: judgeParameters.maxTokens, step: step,
                hint: "The judge sees two samples at once: sample fewer max tokens, or score by judge (one sample per prompt).")
            let reply = try await calls.sample(context.provider, judgePrompt, judgeParameters, count: 1, role: .judgement, step: step)[0]
            return PairwiseJudgement(shownFirst: first, shownSecond: second, verdict: PairwiseJudgePrompt.parseVerdict(reply.text),
                                     reply: reply.text, promptTokens: reply.promptTokens, completionTokens: reply.completionTokens)
        }
        let (comparisons, chosen, scores) = try await tournament.run(candidates: completions.count)
        var notes: [String] = []
        let judgements = comparisons.flatMap(\.judgements)
        let unread = judgements.filter { $0.verdict == nil }.count
        if unread > 0 { notes.append("\(unread) of \(judgements.count) judge replies had no verdict [[A]], [[B]] or [[C]]; each counted as a tie.") }
        let split = comparisons.filter { c in
            let preferred = c.judgements.compactMap(PairwiseTournament.preferred)
            return preferred.count == 2 && preferred[0] != preferred[1]
        }.count
        if split > 0 { notes.append("\(split) of \(comparisons.count) comparisons preferred whichever sample was shown first (or second) in both orders; each is a tie.") }
        return (comparisons, chosen, scores, notes)
    }

    /// The index chosen by `rule`: the highest score, earliest on ties, unscored last.
    /// With no scores at all, sample 0.
    public static func best(_ scores: [Double?]) -> Int {
        var best = 0
        var bestScore = -Double.infinity
        var found = false
        for (i, score) in scores.enumerated() {
            guard let score, !score.isNaN else { continue }
            if !found || score > bestScore {
                best = i
                bestScore = score
                found = true
            }
        }
        return best
    }
}

/// The LLM-judge prompt of best-of-N and how its reply is read.
public enum JudgePrompt {
    /// The instruction the judge receives as a system message; the question and the response
    /// follow in the user message. Modelled on MT-Bench's single-answer grading prompt
    /// (Zheng et al. 2023), with a `Score: N` reply format that small models follow more
    /// reliably than `[[N]]`; both are accepted.
    public static let instruction = """
        You are an impartial judge. Rate how well the response answers the question: correctness first, \
        then helpfulness and clarity. Reply with a single line of the form "Score: N", where N is an \
        integer from 0 (useless or wrong) to 10 (perfect), and nothing else.
        """

    /// The judge's prompt for one response.
    public static func prompt(question: ProblemPrompt, response: String) -> ProblemPrompt {
        .messages([
            ChatMessage(role: "system", content: instruction),
            ChatMessage(role: "user", content: "[Question]\n\(MixtureOfAgentsPrompt.lastUserText(question))\n\n[Response]\n\(response)\n\n[Your rating]"),
        ])
    }

    /// The score in a judge's reply, or nil when it has none.
    ///
    /// Reads, in order: `[[N]]`; `Score: N` / `Rating: N` (last occurrence); `N/10` or
    /// `N out of 10`; a reply that is only a number. N may be a decimal and must lie in
    /// 0...10; anything else is unparseable (nil), which best-of-N ranks last.
    public static func parseScore(_ reply: String) -> Double? {
        let patterns = [
            #"\[\[\s*(\d+(?:\.\d+)?)\s*\]\]"#,
            #"(?i)(?:score|rating)\s*[:=]?\s*\**\s*(\d+(?:\.\d+)?)"#,
            #"(\d+(?:\.\d+)?)\s*(?:/|out of)\s*10\b"#,
            #"^\s*(\d+(?:\.\d+)?)\s*\.?\s*$"#,
        ]
        for pattern in patterns {
            guard let regex = try? NSRegularExpression(pattern: pattern) else { continue }
            let range = NSRange(reply.startIndex..., in: reply)
            guard let match = regex.matches(in: reply, range: range).last,
                  let r = Range(match.range(at: 1), in: reply), let value = Double(reply[r]) else { continue }
            return (0...10).contains(value) ? value : nil
        }
        return nil
    }
}
