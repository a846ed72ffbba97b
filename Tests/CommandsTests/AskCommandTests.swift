import Aggregation
import ArgumentParser
import Foundation
import QuorumCommands
import TestSupport
import Testing

/// `quorum ask` as users run it, on the default model, parsed and run in-process.
@Suite(.serialized)
struct AskCommandTests {
    @Test func askAnswersWithItsEvidenceAndSpend() async throws {
        _ = try TestPaths.defaultModel()   // a missing model fails here, with how to install it
        let command = try #require(try Quorum.parseAsRoot(["ask", "--strategy", "self-consistency:3", "--max-tokens", "16",
                                                           "--seed", "3", "--json", "What is 2 + 3?"]) as? AskCommand)
        let result = try await command.answer()
        // What --json prints is this value; it must survive the JSON round trip users script against.
        let decoded = try JSONDecoder().decode(StrategyResult.self, from: JSONEncoder().encode(result))
        #expect(decoded == result)
        guard case .vote(let vote) = result.evidence else { Issue.record("expected vote evidence"); return }
        #expect(vote.samples.map(\.seed) == [3, 4, 5])
        #expect(result.spend.modelCalls == 1 && result.spend.samples == 3)
        #expect(vote.samples.allSatisfy { $0.completionTokens <= 16 })
    }

    @Test func anUnknownStrategyFailsWithTheList() throws {
        #expect(CommandLine.failure(["ask", "--strategy", "tree-of-thought", "Why?"])?.contains("Known strategies: single, self-consistency") == true)
    }
}

/// `quorum run --strategy` and `--proposer` reject what they cannot evaluate before any sampling.
struct RunStrategyOptionTests {
    @Test func badStrategiesAndProposersFailWithWhatIsKnown() throws {
        let strategy = CommandLine.failure(["run", "--dataset", "gsm8k", "--strategy", "self-consistency", "--strategy", "beam-search:4"])
        #expect(strategy?.contains("Unknown strategy 'beam-search'. Known strategies: single, self-consistency") == true, "\(strategy ?? "accepted")")
        let proposer = CommandLine.failure(["run", "--dataset", "gsm8k", "--strategy", "moa", "--proposer", "model@heat=2"])
        #expect(proposer?.contains("overrides temperature= or top-p=") == true, "\(proposer ?? "accepted")")
        let draws = CommandLine.failure(["run", "--dataset", "gsm8k", "--strategy", "self-moa:4", "--strategy-draws", "0"])
        #expect(draws?.contains("--strategy-draws must be at least 1") == true, "\(draws ?? "accepted")")
    }
}

extension CommandLine {
    /// The message `quorum` prints for `arguments` when it refuses them at parse time
    /// (exit 64, usage error), or nil when they parse and validate.
    static func failure(_ arguments: [String]) -> String? {
        do {
            _ = try Quorum.parseAsRoot(arguments)
            return nil
        } catch {
            #expect(Quorum.exitCode(for: error).rawValue == 64, "\(arguments): \(error)")
            return Quorum.message(for: error)
        }
    }
}
