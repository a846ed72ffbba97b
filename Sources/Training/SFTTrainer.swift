import Foundation
import Kernels
import ScalingCore

/// Settings of a fine-tuning run (saved with each checkpoint: a resumed run must use the same).
public struct TrainingSettings: Sendable, Equatable, Codable {
    /// Optimizer steps.
    public var steps: Int
    /// Scored tokens per step (whole examples are added until the step has at least this many).
    public var batchTokens: Int = 4096
    /// Tokens (prompt included) per forward/backward; a step's examples are split into
    /// micro-batches of at most this many, whose gradients add up.
    public var microBatchTokens: Int = 1024
    public var learningRate: Double = 1e-5
    public var warmupSteps: Int = 0
    public var schedule: LearningRateSchedule.Shape = .cosine
    public var adam = AdamW.Settings()
    /// Seed of the data order.
    public var seed: UInt64 = 0
    /// Checkpoint every this many steps (and at the end); 0 only at the end.
    public var checkpointEvery: Int = 50

    public init(steps: Int) { self.steps = steps }

    public func validate(exampleCount: Int) throws(TrainingError) {
        guard steps > 0 else { throw .invalidOption(name: "--steps", reason: "\(steps); give at least 1") }
        guard batchTokens > 0 else { throw .invalidOption(name: "--batch-tokens", reason: "\(batchTokens); give at least 1") }
        guard microBatchTokens >= 2 else { throw .invalidOption(name: "--micro-batch-tokens", reason: "\(microBatchTokens); give at least 2") }
        guard learningRate >= 0, learningRate.isFinite else { throw .invalidOption(name: "--learning-rate", reason: "\(learningRate) must be a finite number ≥ 0") }
        guard warmupSteps >= 0 else { throw .invalidOption(name: "--warmup-steps", reason: "\(warmupSteps) is negative") }
        guard checkpointEvery >= 0 else { throw .invalidOption(name: "--checkpoint-every", reason: "\(checkpointEvery) is negative") }
        guard exampleCount > 0 else { throw .invalidOption(name: "data", reason: "no training examples") }
    }

    var learningRateSchedule: LearningRateSchedule {
        LearningRateSchedule(peak: learningRate, warmupSteps: warmupSteps, totalSteps: steps, shape: schedule)
    }
}

/// What one optimizer step did.
public struct StepReport: Sendable, Codable, Equatable {
    public let step: Int           // 1-based
    public let loss: Double
    public let learningRate: Double
    public let gradientNorm: Double
    public let scoredTokens: Int
    public let tokens: Int         // prompt included
    public let seconds: Double
    /// A preference step's figures (nil for SFT).
    public var preference: PreferenceStepFigures? = nil
}

/// What a preference step's pairs did, each figure a mean over the step's pairs.
public struct PreferenceStepFigures: Sendable, Codable, Equatable {
    public var pairs: Int
    /// log πθ(w|x) and log πθ(l|x): sums over each completion's tokens, averaged over pairs
    /// (the paper's Fig. 3: under DPO alone the chosen one falls, with the NLL term it rises).
    public var chosenLogprob: Double
    public var rejectedLogprob: Double
    /// Implicit rewards β·(log πθ − log πref) and their difference.
    public var chosenReward: Double
    public var rejectedReward: Double
    public var margin: Double
    /// Share of pairs whose implicit reward prefers the winner (margin > 0).
    public var accuracy: Double

    init(_ outcomes: [IRPOObjective.PairOutcome]) {
        let n = Double(max(outcomes.count, 1))
        func mean(_ value: (IRPOObjective.PairOutcome) -> Double) -> Double { outcomes.reduce(0) { $0 + value($1) } / n }
        pairs = outcomes.count
        chosenLogprob = mean(\.chosenLogprob)
        rejectedLogprob = mean(\.rejectedLogprob)
        chosenReward = mean(\.chosenReward)
        rejectedReward = mean(\.rejectedReward)
        margin = mean(\.margin)
        accuracy = mean { $0.margin > 0 ? 1 : 0 }
    }
}

/// The order in which a run visits its examples: a seeded shuffle per epoch, a cursor
/// into it. Saved in checkpoints, so a resumed run sees the same examples in the same order.
public struct DataOrder: Sendable, Codable, Equatable {
    public var epoch = 0
    public var index = 0
    public let seed: UInt64
    public let count: Int

    public init(seed: UInt64, count: Int) {
        self.seed = seed
        self.count = count
    }

    /// The permutation of epoch `epoch` (Fisher–Yates over SplitMix64 seeded by seed and epoch).
    public func permutation(epoch: Int) -> [Int] {
        var order = Array(0..<count)
        // The golden-ratio multiple keeps the historical seeding (stored checkpoints resume with it).
        var generator = SplitMix64(seed: seed ^ (UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15))
        if count > 1 {
            for i in stride(from: count - 1, to: 0, by: -1) { order.swapAt(i, Int(generator.next() % UInt64(i + 1))) }
        }
        return order
    }

    /// The next examples up to `scoredTokens` scored tokens (at least one example).
    public mutating func take(scoredTokens: Int, from examples: [TrainingSequence]) -> [Int] {
        take(scoredTokens: scoredTokens, scoredCounts: examples.map(\.scoredCount))
    }

    /// The next examples up to `scoredTokens` scored tokens (at least one example), where
    /// example `i` scores `scoredCounts[i]` tokens.
    public mutating func take(scoredTokens: Int, scoredCounts: [Int]) -> [Int] {
        var taken: [Int] = [], total = 0
        var permutation = self.permutation(epoch: epoch)
        while taken.isEmpty || total < scoredTokens {
            if index == count {
                epoch += 1
                index = 0
                permutation = self.permutation(epoch: epoch)
            }
            let e = permutation[index]
            index += 1
            taken.append(e)
            total += scoredCounts[e]
        }
        return taken
    }
}

/// Supervised fine-tuning (token NLL over completion tokens, the STaR / rejection-sampling
/// baseline): `SFTObjective` over the shared optimizer loop (`TrainingLoop`), whose
/// checkpoints resume bit for bit.
public final class SFTTrainer {
    public let examples: [TrainingSequence]
    let loop: TrainingLoop

    public init(model: TrainingModel, examples: [TrainingSequence], settings: TrainingSettings,
                checkpoints: CheckpointDirectory? = nil) throws(TrainingError) {
        self.examples = examples
        loop = try TrainingLoop(model: model, examples: examples.map { [$0] }, settings: settings, preference: nil,
                                checkpoints: checkpoints)
    }

    public var model: TrainingModel { loop.model }
    public var settings: TrainingSettings { loop.settings }
    public var optimizer: AdamW { loop.optimizer }
    public var order: DataOrder { loop.order }
    public var history: [StepReport] { loop.history }
    public var completedSteps: Int { loop.history.count }

    /// Runs the remaining steps, calling `progress` after each; `stoppingAfter` ends the
    /// call once that many steps are done (the run continues on the next call).
    public func run(stoppingAfter: Int? = nil, progress: (StepReport) -> Void = { _ in }) throws(TrainingError) {
        try loop.run(stoppingAfter: stoppingAfter, progress: progress) { _, logprobs, step in
            let (loss, gradients) = SFTObjective.loss(logprobs: logprobs, totalTokens: step.scoredTokens)
            return MicroBatchResult(loss: loss, gradients: gradients)
        }
    }
}
