import Foundation

/// Objectives as pure functions from log-probabilities to a loss and `dL/dlogprob` per
/// scored token: the one backward (`TrainingModel.backward`) then serves them all
/// (llm.c's fused cross-entropy backward, with per-token weights).
public enum SFTObjective {
    /// Token-mean negative log-likelihood over every scored token of a step:
    /// `L = −Σ lp / totalTokens`, so `dL/dlp = −1/totalTokens`. `totalTokens` counts the
    /// whole step (all micro-batches), so gradients accumulated over micro-batches sum to
    /// the step's mean.
    public static func loss(logprobs: [[Double]], totalTokens: Int) -> (loss: Double, gradients: [[Float]]) {
        precondition(totalTokens > 0, "SFTObjective: no scored tokens")
        let weight = 1 / Double(totalTokens)
        let loss = -logprobs.reduce(0) { $0 + $1.reduce(0, +) } * weight
        return (loss, logprobs.map { $0.map { _ in Float(-weight) } })
    }
}

/// Iterative RPO's loss (Pang et al. 2024, ../shared/docs/TRAINING.md §4): DPO on a pair
/// against a frozen reference, plus the winner's negative log-likelihood normalised by its
/// length,
///
///     L = −log σ(β·[log πθ(w|x) − log πref(w|x)] − β·[log πθ(l|x) − log πref(l|x)]) − α·log πθ(w|x)/|w|,
///
/// averaged over the pairs of a step. Sequence log-probabilities are sums over the scored
/// (completion) tokens, `|w|` counts the winner's scored tokens, and the reference's sums are
/// given (computed once by the frozen starting model). `α = 0` is plain DPO (TRL's `sigmoid`).
/// With `z` the margin inside σ, every token of the winner gets `dL/dlp = (−β·σ(−z) − α/|w|)/P`
/// and every token of the loser `β·σ(−z)/P`.
public enum IRPOObjective {
    public struct Settings: Sendable, Equatable, Codable {
        /// DPO's inverse temperature (the paper's 0.1).
        public var beta: Double = 0.1
        /// Weight of the length-normalised NLL term on the winner (the paper's 1; 0 is DPO).
        public var alpha: Double = 1
        public init(beta: Double = 0.1, alpha: Double = 1) {
            self.beta = beta
            self.alpha = alpha
        }

        public func validate() throws(TrainingError) {
            guard beta > 0, beta.isFinite else { throw .invalidOption(name: "--beta", reason: "\(beta); give a finite number > 0 (the paper's is 0.1)") }
            guard alpha >= 0, alpha.isFinite else { throw .invalidOption(name: "--alpha", reason: "\(alpha); give a finite number ≥ 0 (the paper's is 1; 0 is plain DPO)") }
        }
    }

    /// The frozen reference model's sequence log-probabilities of one pair.
    public struct Reference: Sendable, Equatable, Codable {
        public var chosen: Double
        public var rejected: Double
        public init(chosen: Double, rejected: Double) {
            self.chosen = chosen
            self.rejected = rejected
        }
    }

    /// One pair's figures, for reports.
    public struct PairOutcome: Sendable, Equatable {
        /// log πθ(w|x) and log πθ(l|x): sums over the completion tokens.
        public var chosenLogprob: Double
        public var rejectedLogprob: Double
        /// The implicit rewards β·(log πθ − log πref) of each side, and their difference `z`.
        public var chosenReward: Double
        public var rejectedReward: Double
        public var margin: Double { chosenReward - rejectedReward }
        /// This pair's loss (before the mean over pairs).
        public var loss: Double
    }

    /// The loss of `pairs` (`(chosen, rejected)` per-token log-probabilities) as their share of a
    /// step of `pairsInStep` pairs, so micro-batches of one step add up to the step's mean.
    /// Returns the loss share, `dL/dlogprob` per token shaped like the input, and each pair's figures.
    public static func loss(pairs: [(chosen: [Double], rejected: [Double])], references: [Reference],
                            settings: Settings, pairsInStep: Int) -> (loss: Double, chosen: [[Float]], rejected: [[Float]], outcomes: [PairOutcome]) {
        precondition(pairs.count == references.count, "IRPOObjective: \(pairs.count) pairs, \(references.count) references")
        precondition(pairsInStep > 0, "IRPOObjective: no pairs in the step")
        let beta = settings.beta, alpha = settings.alpha, share = 1 / Double(pairsInStep)
        var total = 0.0
        var dChosen: [[Float]] = [], dRejected: [[Float]] = [], outcomes: [PairOutcome] = []
        for (pair, reference) in zip(pairs, references) {
            precondition(!pair.chosen.isEmpty, "IRPOObjective: a winner with no scored tokens")
            let chosen = pair.chosen.reduce(0, +), rejected = pair.rejected.reduce(0, +)
            let chosenReward = beta * (chosen - reference.chosen), rejectedReward = beta * (rejected - reference.rejected)
            let z = chosenReward - rejectedReward
            let length = Double(pair.chosen.count)
            // −log σ(z) = softplus(−z), written so neither exp overflows.
            let dpo = max(-z, 0) + log1p(exp(-abs(z)))
            let pairLoss = dpo - alpha * chosen / length
            let sigmoidOfMinusZ = 1 / (1 + exp(z))
            total += pairLoss * share
            dChosen.append(Array(repeating: Float((-beta * sigmoidOfMinusZ - alpha / length) * share), count: pair.chosen.count))
            dRejected.append(Array(repeating: Float(beta * sigmoidOfMinusZ * share), count: pair.rejected.count))
            outcomes.append(PairOutcome(chosenLogprob: chosen, rejectedLogprob: rejected, chosenReward: chosenReward,
                                        rejectedReward: rejectedReward, loss: pairLoss))
        }
        return (total, dChosen, dRejected, outcomes)
    }
}
