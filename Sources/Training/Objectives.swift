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
