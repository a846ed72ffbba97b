import Foundation

/// What an objective made of one micro-batch.
struct MicroBatchResult {
    /// This micro-batch's share of the step's loss.
    var loss: Double
    /// `dL/dlogprob` per scored token of each sequence, in the micro-batch's order.
    var gradients: [[Float]]
    /// Each pair's figures (preference objectives only).
    var pairs: [IRPOObjective.PairOutcome] = []
}

/// The size of the step a micro-batch belongs to, which objectives that average over the
/// step need (SFT divides by its scored tokens, IRPO by its pairs).
struct StepTotals {
    var scoredTokens: Int
    var examples: Int
}

/// The optimizer loop every objective shares: examples taken in the seeded `DataOrder`,
/// split into micro-batches whose gradients add up, one AdamW step, a checkpoint every N
/// steps, and resume from the newest checkpoint bit for bit.
///
/// An example is one sequence (SFT) or several that share a forward pass because the loss of
/// each depends on the others (a preference pair's chosen and rejected completions): an
/// example never splits across micro-batches.
final class TrainingLoop {
    let model: TrainingModel
    let examples: [[TrainingSequence]]
    let settings: TrainingSettings
    /// A preference run's loss settings, saved with its checkpoints (a resumed run must use the same).
    let preference: IRPOObjective.Settings?
    let optimizer: AdamW
    private(set) var order: DataOrder
    private(set) var history: [StepReport] = []
    let checkpoints: CheckpointDirectory?
    private let scoredCounts: [Int]

    init(model: TrainingModel, examples: [[TrainingSequence]], settings: TrainingSettings,
         preference: IRPOObjective.Settings?, checkpoints: CheckpointDirectory?) throws(TrainingError) {
        try Self.validate(examples: examples, settings: settings)
        self.model = model
        self.examples = examples
        self.settings = settings
        self.preference = preference
        self.optimizer = AdamW(layout: model.layout, settings: settings.adam)
        self.order = DataOrder(seed: settings.seed, count: examples.count)
        self.checkpoints = checkpoints
        self.scoredCounts = examples.map { $0.reduce(0) { $0 + $1.scoredCount } }
        if let checkpoints, let state = try checkpoints.loadLatest(into: model.parameters, optimizer: optimizer) {
            guard state.settings == settings else {
                throw .invalidCheckpoint(path: checkpoints.path, reason: "it was made with other settings (\(state.settings)); a resumed run must use the same")
            }
            guard state.preference == preference else {
                throw .invalidCheckpoint(path: checkpoints.path, reason: "it was made with other loss settings "
                    + "(\(state.preference.map { "β \($0.beta), α \($0.alpha)" } ?? "SFT")); a resumed run must use the same")
            }
            guard state.exampleCount == examples.count else {
                throw .invalidCheckpoint(path: checkpoints.path, reason: "it was made with \(state.exampleCount) examples, this run has \(examples.count)")
            }
            order = state.order
            history = state.history
        }
    }

    /// The settings and examples a run can take: checked before any work (a preference run's
    /// reference pass) is spent on them.
    static func validate(examples: [[TrainingSequence]], settings: TrainingSettings) throws(TrainingError) {
        try settings.validate(exampleCount: examples.count)
        for (i, e) in examples.enumerated() {
            let tokens = e.reduce(0) { $0 + $1.tokens.count }
            guard tokens <= settings.microBatchTokens else {
                throw .invalidBatch(reason: "example \(i) has \(tokens) tokens, more than --micro-batch-tokens \(settings.microBatchTokens)")
            }
        }
    }

    /// Runs the remaining steps. For each micro-batch, `objective` gets the examples' indices,
    /// the forward's log-probabilities (one list per sequence, examples in order) and the step's
    /// totals, and returns the loss share and gradients. `progress` is called after each step;
    /// `stoppingAfter` ends the call once that many steps are done (the run continues on the next call).
    func run(stoppingAfter: Int? = nil, progress: (StepReport) -> Void,
             objective: (_ examples: [Int], _ logprobs: [[Double]], _ step: StepTotals) throws(TrainingError) -> MicroBatchResult) throws(TrainingError) {
        let schedule = settings.learningRateSchedule
        while history.count < min(settings.steps, stoppingAfter ?? .max) {
            let step = history.count
            let started = ContinuousClock.now
            let chosen = order.take(scoredTokens: settings.batchTokens, scoredCounts: scoredCounts)
            let totals = StepTotals(scoredTokens: chosen.reduce(0) { $0 + scoredCounts[$1] }, examples: chosen.count)
            model.zeroGradients()
            var loss = 0.0, pairs: [IRPOObjective.PairOutcome] = []
            for micro in Self.microBatches(chosen.map { examples[$0] }, tokenLimit: settings.microBatchTokens) {
                let indices = micro.map { chosen[$0] }
                let logprobs = try model.forward(indices.flatMap { examples[$0] })
                let result = try objective(indices, logprobs, totals)
                try model.backward(result.gradients)
                loss += result.loss
                pairs += result.pairs
            }
            let rate = schedule.rate(at: step)
            let norm = optimizer.step(parameters: model.parameters, gradients: model.gradients, rate: rate, pool: model.pool)
            var report = StepReport(step: step + 1, loss: loss, learningRate: rate, gradientNorm: norm, scoredTokens: totals.scoredTokens,
                                    tokens: chosen.reduce(0) { total, e in examples[e].reduce(total) { $0 + $1.tokens.count } },
                                    seconds: (ContinuousClock.now - started).inSeconds)
            if preference != nil { report.preference = PreferenceStepFigures(pairs) }
            history.append(report)
            progress(report)
            let every = settings.checkpointEvery
            if let checkpoints, (every > 0 && history.count % every == 0) || history.count == settings.steps {
                try checkpoints.save(CheckpointState(settings: settings, exampleCount: examples.count, order: order,
                                                     history: history, optimizerSteps: optimizer.stepCount, preference: preference),
                                     parameters: model.parameters, optimizer: optimizer)
            }
        }
    }

    /// Consecutive groups of examples of at most `tokenLimit` tokens together, as positions
    /// into `batch` (an example never splits).
    static func microBatches(_ batch: [[TrainingSequence]], tokenLimit: Int) -> [[Int]] {
        var groups: [[Int]] = [], current: [Int] = [], tokens = 0
        for (i, example) in batch.enumerated() {
            let count = example.reduce(0) { $0 + $1.tokens.count }
            if !current.isEmpty && tokens + count > tokenLimit {
                groups.append(current)
                current = []
                tokens = 0
            }
            current.append(i)
            tokens += count
        }
        if !current.isEmpty { groups.append(current) }
        return groups
    }
}
