import Foundation
import ScalingCore

/// Preference optimisation (Iterative RPO's DPO + NLL loss, or plain DPO at α = 0) on the
/// shared optimizer loop (`TrainingLoop`).
///
/// The reference is the model as it starts: its sequence log-probabilities of every pair are
/// computed once, before the first step, with the weights frozen, and stored in the checkpoint
/// folder (`reference-logprobs.json`, keyed by a fingerprint of the pairs' tokens), so a resumed
/// run compares against the starting model, not against the checkpoint it resumed from.
/// A pair's two sequences always share one forward pass (the loss of each depends on the other).
public final class PreferenceTrainer {
    public let pairs: [TokenizedPair]
    public let objective: IRPOObjective.Settings
    /// The frozen starting model's log-probabilities of each pair.
    public let references: [IRPOObjective.Reference]
    let loop: TrainingLoop

    static let referenceFileName = "reference-logprobs.json"

    struct ReferenceFile: Codable {
        var pairsFingerprint: String
        var references: [IRPOObjective.Reference]
    }

    /// - Throws: `TrainingError.invalidOption` for bad settings, `.invalidBatch` for a pair longer
    ///   than `microBatchTokens` or the context, `.invalidCheckpoint` when the folder holds
    ///   checkpoints of other settings or pairs, or checkpoints without their reference.
    public init(model: TrainingModel, pairs: [TokenizedPair], settings: TrainingSettings, objective: IRPOObjective.Settings,
                checkpoints: CheckpointDirectory? = nil) throws(TrainingError) {
        try objective.validate()
        let examples = pairs.map { [$0.chosen, $0.rejected] }
        try TrainingLoop.validate(examples: examples, settings: settings)
        self.pairs = pairs
        self.objective = objective
        let fingerprint = Self.fingerprint(pairs)
        if let checkpoints, let stored = try Self.loadReferences(from: checkpoints) {
            guard stored.pairsFingerprint == fingerprint, stored.references.count == pairs.count else {
                throw .invalidCheckpoint(path: checkpoints.path + "/" + Self.referenceFileName,
                                         reason: "its reference log-probabilities are for other pairs (\(stored.references.count) pairs, fingerprint "
                                             + "\(stored.pairsFingerprint.prefix(12))), not this run's \(pairs.count) (\(fingerprint.prefix(12)))")
            }
            references = stored.references
        } else {
            if let checkpoints, checkpoints.hasCheckpoint {
                throw .invalidCheckpoint(path: checkpoints.path, reason: "it holds checkpoints but not the reference log-probabilities "
                    + "they were trained against (\(Self.referenceFileName))")
            }
            references = try Self.referenceLogprobs(model: model, pairs: pairs, tokenLimit: settings.microBatchTokens)
            if let checkpoints {
                try Self.saveReferences(ReferenceFile(pairsFingerprint: fingerprint, references: references), to: checkpoints)
            }
        }
        loop = try TrainingLoop(model: model, examples: examples, settings: settings, preference: objective, checkpoints: checkpoints)
    }

    public var model: TrainingModel { loop.model }
    public var settings: TrainingSettings { loop.settings }
    public var history: [StepReport] { loop.history }
    public var completedSteps: Int { loop.history.count }

    /// Runs the remaining steps, calling `progress` after each (its `preference` holds the
    /// step's mean chosen and rejected log-probabilities, margin and accuracy); `stoppingAfter`
    /// ends the call once that many steps are done (the run continues on the next call).
    public func run(stoppingAfter: Int? = nil, progress: (StepReport) -> Void = { _ in }) throws(TrainingError) {
        let references = references, objective = objective
        try loop.run(stoppingAfter: stoppingAfter, progress: progress) { indices, logprobs, step in
            // logprobs holds each pair's chosen then rejected sequence.
            let pairs = indices.indices.map { (chosen: logprobs[2 * $0], rejected: logprobs[2 * $0 + 1]) }
            let result = IRPOObjective.loss(pairs: pairs, references: indices.map { references[$0] }, settings: objective,
                                            pairsInStep: step.examples)
            var gradients: [[Float]] = []
            for (c, r) in zip(result.chosen, result.rejected) { gradients += [c, r] }
            return MicroBatchResult(loss: result.loss, gradients: gradients, pairs: result.outcomes)
        }
    }

    /// The sequence log-probabilities (sums over completion tokens) of each pair under `model`
    /// as it is: forward passes only, pairs grouped up to `tokenLimit` tokens per pass.
    public static func referenceLogprobs(model: TrainingModel, pairs: [TokenizedPair],
                                         tokenLimit: Int) throws(TrainingError) -> [IRPOObjective.Reference] {
        let examples = pairs.map { [$0.chosen, $0.rejected] }
        var references: [IRPOObjective.Reference] = []
        references.reserveCapacity(pairs.count)
        for micro in TrainingLoop.microBatches(examples, tokenLimit: tokenLimit) {
            let logprobs = try model.forward(micro.flatMap { examples[$0] })
            for k in micro.indices {
                references.append(.init(chosen: logprobs[2 * k].reduce(0, +), rejected: logprobs[2 * k + 1].reduce(0, +)))
            }
        }
        return references
    }

    /// SHA-256 over every pair's tokens and completion starts.
    static func fingerprint(_ pairs: [TokenizedPair]) -> String {
        var hash = SHA256()
        for pair in pairs {
            for sequence in [pair.chosen, pair.rejected] {
                hash.update(Array("\(sequence.completionStart):\(sequence.tokens.map(String.init).joined(separator: ","));".utf8))
            }
        }
        return hash.finalizeHex()
    }

    static func loadReferences(from checkpoints: CheckpointDirectory) throws(TrainingError) -> ReferenceFile? {
        let path = checkpoints.path + "/" + referenceFileName
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        do { return try JSONDecoder().decode(ReferenceFile.self, from: data) }
        catch { throw .invalidCheckpoint(path: path, reason: "it cannot be read (\(error.localizedDescription))") }
    }

    /// Written beside its final name, flushed, then renamed into place.
    static func saveReferences(_ file: ReferenceFile, to checkpoints: CheckpointDirectory) throws(TrainingError) {
        let path = checkpoints.path + "/" + referenceFileName
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try CheckpointDirectory.writeSynced(encoder.encode(file), to: path + ".partial")
        } catch let error as TrainingError {
            throw error
        } catch {
            throw .io(path: path, reason: "cannot write the reference log-probabilities: \(error.localizedDescription)")
        }
        guard rename(path + ".partial", path) == 0 else {
            throw .io(path: path, reason: "cannot move the reference log-probabilities into place: \(String(cString: strerror(errno)))")
        }
    }
}
