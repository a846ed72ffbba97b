import Foundation
import GGUF
import Kernels
import Models
import Testing
import TestSupport
import Training

/// The optimizer loop on tiny random models: a zero learning rate changes nothing, one
/// batch can be overfitted, a stopped run resumed from its checkpoint ends with the same
/// weights bit for bit, and bad input gets a clear error.
@Suite struct TrainerTests {
    static func tinyFile(_ tiny: TinyModel = TinyModel()) throws -> (URL, String) {
        let directory = try Scratch.directory("trainer")
        let path = directory.appendingPathComponent("tiny.gguf").path
        try tiny.write(to: path)
        return (directory, path)
    }

    static func examples(count: Int, vocabulary: Int, seed: UInt64) -> [TrainingSequence] {
        var random = TestRandom(seed: seed)
        return (0..<count).map { _ in
            let length = 6 + random.below(10)
            return TrainingSequence(tokens: (0..<length).map { _ in random.below(vocabulary) }, completionStart: 1 + random.below(4))
        }
    }

    /// The epoch shuffle is Fisher–Yates over SplitMix64 seeded by seed ^ epoch × golden ratio;
    /// checkpoints resume with it, so it must not change. Values from a Python transcription.
    @Test func dataOrderIsTheStoredShuffle() {
        #expect(DataOrder(seed: 7, count: 10).permutation(epoch: 0) == [8, 1, 5, 9, 0, 4, 3, 2, 6, 7])
        #expect(DataOrder(seed: 7, count: 10).permutation(epoch: 1) == [6, 4, 8, 3, 1, 7, 0, 2, 5, 9])
        #expect(DataOrder(seed: 123_456_789, count: 6).permutation(epoch: 3) == [5, 3, 4, 0, 2, 1])
    }

    @Test func zeroLearningRateLeavesWeightsUnchanged() throws {
        let (directory, path) = try Self.tinyFile()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try TrainingModel(file: GGUFFile(path: path), threads: 2)
        let before = Array(model.parameters.buffer)
        var settings = TrainingSettings(steps: 3)
        settings.learningRate = 0
        settings.batchTokens = 20
        let trainer = try SFTTrainer(model: model, examples: Self.examples(count: 5, vocabulary: 101, seed: 1), settings: settings)
        try trainer.run()
        #expect(trainer.history.allSatisfy { $0.gradientNorm > 0 })
        #expect(Array(model.parameters.buffer) == before)
    }

    @Test func overfitsOneBatch() throws {
        let (directory, path) = try Self.tinyFile()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try TrainingModel(file: GGUFFile(path: path), threads: 2)
        var settings = TrainingSettings(steps: 80)
        settings.learningRate = 1e-2
        settings.schedule = .constant
        settings.batchTokens = 1
        let example = TrainingSequence(tokens: [5, 17, 42, 8, 99, 3, 61, 27, 12, 70], completionStart: 3)
        let trainer = try SFTTrainer(model: model, examples: [example], settings: settings)
        try trainer.run()
        let first = trainer.history.first!.loss, last = trainer.history.last!.loss
        print("overfit: loss \(first) -> \(last)")
        #expect(first > 3)
        #expect(last < 0.05)
    }

    /// A run stopped after a checkpoint and resumed by a new process (a new model loaded
    /// from the file) ends with the weights of an uninterrupted run, bit for bit.
    @Test func resumedRunEqualsUninterruptedRun() throws {
        let (directory, path) = try Self.tinyFile()
        defer { try? FileManager.default.removeItem(at: directory) }
        let examples = Self.examples(count: 9, vocabulary: 101, seed: 2)
        var settings = TrainingSettings(steps: 6)
        settings.learningRate = 3e-3
        settings.warmupSteps = 2
        settings.batchTokens = 25
        settings.microBatchTokens = 30
        settings.checkpointEvery = 2
        settings.adam.weightDecay = 0.01

        let straight = try TrainingModel(file: GGUFFile(path: path), threads: 2)
        try SFTTrainer(model: straight, examples: examples, settings: settings).run()

        let checkpoints = try CheckpointDirectory(path: directory.appendingPathComponent("checkpoints").path)
        var shortened = settings
        shortened.steps = 6
        let first = try TrainingModel(file: GGUFFile(path: path), threads: 1)
        let interrupted = try SFTTrainer(model: first, examples: examples, settings: settings, checkpoints: checkpoints)
        try interrupted.run(stoppingAfter: 3)   // checkpoint at step 2; step 3 is lost with the "kill"
        let resumedModel = try TrainingModel(file: GGUFFile(path: path), threads: 2)
        let resumed = try SFTTrainer(model: resumedModel, examples: examples, settings: settings, checkpoints: checkpoints)
        #expect(resumed.completedSteps == 2)
        try resumed.run()
        #expect(resumed.history.count == 6)
        #expect(Array(resumedModel.parameters.buffer) == Array(straight.parameters.buffer))
    }

    @Test func badInputGetsClearErrors() throws {
        let (directory, path) = try Self.tinyFile(TinyModel(context: 16))
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try TrainingModel(file: GGUFFile(path: path), threads: 1)
        #expect(throws: TrainingError.self) { try model.forward([TrainingSequence(tokens: Array(0..<20), completionStart: 1)]) }
        #expect(throws: TrainingError.self) { try model.forward([TrainingSequence(tokens: [1, 2, 300], completionStart: 1)]) }
        #expect(throws: TrainingError.self) { try model.forward([TrainingSequence(tokens: [1, 2], completionStart: 2)]) }
        do {
            _ = try model.forward([TrainingSequence(tokens: Array(0..<20), completionStart: 1)])
        } catch {
            #expect(error.description.contains("20 tokens") && error.description.contains("context of 16"))
        }
        #expect(throws: TrainingError.self) { try ExportType.named("q4_k") }

        // A file of another architecture: the error names it and the supported ones.
        var writer = GGUFWriter()
        writer.add("general.architecture", .string("gpt2"))
        writer.addTensor(name: "token_embd.weight", shape: [4, 8], floats: (0..<32).map(Float.init))
        let other = directory.appendingPathComponent("gpt2.gguf").path
        try writer.write(to: other)
        do {
            _ = try TrainingModel(file: GGUFFile(path: other), threads: 1)
            Issue.record("a gpt2 file loaded")
        } catch {
            #expect("\(error)".contains("gpt2") && "\(error)".contains("llama"))
        }
    }
}
