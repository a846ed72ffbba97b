import Aggregation
import Foundation
import ScalingCore
import Testing

/// Votes over hand-made sample sets: the classes, winners and ties are worked out by hand.
struct VoteTests {
    @Test func mathGroupingPutsEquivalentAnswersInOneClass() {
        let outputs = ["So the answer is \\boxed{1/2}.", "Thus \\boxed{0.5}", "\\boxed{3}", "We get \\boxed{\\frac{1}{2}}",
                       "#### 3", "I do not know."]
        let vote = MajorityVote.evidence(outputs, grouping: .math)
        #expect(vote.classes.map(\.answer) == ["1/2", "3"])
        #expect(vote.classes.map(\.members) == [[0, 1, 3], [2, 4]])
        #expect(vote.classes.map(\.weight) == [3, 2])
        #expect(vote.winner == 0)
        #expect(vote.tiedClasses.isEmpty)
        #expect(vote.abstained == [5])
        #expect(vote.samples[1].answer == "0.5" && vote.samples[1].answerClass == 0)
    }

    @Test func extractedGroupingDoesNotUseEquivalence() {
        let outputs = ["\\boxed{0.5}", "\\boxed{1/2}", "\\boxed{2}", "\\boxed{ 2 }"]
        let math = MajorityVote.evidence(outputs, grouping: .math)
        #expect(math.classes.map(\.members) == [[0, 1], [2, 3]])
        let extracted = MajorityVote.evidence(outputs, grouping: .extracted)
        #expect(extracted.classes.map(\.members) == [[0], [1], [2, 3]])
        #expect(extracted.winner == 2)
    }

    @Test func textGroupingIgnoresCaseSpacingAndFinalPunctuation() {
        let vote = MajorityVote.evidence(["Lyon", "Paris", " paris.", "PARIS", "Lyon", "  "], grouping: .text)
        #expect(vote.classes.map(\.answer) == ["Lyon", "Paris"])
        #expect(vote.classes.map(\.members) == [[0, 4], [1, 2, 3]])
        #expect(vote.winner == 1)
        #expect(vote.abstained == [5])
    }

    @Test func tieGoesToTheClassSeenFirstAndIsReported() {
        let first = MajorityVote.evidence(["\\boxed{7}", "\\boxed{5}", "\\boxed{5}", "\\boxed{7}"], grouping: .math)
        #expect(first.winner == 0)
        #expect(first.classes[0].answer == "7")
        #expect(first.tiedClasses == [0, 1])
        #expect(first.tieRule.contains("earliest"))
        // The same votes in another order: the rule follows sample order, not the values.
        let second = MajorityVote.evidence(["\\boxed{5}", "\\boxed{7}", "\\boxed{7}", "\\boxed{5}"], grouping: .math)
        #expect(second.classes[second.winner!].answer == "5")
        #expect(second.tiedClasses == [0, 1])
    }

    @Test func anEmptyBoxIsNoAnswer() {
        let vote = MajorityVote.evidence(["\\boxed{}", "\\boxed{ }", "\\boxed{2}"], grouping: .math)
        #expect(vote.abstained == [0, 1])
        #expect(vote.classes.map(\.answer) == ["2"])
    }

    @Test func resultsRoundTripThroughJSONWithTheirKind() async throws {
        let provider = ScriptedProvider(samples: ["\\boxed{1}", "\\boxed{2}", "\\boxed{2}"])
        let result = try await MajorityVote(samples: 3).answer(.text("q"), using: StrategyContext(provider: provider))
        let data = try JSONEncoder().encode(result)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let evidence = try #require(object["evidence"] as? [String: Any])
        #expect(evidence["kind"] as? String == "vote")
        #expect(try JSONDecoder().decode(StrategyResult.self, from: data) == result)
    }

    @Test func noAnswersMeansNoWinner() {
        let vote = MajorityVote.evidence(["no idea", "cannot say"], grouping: .math)
        #expect(vote.winner == nil)
        #expect(vote.classes.isEmpty)
        #expect(vote.abstained == [0, 1])
    }

    @Test func tallyWeighsByAnyScoreAndIgnoresNonFiniteWeights() {
        // Class 0: 0.2 + 0.3 = 0.5; class 1: 0.9; class 2: NaN counts 0.
        let tally = Vote.tally(classOf: [0, 1, 0, nil, 2], weights: [0.2, 0.9, 0.3, 5.0, .nan])
        #expect(tally.winner == 1)
        #expect(tally.weights == [0.5, 0.9, 0])
        #expect(tally.members == [[0, 2], [1], [4]])
        #expect(tally.tied == [1])
    }

    @Test func majorityVoteStrategySamplesOnceAndReturnsTheWinnersFirstMember() async throws {
        let provider = ScriptedProvider(samples: ["Maybe \\boxed{4}", "It is \\boxed{9}", "Surely \\boxed{9}", "\\boxed{4.0}",
                                                  "\\boxed{9}"])
        let context = StrategyContext(provider: provider, parameters: SamplingParameters(temperature: 0.7, maxTokens: 64), seed: 100)
        let result = try await MajorityVote(samples: 5).answer(.text("q"), using: context)
        #expect(result.text == "It is \\boxed{9}")
        #expect(result.extractedAnswer == "9")
        guard case .vote(let vote) = result.evidence else { Issue.record("expected vote evidence"); return }
        #expect(vote.classes.map(\.members) == [[0, 3], [1, 2, 4]])
        let requests = await provider.requests
        #expect(requests.count == 1)
        #expect(requests[0].seeds == [100, 101, 102, 103, 104])
        #expect(requests[0].parameters.logprobs == nil)
        #expect(result.spend.modelCalls == 1 && result.spend.samples == 5)
        #expect(result.spend.promptTokens == 10 && result.spend.completionTokens == 25)
    }

    @Test func weightedVoteCanOverturnTheMajority() async throws {
        // Two confident-less samples say 4 (weight e^-2 each), one confident sample says 9 (e^-0.1).
        let provider = ScriptedProvider(samples: ["\\boxed{4}", "\\boxed{4}", "\\boxed{9}"], logprobs: [-2, -2, -0.1])
        let context = StrategyContext(provider: provider)
        let weighted = try await MajorityVote(samples: 3, weighting: .logprob).answer(.text("q"), using: context)
        #expect(weighted.extractedAnswer == "9")
        guard case .vote(let vote) = weighted.evidence else { Issue.record("expected vote evidence"); return }
        #expect(abs(vote.classes[0].weight - 2 * exp(-2.0)) < 1e-12)
        #expect(abs(vote.classes[1].weight - exp(-0.1)) < 1e-12)
        #expect(await provider.requests[0].parameters.logprobs == 0)   // it asked for log-probabilities

        let plain = try await MajorityVote(samples: 3).answer(.text("q"), using: StrategyContext(provider: ScriptedProvider(
            samples: ["\\boxed{4}", "\\boxed{4}", "\\boxed{9}"], logprobs: [-2, -2, -0.1])))
        #expect(plain.extractedAnswer == "4")
    }

    @Test func weightedVoteWithoutLogprobsIsAnError() async {
        let provider = ScriptedProvider(samples: ["\\boxed{4}"], logprobs: nil)
        await #expect(throws: AggregationError.self) {
            try await MajorityVote(samples: 2, weighting: .logprob).answer(.text("q"), using: StrategyContext(provider: provider))
        }
    }
}
