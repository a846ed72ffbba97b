import Foundation
import GGUF
import Testing
import TestSupport
import Training

/// The preference trainer on tiny random models: the reference is the starting model (the
/// implicit reward margin starts at 0), training raises the margin, a run stopped and resumed
/// from its checkpoint ends bit for bit where an uninterrupted run does, and a checkpoint
/// folder that does not belong to the run is refused.
@Suite struct PreferenceTrainerTests {
    static func pairs(count: Int, vocabulary: Int, seed: UInt64) -> [TokenizedPair] {
        var random = TestRandom(seed: seed)
        func tokens(_ n: Int) -> [Int] { (0..<n).map { _ in random.below(vocabulary) } }
        return (0..<count).map { _ in
            let prompt = tokens(2 + random.below(4))
            return TokenizedPair(chosen: TrainingSequence(tokens: prompt + tokens(3 + random.below(6)), completionStart: prompt.count),
                                 rejected: TrainingSequence(tokens: prompt + tokens(3 + random.below(6)), completionStart: prompt.count))
        }
    }

    @Test(arguments: [0.0, 1.0])
    func trainingRaisesTheMargin(alpha: Double) throws {
        let (directory, path) = try TrainerTests.tinyFile()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try TrainingModel(file: GGUFFile(path: path), threads: 2)
        var settings = TrainingSettings(steps: 12)
        settings.learningRate = 3e-3
        settings.schedule = .constant
        settings.batchTokens = 40
        settings.microBatchTokens = 45
        let pairs = Self.pairs(count: 6, vocabulary: 101, seed: 3)
        let trainer = try PreferenceTrainer(model: model, pairs: pairs, settings: settings, objective: .init(beta: 0.5, alpha: alpha))
        try trainer.run()
        let figures = trainer.history.compactMap(\.preference)
        #expect(figures.count == 12)
        // The first step's forward is the reference's: every implicit reward is 0 up to float noise.
        #expect(abs(figures[0].margin) < 1e-5 && abs(figures[0].chosenReward) < 1e-5, "\(figures[0])")
        let last = figures.suffix(3)
        let lateMargin = last.reduce(0) { $0 + $1.margin } / 3
        print("α \(alpha): margin \(figures[0].margin) -> \(lateMargin), chosen log-prob \(figures[0].chosenLogprob) -> \(figures.last!.chosenLogprob), "
            + "loss \(trainer.history[0].loss) -> \(trainer.history.last!.loss)")
        #expect(lateMargin > 1, "the margin did not grow: \(figures.map(\.margin))")
        #expect(last.allSatisfy { $0.accuracy == 1 })
        #expect(trainer.history.last!.loss < trainer.history[0].loss)
        // The report's figures are the loss's: at step 1 the DPO part is log 2 and the NLL part is −α·mean(log π(w)/|w|).
        #expect(trainer.history[0].loss > log(2) - 1e-5)
        if alpha == 0 { #expect(abs(trainer.history[0].loss - log(2)) < 1e-5) }
    }

    /// A run stopped after a checkpoint and resumed by a new process (a new model loaded
    /// from the file) ends with the weights and history of an uninterrupted run, bit for bit,
    /// against the reference log-probabilities of the starting model.
    @Test func resumedRunEqualsUninterruptedRun() throws {
        let (directory, path) = try TrainerTests.tinyFile()
        defer { try? FileManager.default.removeItem(at: directory) }
        let pairs = Self.pairs(count: 7, vocabulary: 101, seed: 4)
        var settings = TrainingSettings(steps: 6)
        settings.learningRate = 3e-3
        settings.warmupSteps = 2
        settings.batchTokens = 30
        settings.microBatchTokens = 50
        settings.checkpointEvery = 2
        settings.adam.weightDecay = 0.01
        let objective = IRPOObjective.Settings(beta: 0.1, alpha: 1)

        let straightModel = try TrainingModel(file: GGUFFile(path: path), threads: 2)
        let straight = try PreferenceTrainer(model: straightModel, pairs: pairs, settings: settings, objective: objective)
        try straight.run()

        let folder = directory.appendingPathComponent("checkpoints").path
        let first = try TrainingModel(file: GGUFFile(path: path), threads: 1)
        let interrupted = try PreferenceTrainer(model: first, pairs: pairs, settings: settings, objective: objective,
                                                checkpoints: CheckpointDirectory(path: folder))
        try interrupted.run(stoppingAfter: 3)   // checkpoint at step 2; step 3 is lost with the "kill"
        #expect(FileManager.default.fileExists(atPath: folder + "/reference-logprobs.json"))
        let resumedModel = try TrainingModel(file: GGUFFile(path: path), threads: 2)
        let resumed = try PreferenceTrainer(model: resumedModel, pairs: pairs, settings: settings, objective: objective,
                                            checkpoints: CheckpointDirectory(path: folder))
        #expect(resumed.completedSteps == 2)
        #expect(resumed.references == straight.references)
        try resumed.run()
        #expect(resumed.history.count == 6)
        #expect(Array(resumedModel.parameters.buffer) == Array(straightModel.parameters.buffer))
        #expect(resumed.history.map(\.preference) == straight.history.map(\.preference))
        #expect(resumed.history.map(\.loss) == straight.history.map(\.loss))

        // The folder belongs to this run: other pairs, other loss settings, or a lost reference are refused.
        let other = Self.pairs(count: 7, vocabulary: 101, seed: 5)
        #expect(throws: TrainingError.self) {
            _ = try PreferenceTrainer(model: TrainingModel(file: GGUFFile(path: path), threads: 1), pairs: other, settings: settings,
                                  objective: objective, checkpoints: CheckpointDirectory(path: folder))
        }
        #expect(throws: TrainingError.self) {
            _ = try PreferenceTrainer(model: TrainingModel(file: GGUFFile(path: path), threads: 1), pairs: pairs, settings: settings,
                                  objective: .init(beta: 0.1, alpha: 0), checkpoints: CheckpointDirectory(path: folder))
        }
        try FileManager.default.removeItem(atPath: folder + "/reference-logprobs.json")
        do {
            _ = try PreferenceTrainer(model: TrainingModel(file: GGUFFile(path: path), threads: 1), pairs: pairs, settings: settings,
                                      objective: objective, checkpoints: CheckpointDirectory(path: folder))
            Issue.record("checkpoints without their reference were accepted")
        } catch {
            #expect("\(error)".contains("reference-logprobs.json"))
        }
    }
}
