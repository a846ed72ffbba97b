import Aggregation
import Foundation
import ScalingCore
import Testing

/// A scripted pairwise judge: the first request returns the samples; every later one is a
/// judge call answered by `verdict(A's answer, B's answer)`.
func pairwiseProvider(samples: [String], verdict: @escaping @Sendable (String, String) -> String) -> ScriptedProvider {
    ScriptedProvider { request, index in
        if index == 0 { return request.seeds.indices.map { (samples[$0 % samples.count], nil) } }
        guard case .messages(let messages) = request.prompt, let user = messages.last?.content else { return [("?", nil)] }
        return [(verdict(PairwiseJudgeTests.answer("A", in: user), PairwiseJudgeTests.answer("B", in: user)), nil)]
    }
}

struct PairwiseJudgeTests {
    /// The text between `[The Start of Assistant X's Answer]` and its end marker.
    static func answer(_ assistant: String, in user: String) -> String {
        let start = "[The Start of Assistant \(assistant)'s Answer]\n"
        let end = "\n[The End of Assistant \(assistant)'s Answer]"
        guard let from = user.range(of: start), let to = user.range(of: end, range: from.upperBound..<user.endIndex) else { return "" }
        return String(user[from.upperBound..<to.lowerBound])
    }

    /// A consistent judge: the answer with the larger number wins, equal numbers tie.
    static func larger(_ a: String, _ b: String) -> String {
        let x = Int(a.split(separator: " ").last ?? "") ?? 0, y = Int(b.split(separator: " ").last ?? "") ?? 0
        return x > y ? "[[A]]" : x < y ? "[[B]]" : "[[C]]"
    }

    static func evidence(_ result: StrategyResult) throws -> BestOfNEvidence {
        guard case .bestOfN(let evidence) = result.evidence else { throw TestFailure("expected best-of-N evidence") }
        return evidence
    }

    struct TestFailure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    @Test(arguments: [
        ("[[A]]", PairwiseVerdict.first), ("[[B]]", .second), ("[[C]]", .tie), ("[[ tie ]]", .tie),
        ("Both are fine, but [[A]]. On reflection: [[B]]", .second), ("Verdict: B", .second), ("Winner: Assistant A", .first),
        ("Assistant B is better.", .second), ("A", .first), ("[B]", .second), ("C.", .tie), ("Tie", .tie),
    ] as [(String, PairwiseVerdict)])
    func verdictsAreRead(reply: String, verdict: PairwiseVerdict) {
        #expect(PairwiseJudgePrompt.parseVerdict(reply) == verdict)
    }

    @Test(arguments: ["Both answers are good.", "", "I think the answer is 42", "a tie", "[[D]]", "Verdict: maybe"])
    func repliesWithoutAVerdictAreNil(reply: String) {
        #expect(PairwiseJudgePrompt.parseVerdict(reply) == nil)
    }

    @Test func knockoutJudgesBothOrdersAndGivesByesToTheLastOddCandidate() async throws {
        let texts = ["answer 3", "answer 7", "answer 5", "answer 2", "answer 4"]
        let provider = pairwiseProvider(samples: texts, verdict: Self.larger)
        let context = StrategyContext(provider: provider, parameters: SamplingParameters(temperature: 0.8, maxTokens: 50))
        let result = try await BestOfN(samples: 5, scorer: .pairwise).answer(.text("Pick a number."), using: context)
        #expect(result.text == "answer 7")
        let evidence = try Self.evidence(result)
        #expect(evidence.chosen == 1)
        let comparisons = try #require(evidence.comparisons)
        // Round 1: (0, 1) and (2, 3), 4 has a bye; round 2: (1, 2), 4 has a bye; round 3: (1, 4).
        #expect(comparisons.map(\.round) == [1, 1, 2, 3])
        #expect(comparisons.map(\.candidates) == [[0, 1], [2, 3], [1, 2], [1, 4]])
        #expect(comparisons.map(\.winner) == [1, 2, 1, 1])
        #expect(comparisons.map(\.advanced) == [1, 2, 1, 1])
        for comparison in comparisons {
            let (a, b) = (comparison.candidates[0], comparison.candidates[1])
            #expect(comparison.judgements.map(\.shownFirst) == [a, b] && comparison.judgements.map(\.shownSecond) == [b, a])
        }
        // Scores are comparisons won.
        #expect(evidence.samples.map(\.score) == [0, 3, 1, 0, 0])
        #expect(evidence.notes.isEmpty)

        // The calls: one sampling call of 5, then two greedy judge calls per comparison, in bracket order.
        let requests = await provider.requests
        #expect(requests.count == 1 + 2 * 4)
        #expect(requests[0].seeds.count == 5 && requests[0].parameters.temperature == 0.8)
        let judged = requests.dropFirst()
        #expect(judged.allSatisfy { $0.parameters.temperature == 0 && $0.seeds.count == 1 && $0.parameters.maxTokens == 24 })
        #expect(judged.allSatisfy { $0.prompt.systemMessage == PairwiseJudgePrompt.instruction })
        let shown = judged.map { request -> [String] in
            guard case .messages(let messages) = request.prompt else { return [] }
            return [Self.answer("A", in: messages[1].content), Self.answer("B", in: messages[1].content)]
        }
        let order = comparisons.flatMap { $0.judgements.map { [texts[$0.shownFirst], texts[$0.shownSecond]] } }
        #expect(shown == order)
        #expect(result.spend.modelCalls == 9 && result.spend.samples == 5 + 8)
        #expect(result.spend.promptTokens == 10 * 9 && result.spend.completionTokens == 5 * 13)
    }

    @Test func aJudgeThatAlwaysPicksOnePositionDecidesNothing() async throws {
        // "[[A]]" whatever it sees: each order prefers a different sample, so every comparison is a tie.
        let provider = pairwiseProvider(samples: ["answer 1", "answer 9", "answer 5", "answer 7"]) { _, _ in "[[A]]" }
        let knockout = try await BestOfN(samples: 4, scorer: .pairwise).answer(.text("q"), using: StrategyContext(provider: provider))
        let evidence = try Self.evidence(knockout)
        #expect(knockout.text == "answer 1" && evidence.chosen == 0)   // ties advance the earlier sample
        #expect(evidence.comparisons?.map(\.winner) == [nil, nil, nil])
        #expect(evidence.comparisons?.map(\.advanced) == [0, 2, 0])
        #expect(evidence.notes.contains { $0.contains("3 of 3 comparisons preferred whichever sample was shown first") })

        let robin = pairwiseProvider(samples: ["answer 1", "answer 9", "answer 5", "answer 7"]) { _, _ in "[[B]]" }
        let all = try await BestOfN(samples: 4, scorer: .pairwise, bracket: .roundRobin).answer(.text("q"), using: StrategyContext(provider: robin))
        let allEvidence = try Self.evidence(all)
        #expect(allEvidence.samples.map(\.score) == [1.5, 1.5, 1.5, 1.5] && allEvidence.chosen == 0)
        #expect(await robin.requests.count == 1 + 2 * 6)
    }

    @Test func roundRobinScoresPointsAndBreaksEqualPointsByTheEarlierSample() async throws {
        let provider = pairwiseProvider(samples: ["answer 5", "answer 9", "answer 9", "answer 1"], verdict: Self.larger)
        let result = try await BestOfN(samples: 4, scorer: .pairwise, bracket: .roundRobin)
            .answer(.text("q"), using: StrategyContext(provider: provider))
        let evidence = try Self.evidence(result)
        // 0 beats 3; 1 and 2 beat 0 and 3 and tie each other; 3 loses everything.
        #expect(evidence.samples.map(\.score) == [1, 2.5, 2.5, 0])
        #expect(evidence.chosen == 1 && result.text == "answer 9")
        #expect(evidence.comparisons?.map(\.candidates) == [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]])
        #expect(evidence.comparisons?.map(\.winner) == [1, 2, 0, nil, 1, 2])
        #expect(evidence.comparisons?.allSatisfy { $0.advanced == nil } == true)
        #expect(await provider.requests.count == 1 + 12)
        #expect(evidence.scorer == "pairwise judge, round-robin")
    }

    @Test func unparseableVerdictsCountAsTiesInThatOrder() async throws {
        // Sample 1 is better, but the judge mumbles whenever sample 1 is shown first.
        let provider = pairwiseProvider(samples: ["answer 2", "answer 8"]) { a, b in
            a == "answer 8" ? "Hmm, hard to say." : Self.larger(a, b)
        }
        let result = try await BestOfN(samples: 2, scorer: .pairwise).answer(.text("q"), using: StrategyContext(provider: provider))
        let evidence = try Self.evidence(result)
        let comparison = try #require(evidence.comparisons?.first)
        #expect(comparison.judgements.map(\.verdict) == [.second, nil])
        #expect(comparison.judgements[1].reply == "Hmm, hard to say.")
        #expect(comparison.winner == nil && comparison.advanced == 0 && result.text == "answer 2")
        #expect(evidence.notes.contains { $0.contains("1 of 2 judge replies had no verdict") })
    }

    @Test func aSingleSampleNeedsNoJudge() async throws {
        let provider = pairwiseProvider(samples: ["only"]) { _, _ in "[[A]]" }
        let result = try await BestOfN(samples: 1, scorer: .pairwise).answer(.text("q"), using: StrategyContext(provider: provider))
        #expect(result.text == "only" && result.spend.modelCalls == 1)
        #expect(try Self.evidence(result).comparisons == [])
    }

    @Test func aJudgePromptBeyondTheContextIsAnErrorNamingTheStep() async {
        let provider = pairwiseProvider(samples: ["answer 1", "answer 2"]) { _, _ in "[[A]]" }
        let window = ContextWindow(limit: 100) { prompt in
            guard case .messages(let messages) = prompt else { return 0 }
            return messages.reduce(0) { $0 + $1.content.count / 4 }
        }
        await #expect {
            _ = try await BestOfN(samples: 2, scorer: .pairwise).answer(.text("q"), using: StrategyContext(provider: provider, contextWindow: window))
        } throws: { error in
            guard case AggregationError.contextOverflow(let step, _, let maxTokens, let limit, _) = error else { return false }
            return step.contains("pairwise judging of samples 0") && maxTokens == 24 && limit == 100
        }
        #expect(await provider.requests.count == 1)   // nothing was sent to the judge
    }

    @Test func specsNameTheBracketOnlyForPairwise() throws {
        let spec = try StrategySpec(parsing: "best-of-n:4,score=pairwise,bracket=round-robin")
        let strategy = try #require(try spec.makeStrategy() as? BestOfN)
        #expect(strategy.scorer == .pairwise && strategy.bracket == .roundRobin && strategy.samples == 4)
        #expect(spec.description == "best-of-n:4,bracket=round-robin,score=pairwise")
        #expect(try #require(try StrategySpec(parsing: "bon:8,score=pairwise").makeStrategy() as? BestOfN).bracket == .knockout)
        #expect(strategy.offlineSelection == nil)
        #expect { try StrategySpec(parsing: "best-of-n:4,score=judge,bracket=knockout").makeStrategy() } throws: { error in
            String(describing: error).contains("no bracket unless score=pairwise")
        }
        #expect { try StrategySpec(parsing: "best-of-n:4,score=pairwise,bracket=swiss").makeStrategy() } throws: { error in
            String(describing: error).contains("knockout or round-robin")
        }
        #expect(PairwiseBracket.knockout.comparisons(candidates: 8) == 7 && PairwiseBracket.roundRobin.comparisons(candidates: 8) == 28)
    }

    @Test func evidenceRoundTripsAndOlderEvidenceStillDecodes() async throws {
        let provider = pairwiseProvider(samples: ["answer 1", "answer 2", "answer 3"], verdict: Self.larger)
        let result = try await BestOfN(samples: 3, scorer: .pairwise).answer(.text("q"), using: StrategyContext(provider: provider))
        let decoded = try JSONDecoder().decode(StrategyResult.self, from: try JSONEncoder().encode(result))
        #expect(decoded == result)
        // Best-of-N evidence written before pairwise judging existed has no comparisons field.
        let old = #"{"kind":"bestOfN","bestOfN":{"scorer":"judge","samples":[],"chosen":0,"rule":"r","notes":[]}}"#
        guard case .bestOfN(let evidence) = try JSONDecoder().decode(Evidence.self, from: Data(old.utf8)) else {
            Issue.record("expected best-of-N evidence"); return
        }
        #expect(evidence.comparisons == nil)
        // The terminal summary shows each comparison with its verdicts.
        #expect(result.summary().contains("round 1, samples 0 and 1: sample 1 wins, 1 advances; 0 vs 1: B ([[B]]); 1 vs 0: A ([[A]])"))
    }
}
