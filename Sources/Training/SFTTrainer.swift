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
            total += examples[e].scoredCount
        }
        return taken
    }
}

/// Supervised fine-tuning (token NLL over completion tokens, the STaR / rejection-sampling
/// baseline): steps of AdamW over micro-batches, checkpoints that resume bit for bit.
public final class SFTTrainer {
    public let model: TrainingModel
    public let examples: [TrainingSequence]
    public let settings: TrainingSettings
    public let optimizer: AdamW
    public private(set) var order: DataOrder
    public private(set) var history: [StepReport] = []
    public var checkpoints: CheckpointDirectory?

    public init(model: TrainingModel, examples: [TrainingSequence], settings: TrainingSettings,
                checkpoints: CheckpointDirectory? = nil) throws(TrainingError) {
        try settings.validate(exampleCount: examples.count)
        for (i, e) in examples.enumerated() where e.tokens.count > settings.microBatchTokens {
            throw .invalidBatch(reason: "example \(i) has \(e.tokens.count) tokens, more than --micro-batch-tokens \(settings.microBatchTokens)")
        }
        self.model = model
        self.examples = examples
        self.settings = settings
        self.optimizer = AdamW(layout: model.layout, settings: settings.adam)
        self.order = DataOrder(seed: settings.seed, count: examples.count)
        self.checkpoints = checkpoints
        if let checkpoints, let state = try checkpoints.loadLatest(into: model.parameters, optimizer: optimizer) {
            guard state.settings == settings else {
                throw .invalidCheckpoint(path: checkpoints.path, reason: "it was made with other settings (\(state.settings)); a resumed run must use the same")
            }
            guard state.exampleCount == examples.count else {
                throw .invalidCheckpoint(path: checkpoints.path, reason: "it was made with \(state.exampleCount) examples, this run has \(examples.count)")
            }
            order = state.order
            history = state.history
        }
    }

    public var completedSteps: Int { history.count }

    /// Runs the remaining steps, calling `progress` after each; `stoppingAfter` ends the
    /// call once that many steps are done (the run continues on the next call).
    public func run(stoppingAfter: Int? = nil, progress: (StepReport) -> Void = { _ in }) throws(TrainingError) {
        let schedule = settings.learningRateSchedule
        while history.count < min(settings.steps, stoppingAfter ?? .max) {
            let step = history.count
            let started = ContinuousClock.now
            let chosen = order.take(scoredTokens: settings.batchTokens, from: examples)
            let batch = chosen.map { examples[$0] }
            let scored = batch.reduce(0) { $0 + $1.scoredCount }
            model.zeroGradients()
            var loss = 0.0
            for micro in Self.microBatches(batch, tokenLimit: settings.microBatchTokens) {
                let logprobs = try model.forward(micro)
                let (partial, gradients) = SFTObjective.loss(logprobs: logprobs, totalTokens: scored)
                try model.backward(gradients)
                loss += partial
            }
            let rate = schedule.rate(at: step)
            let norm = optimizer.step(parameters: model.parameters, gradients: model.gradients, rate: rate, pool: model.pool)
            let report = StepReport(step: step + 1, loss: loss, learningRate: rate, gradientNorm: norm, scoredTokens: scored,
                                    tokens: batch.reduce(0) { $0 + $1.tokens.count },
                                    seconds: (ContinuousClock.now - started).inSeconds)
            history.append(report)
            progress(report)
            let every = settings.checkpointEvery
            if let checkpoints, (every > 0 && history.count % every == 0) || history.count == settings.steps {
                try checkpoints.save(CheckpointState(settings: settings, exampleCount: examples.count, order: order,
                                                     history: history, optimizerSteps: optimizer.stepCount),
                                     parameters: model.parameters, optimizer: optimizer)
            }
        }
    }

    /// Consecutive groups of at most `tokenLimit` tokens (an example never splits).
    static func microBatches(_ batch: [TrainingSequence], tokenLimit: Int) -> [[TrainingSequence]] {
        var groups: [[TrainingSequence]] = [], current: [TrainingSequence] = [], tokens = 0
        for sequence in batch {
            if !current.isEmpty && tokens + sequence.tokens.count > tokenLimit {
                groups.append(current)
                current = []
                tokens = 0
            }
            current.append(sequence)
            tokens += sequence.tokens.count
        }
        if !current.isEmpty { groups.append(current) }
        return groups
    }
}
