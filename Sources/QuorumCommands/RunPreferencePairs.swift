import ArgumentParser
import Datasets
import Experiments
import Foundation
import QuorumKit
import RunStore
import ScalingCore
import Training

/// How a run's verified samples become preference pairs (`quorum train dpo`, `quorum export pairs`).
struct PairOptions: ParsableArguments {
    @Option(help: "The run store (default: QUORUM_HOME/runs.sqlite).")
    var store: String?

    @Option(help: "K: the most pairs a problem gives (the paper's 10 for GSM8K).")
    var pairsPerProblem: Int = 10

    @Flag(help: "GSM8K: the data set's worked solution joins each problem's winners, as the paper does (calculator annotations <<…>> removed, the answer written as the run's prompt asks: \"Final answer: N\", or \"#### N\" for gsm8k-fewshot).")
    var goldAsWinner = false

    @Option(help: "Keep a random subsample of at most this many pairs (the paper caps an iteration at about 60k).")
    var maxPairs: Int?

    func validate() throws {
        guard pairsPerProblem >= 1 else { throw ValidationError("--pairs-per-problem must be at least 1.") }
        if let maxPairs, maxPairs < 1 { throw ValidationError("--max-pairs must be at least 1.") }
    }
}

/// A run's pairs and what was counted on the way.
struct RunPairs {
    var result: PreferencePairing.Result
    /// Samples that were neither winners nor losers: the check did not decide (timeout, sandbox
    /// error) or sampling failed.
    var undecidedSamples = 0
    var goldWinners = 0
    var description: String

    /// Winners are the samples the run's verifier passed; losers those it failed, or found no
    /// answer in (the paper's reward is 0 when the extracted answer does not match), or whose
    /// program crashed. Problems keep the store's order (by id); pairing is seeded by `seed`.
    static func build(runID: String, options: PairOptions, seed: UInt64) throws -> RunPairs {
        let run = try StoredRunPrompts.load(runID: runID, storePath: options.store)
        let (runStore, configuration, template, problems) = (run.store, run.configuration, run.template, run.problems)
        if options.goldAsWinner && run.format != .gsm8k {
            throw ValidationError("--gold-as-winner needs a GSM8K run (worked solutions); run \(runID) is on \(configuration.dataset) "
                + "(\(run.format.rawValue)).")
        }
        let goldFormat: GoldSolution.AnswerFormat = template.name == "gsm8k-fewshot" ? .hashes : .finalAnswerLine
        var groups: [ProblemCompletions] = [], undecided = 0, golds = 0
        for record in try runStore.samples(runID: runID) {
            guard let problem = problems[record.problemID] else { continue }
            if groups.last?.problemID != record.problemID {
                var group = ProblemCompletions(problemID: problem.id, prompt: template.render(problem), winners: [], losers: [])
                if options.goldAsWinner, let gold = GoldSolution.gsm8k(problem, format: goldFormat) {
                    group.winners.append(gold)
                    golds += 1
                }
                groups.append(group)
            }
            guard record.completion.finishReason != .error else { undecided += 1; continue }
            switch record.verdict.outcome {
            case .passed: groups[groups.count - 1].winners.append(record.completion.text)
            case .failed, .unknown, .crashed: groups[groups.count - 1].losers.append(record.completion.text)
            case .timeout, .sandboxError: undecided += 1
            }
        }
        guard !groups.isEmpty else { throw ValidationError("Run \(runID) has no stored samples to pair.") }
        let result = PreferencePairing.pairs(from: groups, perProblem: options.pairsPerProblem, maximumPairs: options.maxPairs, seed: seed)
        guard !result.pairs.isEmpty else {
            throw ValidationError("Run \(runID) gives no pairs: of its \(groups.count) problems \(result.problemsWithoutWinner) have no "
                + "correct sample and \(result.problemsWithoutLoser) no incorrect one"
                + (options.goldAsWinner || run.format != .gsm8k ? "." : "; --gold-as-winner adds GSM8K's worked solution to the winners."))
        }
        return RunPairs(result: result, undecidedSamples: undecided, goldWinners: golds,
                        description: "run \(runID) (K \(options.pairsPerProblem)\(options.goldAsWinner ? ", gold as winner" : ""))")
    }

    /// One line of counts for the log.
    var summary: String {
        "\(result.pairs.count) pairs from \(result.problemsPaired) problems; dropped \(result.problemsWithoutWinner) problems without "
            + "a correct sample and \(result.problemsWithoutLoser) without an incorrect one"
            + (goldWinners > 0 ? "; \(goldWinners) gold solutions among the winners" : "")
            + (undecidedSamples > 0 ? "; \(undecidedSamples) undecided samples left out" : "")
            + (result.pairsSubsampledAway > 0 ? "; \(result.pairsSubsampledAway) pairs subsampled away (--max-pairs)" : "")
    }
}
