import ArgumentParser
import Foundation
import GGUF
import ModelHub
import QuorumKit
import Tokenizers
import Training

/// `quorum train dpo`: Iterative RPO's DPO + NLL loss (plain DPO at --alpha 0) on pairs
/// built from a run's verified samples.
struct PreferenceTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dpo",
        abstract: "Preference training (Iterative RPO's DPO + NLL loss; DPO at --alpha 0) on pairs from a run's verified samples.",
        discussion: """
            Pairs: per problem of the run, its correct samples (winners) against its incorrect ones (losers), walked \
            together with the shorter side cycling, at most --pairs-per-problem pairs, no pair twice; problems with no \
            winner or no loser are dropped, and so are pairs longer than the model's context or, together, than \
            --micro-batch-tokens (a pair's two sequences share a forward pass). The loss per pair is \
            −log σ(β·[log πθ(w|x) − log πref(w|x)] − β·[log πθ(l|x) − log πref(l|x)]) − α·log πθ(w|x)/|w|, averaged \
            over a step's pairs, with sequence log-probabilities summed over completion tokens; the reference is the \
            model as it starts, whose log-probabilities are computed once and kept in the checkpoint folder. \
            Each step reports the loss, the mean chosen and rejected log-probabilities, the reward margin and the \
            share of pairs it ranks right (--json). Checkpoints and resume as for `train sft`.
            """)

    @Option(name: .customLong("run"), help: "The run whose verified samples give the pairs (an id from `quorum runs`).")
    var runID: String

    @OptionGroup var pairing: PairOptions

    @Option(help: "β: DPO's inverse temperature (the paper's 0.1).")
    var beta: Double = 0.1

    @Option(help: "α: weight of the winner's length-normalised NLL (the paper's 1; 0 is plain DPO).")
    var alpha: Double = 1

    @OptionGroup var training: TrainingOptions

    func validate() throws {
        do { try IRPOObjective.Settings(beta: beta, alpha: alpha).validate() } catch { throw ValidationError(error.description) }
    }

    func run() throws { _ = try train() }

    /// Builds the pairs, trains (resuming from the checkpoints), writes the model; returns the
    /// pair count and every step's report, resumed steps included.
    func train() throws -> (pairs: Int, history: [StepReport]) {
        let modelURL = try ModelCache().resolve(training.model)
        let file = try GGUFFile(path: modelURL.path)
        let tokenizer = try Tokenizer(gguf: file)
        let runPairs = try RunPairs.build(runID: runID, options: pairing, seed: training.seed)
        let trainingModel = try TrainingModel(file: file, threads: training.threads)
        let tokenized = runPairs.result.pairs.map { $0.tokenized(with: tokenizer) }
        let context = trainingModel.configuration.contextLength
        let (kept, dropped) = PreferencePairing.fitting(tokenized, contextLength: context, pairTokenLimit: training.microBatchTokens)
        printError("pairs: \(runPairs.summary)")
        if dropped > 0 {
            printError("pairs: dropped \(dropped) longer than the context of \(context) tokens or, both sequences together, than "
                + "--micro-batch-tokens \(training.microBatchTokens)")
        }
        guard !kept.isEmpty else {
            throw ValidationError("No pair fits: raise --micro-batch-tokens (now \(training.microBatchTokens)) to at least twice the longest sequence.")
        }
        let pairs = kept.map { tokenized[$0] }
        let scoredTotal = pairs.reduce(0) { $0 + $1.chosen.scoredCount + $1.rejected.scoredCount }
        let settings = training.settings(scoredTotal: scoredTotal)
        let objective = IRPOObjective.Settings(beta: beta, alpha: alpha)
        let checkpoints = try training.checkpoints()
        let name = alpha == 0 ? "dpo (β \(beta))" : "irpo (β \(beta), α \(alpha))"
        printError("train dpo: \(modelURL.lastPathComponent) (\(trainingModel.layout.parameterCount) parameters, f32), \(name), "
            + "\(pairs.count) pairs (\(scoredTotal) completion tokens); \(settings.steps) steps of \(settings.batchTokens) tokens, "
            + "learning rate \(settings.learningRate) (\(training.schedule)), checkpoints in \(checkpoints.path)")
        let trainer = try PreferenceTrainer(model: trainingModel, pairs: pairs, settings: settings, objective: objective, checkpoints: checkpoints)
        if trainer.completedSteps > 0 { printError("resuming after step \(trainer.completedSteps)") }
        let (progress, step) = training.stepPrinter(totalSteps: settings.steps)
        try trainer.run(progress: step)
        progress.finish()
        try training.export(trainingModel, base: file, modelURL: modelURL, objective: name, data: runPairs.description + ", \(pairs.count) pairs",
                            steps: trainer.completedSteps, finalLoss: trainer.history.last?.loss ?? .nan)
        return (pairs.count, trainer.history)
    }
}
