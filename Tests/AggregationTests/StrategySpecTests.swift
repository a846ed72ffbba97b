import Aggregation
import Testing

struct StrategySpecTests {
    @Test func parsesNameCountAndOptions() throws {
        let spec = try StrategySpec(parsing: "best-of-n:8,score=judge")
        #expect(spec.name == "best-of-n")
        #expect(spec.samples == 8)
        #expect(spec.options == ["score": "judge"])
        let strategy = try #require(try spec.makeStrategy() as? BestOfN)
        #expect(strategy.samples == 8)
        #expect(strategy.scorer == .judge)
    }

    @Test func seqTakesWindowAndRepeatsAndDefaultsN() throws {
        let seq = try #require(try StrategySpec(parsing: "self-moa-seq:16,window=4").makeStrategy() as? SequentialSelfMixtureOfAgents)
        #expect(seq.samples == 16 && seq.window == 4 && seq.synthesisRepeats == 2)
        let defaulted = try #require(try StrategySpec(parsing: "self-moa-seq:repeats=1").makeStrategy(defaultSamples: 6)
            as? SequentialSelfMixtureOfAgents)
        #expect(defaulted.samples == 6 && defaulted.synthesisRepeats == 1)
        let vote = try #require(try StrategySpec(parsing: "majority-vote:5,group=text").makeStrategy() as? MajorityVote)
        #expect(vote.samples == 5 && vote.grouping == .text && vote.weighting == .count)
        let moa = try #require(try StrategySpec(parsing: "moa:layers=2").makeStrategy() as? MixtureOfAgents)
        #expect(moa.layers == 2)
    }

    @Test func specRoundTripsThroughItsDescription() throws {
        for text in ["self-consistency:16,group=math", "best-of-n:8,score=logprob", "self-moa-seq:16,repeats=2,window=4", "single"] {
            #expect(try StrategySpec(parsing: text).description == text)
        }
    }

    @Test func unknownStrategyListsTheKnownOnes() {
        #expect {
            try StrategySpec(parsing: "tree-of-thought:4")
        } throws: { error in
            let message = String(describing: error)
            return message.contains("tree-of-thought") && message.contains("self-consistency")
                && message.contains("self-moa-seq") && message.contains("best-of-n")
        }
    }

    @Test func badParametersNameWhatIsExpected() {
        #expect { try StrategySpec(parsing: "self-moa-seq:16,widow=4") } throws: { error in
            let message = String(describing: error)
            return message.contains("widow") && message.contains("window=")
        }
        #expect { try StrategySpec(parsing: "best-of-n:4,score=vibes").makeStrategy() } throws: { error in
            String(describing: error).contains("logprob, judge, pairwise or verifier")
        }
        #expect { try StrategySpec(parsing: "self-moa-seq:8,window=0").makeStrategy() } throws: { error in
            String(describing: error).contains("at least 1")
        }
        #expect(throws: AggregationError.self) { try StrategySpec(parsing: "self-consistency:0") }
        #expect(throws: AggregationError.self) { try StrategySpec(parsing: "moa:3") }
    }
}
