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

/// The clipped policy-gradient objective of reinforcement learning from sampled completions
/// (PPO's clipped surrogate, Schulman et al. 2017, token-level as in GRPO and verl's
/// `compute_policy_loss_vanilla`), with an optional KL penalty to a reference model.
///
/// Every scored token t of sequence i carries its sequence's advantage `A_i` (from
/// `RLOOAdvantages`, `TangLeaveOneOutAdvantages` or `PKPOAdvantages`). The importance ratio is
/// between the training log-probability `lp` and the log-probability the sampler drew the
/// token with, `lp_s` (the engine samples in int8, the trainer works in f32, so the two differ
/// even on-policy):
///
///     ρ = exp(clamp(lp − lp_s, −20, 20))
///     ℓ = max(−A·ρ, −A·clamp(ρ, 1 − ε_low, 1 + ε_high))     PPO's clip
///     ℓ = min(ℓ, −A·c)  when A < 0                             dual clip (Ye et al. 2020)
///     κ = clamp(lp_ref − lp, −20, 20),  k3 = min(e^κ − κ − 1, 10)   KL(π‖π_ref), Schulman's k3
///     L = (Σ_tokens ℓ + β · Σ_tokens k3) / totalTokens
///
/// `dL/dlp` is `−A·ρ` where the unclipped branch is active and 0 where the clip holds
/// (`ρ > 1 + ε_high` with `A > 0`, `ρ < 1 − ε_low` with `A < 0`, `ρ > c` with `A < 0`: the
/// update would move the ratio further out), plus `β·(1 − e^κ)` for the KL term; all divided
/// by `totalTokens`. At `lp = lp_s` the gradient is `−A/totalTokens` per token: REINFORCE
/// with the advantage. On the clip's boundary the unclipped branch's gradient is taken.
///
/// Token normalisation: a token mean over the whole optimizer step (`totalTokens` counts every
/// scored token of all its micro-batches, so micro-batch gradients add up to the step's), which
/// is verl's default `loss_agg_mode = "token-mean"` (long completions weigh more than short
/// ones, with no per-sequence length bias). The defaults are verl's: `clip_ratio` 0.2 on both
/// sides, `clip_ratio_c` 3.0, KL off (`use_kl_loss` false; with it, `kl_loss_type
/// low_var_kl` is this k3 with its clamps, `kl_loss_coef` 0.001).
public enum PolicyGradientObjective {
    public struct Settings: Sendable, Equatable, Codable {
        /// ε_low: the ratio's lower clip is `1 − clipLow`.
        public var clipLow = 0.2
        /// ε_high: the ratio's upper clip is `1 + clipHigh` (DAPO raises it to 0.28).
        public var clipHigh = 0.2
        /// c of the dual clip on negative advantages; nil turns it off.
        public var dualClip: Double? = 3.0
        /// β of the k3 KL penalty to the reference; 0 turns it off (and then no reference is needed).
        public var klCoefficient = 0.0

        public init() {}

        public func validate() throws(TrainingError) {
            guard clipLow >= 0, clipLow < 1 else { throw .invalidOption(name: "clip low", reason: "\(clipLow); give ε_low in [0, 1)") }
            guard clipHigh >= 0, clipHigh.isFinite else { throw .invalidOption(name: "clip high", reason: "\(clipHigh); give a finite ε_high ≥ 0") }
            if let dualClip {
                guard dualClip > 1, dualClip.isFinite else { throw .invalidOption(name: "dual clip", reason: "\(dualClip); give c > 1, or none") }
            }
            guard klCoefficient >= 0, klCoefficient.isFinite else { throw .invalidOption(name: "--kl", reason: "\(klCoefficient); give a finite β ≥ 0") }
        }
    }

    /// The loss of one micro-batch, its parts, and `dL/dlogprob` per scored token.
    public struct Result {
        public var loss: Double
        /// The clipped surrogate's share of `loss`.
        public var policyLoss: Double
        /// `β · Σ k3 / totalTokens`, the KL penalty's share of `loss`.
        public var klPenalty: Double
        /// Tokens whose gradient a clip zeroed (PPO's or the dual clip).
        public var clippedTokens: Int
        public var gradients: [[Float]]
    }

    /// - Parameters:
    ///   - logprobs: the trainer's log-probabilities (`TrainingModel.forward`), per sequence per scored token.
    ///   - samplingLogprobs: the sampler's log-probabilities of the same tokens (full softmax at temperature 1).
    ///   - referenceLogprobs: the reference model's, needed when `settings.klCoefficient > 0`.
    ///   - advantages: one per sequence.
    ///   - totalTokens: scored tokens in the whole optimizer step.
    /// - Throws: `TrainingError.invalidBatch` when the shapes disagree, a value is not finite
    ///   or `totalTokens` is not positive; `TrainingError.invalidOption` for bad settings.
    public static func loss(logprobs: [[Double]], samplingLogprobs: [[Double]], referenceLogprobs: [[Double]]?,
                            advantages: [Double], totalTokens: Int, settings: Settings) throws(TrainingError) -> Result {
        try settings.validate()
        guard totalTokens > 0 else { throw .invalidBatch(reason: "no scored tokens in the step") }
        guard advantages.count == logprobs.count else {
            throw .invalidBatch(reason: "\(advantages.count) advantages for \(logprobs.count) sequences; give one per sequence")
        }
        func sameShape(_ other: [[Double]], _ name: String) throws(TrainingError) {
            guard other.count == logprobs.count, zip(other, logprobs).allSatisfy({ $0.count == $1.count }) else {
                throw .invalidBatch(reason: "the \(name) log-probabilities are not shaped like the trainer's (one per scored token of each sequence)")
            }
            guard other.allSatisfy({ $0.allSatisfy(\.isFinite) }) else { throw .invalidBatch(reason: "a \(name) log-probability is not finite") }
        }
        try sameShape(samplingLogprobs, "sampling")
        let useKL = settings.klCoefficient > 0
        if useKL {
            guard let referenceLogprobs else { throw .invalidBatch(reason: "a KL penalty needs the reference model's log-probabilities") }
            try sameShape(referenceLogprobs, "reference")
        }
        guard advantages.allSatisfy(\.isFinite) else { throw .invalidBatch(reason: "an advantage is not finite") }

        let scale = 1 / Double(totalTokens), beta = settings.klCoefficient
        let low = 1 - settings.clipLow, high = 1 + settings.clipHigh
        var policyLoss = 0.0, klSum = 0.0, clipped = 0
        var gradients: [[Float]] = []
        gradients.reserveCapacity(logprobs.count)
        for (i, sequence) in logprobs.enumerated() {
            let a = advantages[i]
            var row = [Float](repeating: 0, count: sequence.count)
            for (t, lp) in sequence.enumerated() {
                let logRatio = lp - samplingLogprobs[i][t]
                let ratio = exp(min(max(logRatio, -20), 20))
                let ratioSlope = abs(logRatio) < 20 ? ratio : 0                 // dρ/dlp
                let unclipped = -a * ratio, clippedLoss = -a * min(max(ratio, low), high)
                var tokenLoss = unclipped, slope = -a * ratioSlope
                if clippedLoss > unclipped {
                    tokenLoss = clippedLoss
                    slope = 0
                }
                if a < 0, let c = settings.dualClip, tokenLoss > -a * c {
                    tokenLoss = -a * c
                    slope = 0
                }
                if slope == 0 && a != 0 { clipped += 1 }
                policyLoss += tokenLoss
                if useKL, let reference = referenceLogprobs {
                    let logRef = reference[i][t] - lp
                    let kappa = min(max(logRef, -20), 20)
                    let k3 = exp(kappa) - kappa - 1
                    klSum += min(k3, 10)
                    if k3 < 10 && abs(logRef) < 20 { slope += beta * (1 - exp(kappa)) }
                }
                row[t] = Float(slope * scale)
            }
            gradients.append(row)
        }
        let policy = policyLoss * scale, kl = beta * klSum * scale
        return Result(loss: policy + kl, policyLoss: policy, klPenalty: kl, clippedTokens: clipped, gradients: gradients)
    }
}
