import Aggregation
import ScalingCore
import Testing

/// Passes a completion that contains "42".
struct ContainsFortyTwo: Verifier {
    let name = "contains-42"
    func verify(_ completion: String, for problem: Problem) async -> Verdict {
        completion.contains("42") ? Verdict(.passed) : Verdict(.failed, detail: "no 42")
    }
}

struct BestOfNTests {
    @Test func logprobPicksTheHighestMeanEarliestOnTiesUnscoredLast() async throws {
        let provider = ScriptedProvider(samples: ["a", "b", "c", "d"], logprobs: [-1, -0.5, -0.5, nil])
        let result = try await BestOfN(samples: 4, scorer: .logprob).answer(.text("q"), using: StrategyContext(provider: provider))
        #expect(result.text == "b")
        guard case .bestOfN(let evidence) = result.evidence else { Issue.record("expected best-of-N evidence"); return }
        #expect(evidence.chosen == 1)
        #expect(evidence.samples.map(\.score) == [-1, -0.5, -0.5, nil])
        #expect(await provider.requests.count == 1)
    }

    @Test func bestIndexRule() {
        #expect(BestOfN.best([nil, 2, 5, 5]) == 2)
        #expect(BestOfN.best([nil, nil]) == 0)
        #expect(BestOfN.best([-3, .nan, -4]) == 0)
        #expect(BestOfN.best([nil, -7]) == 1)
    }

    @Test(arguments: [
        ("Score: 7", 7.0), ("**Score:** 9", 9), ("[[ 6.5 ]]", 6.5), ("I rate it 8 out of 10.", 8), ("3/10", 3),
        ("Score: 4. On reflection, Score: 6", 6), ("10", 10), ("Rating = 0", 0),
    ] as [(String, Double)])
    func judgeScoresAreRead(reply: String, score: Double) {
        #expect(JudgePrompt.parseScore(reply) == score)
    }

    @Test(arguments: ["The response is fine.", "Score: 12", "11/10", "", "Score: high"])
    func unreadableJudgeRepliesHaveNoScore(reply: String) {
        #expect(JudgePrompt.parseScore(reply) == nil)
    }

    @Test func judgeScoresEverySampleGreedilyAndRanksUnparseableLast() async throws {
        let replies = ["first answer": "Score: 3", "second answer": "[[8]]", "third answer": "Clearly 8/10", "fourth answer": "great!"]
        let provider = ScriptedProvider { request, index in
            if index == 0 { return ["first answer", "second answer", "third answer", "fourth answer"].map { ($0, nil) } }
            guard case .messages(let messages) = request.prompt, let user = messages.last?.content,
                  let reply = replies.first(where: { user.contains($0.key) })?.value else { return [("?", nil)] }
            return [(reply, nil)]
        }
        let context = StrategyContext(provider: provider, parameters: SamplingParameters(temperature: 0.9, maxTokens: 100))
        let result = try await BestOfN(samples: 4, scorer: .judge).answer(.text("What?"), using: context)
        #expect(result.text == "second answer")
        guard case .bestOfN(let evidence) = result.evidence else { Issue.record("expected best-of-N evidence"); return }
        #expect(evidence.samples.map(\.score) == [3, 8, 8, nil])
        #expect(evidence.notes.count == 1 && evidence.notes[0].contains("Sample 3"))
        let requests = await provider.requests
        #expect(requests.count == 5)
        #expect(requests.dropFirst().allSatisfy { $0.parameters.temperature == 0 && $0.seeds.count == 1 })
        #expect(requests[1].prompt.systemMessage == JudgePrompt.instruction)
        #expect(result.spend.modelCalls == 5 && result.spend.samples == 8)
    }

    @Test func verifierPicksTheFirstPassingSample() async throws {
        let provider = ScriptedProvider(samples: ["41", "42 first", "42 second"])
        let context = StrategyContext(provider: provider, verifier: ContainsFortyTwo())
        let result = try await BestOfN(samples: 3, scorer: .verifier).answer(.text("q"), using: context)
        #expect(result.text == "42 first")
        guard case .bestOfN(let evidence) = result.evidence else { Issue.record("expected best-of-N evidence"); return }
        #expect(evidence.scorer == "verifier:contains-42")
        #expect(evidence.samples.map(\.score) == [0, 1, 1])
    }

    @Test func verifierWithNoPassingSampleReturnsTheFirstAndSaysSo() async throws {
        let provider = ScriptedProvider(samples: ["1", "2"])
        let result = try await BestOfN(samples: 2, scorer: .verifier)
            .answer(.text("q"), using: StrategyContext(provider: provider, verifier: ContainsFortyTwo()))
        #expect(result.text == "1")
        guard case .bestOfN(let evidence) = result.evidence else { Issue.record("expected best-of-N evidence"); return }
        #expect(evidence.notes.contains { $0.contains("No sample passed") })
    }

    @Test func verifierScoringWithoutAVerifierIsAnError() async {
        await #expect {
            try await BestOfN(samples: 2, scorer: .verifier).answer(.text("q"), using: StrategyContext(provider: ScriptedProvider(samples: ["x"])))
        } throws: { error in
            String(describing: error).contains("needs a verifier")
        }
    }
}
