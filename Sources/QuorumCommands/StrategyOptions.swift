import Aggregation
import ArgumentParser
import Engine
import Experiments
import Foundation
import ModelHub
import QuorumKit
import RunStore
import ScalingCore
import Verifiers

/// `--strategy` and its companions: strategies evaluated over a run's stored samples after
/// sampling (`StrategyEvaluation`); their curves join the run's report.
struct StrategyOptions: ParsableArguments {
    @Option(name: .customLong("strategy"), parsing: .singleValue,
            help: "Evaluate a strategy on the run's samples, NAME[:PARAMS] (repeatable): \(StrategySpec.catalog.map(\.name).joined(separator: ", ")) (`quorum ask --help` lists their parameters; `majority` is self-consistency). Votes and best-of-N by logprob/verifier need no new calls; judge (score=judge, score=pairwise) and MoA strategies make recorded, resumable calls.")
    var strategies: [String] = []

    @Option(help: "Random k-subsets per budget for Mixture-of-Agents and pairwise-judge strategies (each costs aggregator or judge calls).")
    var strategyDraws: Int = 1

    @Option(name: .customLong("proposer"), parsing: .singleValue,
            help: "An extra moa proposer beside the run's model (repeatable): MODEL[@temperature=T][,top-p=P]; MODEL may be the run's own model.")
    var proposers: [String] = []

    func validate() throws {
        guard strategyDraws >= 1 else { throw ValidationError("--strategy-draws must be at least 1.") }
        for text in strategies {
            do { _ = try StrategySpec(parsing: text).makeStrategy() } catch { throw ValidationError(error.description) }
        }
        for text in proposers {
            do { _ = try OverridingProvider.parse(text) } catch { throw ValidationError(error.description) }
        }
    }

    /// Evaluates the strategies on a run whose samples are stored; does nothing without `--strategy`.
    func evaluate(run: PreparedRun, store: RunStore, quiet: Bool) async throws {
        guard !strategies.isEmpty else { return }
        let specs = try strategies.map { try StrategySpec(parsing: $0) }
        let extra: [any CompletionProvider] = try proposers.map { text in
            let (name, temperature, topP) = try OverridingProvider.parse(text)
            let base: any CompletionProvider = name == run.backend.modelName ? run.backend.provider
                : try ModelBackend.embedded(name, batchWidth: 1, hashFile: false).provider
            return temperature == nil && topP == nil ? base : OverridingProvider(base, temperature: temperature, topP: topP)
        }
        let outcome = try await run.evaluateStrategies(specs, draws: strategyDraws, proposers: extra, store: store) { line in
            if !quiet { printError(line) }
        }
        printError("strategies \(outcome.strategies.joined(separator: "; ")): \(outcome.newAnswers) answers and \(outcome.newCalls) model calls made, "
                   + "\(outcome.storedAnswers) answers and \(outcome.replayedCalls) calls already stored, \(String(format: "%.1f", outcome.seconds)) s")
    }
}
