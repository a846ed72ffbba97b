import Aggregation
import Foundation
import TestSupport
import Testing

/// `quorum ask` as users run it, on the default model.
@Suite(.serialized)
struct AskCommandTests {
    /// The `quorum` executable built beside this test bundle (as CrashSafetyTests finds it).
    @Test func askPrintsTheResultAsJSON() throws {
        _ = try TestPaths.defaultModel()   // a missing model fails here, with how to install it
        let output = try Shell.output([try TestPaths.quorumBinary(), "ask", "--strategy", "self-consistency:3", "--max-tokens", "16",
                                       "--seed", "3", "--json", "What is 2 + 3?"])
        let result = try JSONDecoder().decode(StrategyResult.self, from: Data(output.utf8))
        guard case .vote(let vote) = result.evidence else { Issue.record("expected vote evidence"); return }
        #expect(vote.samples.map(\.seed) == [3, 4, 5])
        #expect(result.spend.modelCalls == 1 && result.spend.samples == 3)
        #expect(vote.samples.allSatisfy { $0.completionTokens <= 16 })
    }

    @Test func anUnknownStrategyFailsWithTheList() throws {
        let result = try Shell.run([try TestPaths.quorumBinary(), "ask", "--strategy", "tree-of-thought", "Why?"])
        #expect(result.status != 0)
        #expect(result.standardError.contains("Known strategies: single, self-consistency"))
    }
}

/// `quorum run --strategy` and `--proposer` reject what they cannot evaluate before any sampling.
struct RunStrategyOptionTests {
    @Test func badStrategiesAndProposersFailWithWhatIsKnown() throws {
        let quorum = try TestPaths.quorumBinary()
        let strategy = try Shell.run([quorum, "run", "--dataset", "gsm8k", "--strategy", "self-consistency", "--strategy", "beam-search:4"])
        #expect(strategy.status != 0)
        #expect(strategy.standardError.contains("Unknown strategy 'beam-search'. Known strategies: single, self-consistency"))
        let proposer = try Shell.run([quorum, "run", "--dataset", "gsm8k", "--strategy", "moa", "--proposer", "model@heat=2"])
        #expect(proposer.status != 0)
        #expect(proposer.standardError.contains("overrides temperature= or top-p="))
        let draws = try Shell.run([quorum, "run", "--dataset", "gsm8k", "--strategy", "self-moa:4", "--strategy-draws", "0"])
        #expect(draws.status != 0 && draws.standardError.contains("--strategy-draws must be at least 1"))
    }
}
