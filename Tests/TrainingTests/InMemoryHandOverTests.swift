import Foundation
import GGUF
import Kernels
import Models
import Testing
import TestSupport
import Training

/// The trainer hands new weights to the inference engine in memory (what an RL loop does
/// every step): the serialised GGUF is the file `write` would have written, byte for byte,
/// and the engine loaded from memory computes what it computes from that file.
@Suite(.serialized) struct InMemoryHandOverTests {
    @Test func theEngineRunsTrainedWeightsFromMemory() throws {
        let directory = try Scratch.directory("in-memory")
        defer { try? FileManager.default.removeItem(at: directory) }
        let base = directory.appendingPathComponent("base.gguf").path
        try TinyModel(architecture: "llama", tied: true, biases: false, seed: 9).write(to: base)
        let baseFile = try GGUFFile(path: base)
        let model = try TrainingModel(file: baseFile, threads: 2)
        var settings = TrainingSettings(steps: 2)
        settings.learningRate = 1e-2
        settings.batchTokens = 30
        try SFTTrainer(model: model, examples: TrainerTests.examples(count: 4, vocabulary: 101, seed: 2), settings: settings).run()

        let lineage = ModelExport.Lineage(baseSHA256: "test", objective: "sft", data: "test", steps: 2, finalLoss: 1)
        let bytes = try ModelExport.serialize(model.parameters, base: baseFile, type: .f16, lineage: lineage)
        let path = directory.appendingPathComponent("trained.gguf").path
        try ModelExport.write(model.parameters, base: baseFile, type: .f16, lineage: lineage, to: path)
        #expect(bytes == Array(try Data(contentsOf: URL(fileURLWithPath: path))))

        let inMemory = try GGUFFile(mapping: MappedFile(copying: bytes, name: "trained (in memory)"))
        #expect(inMemory.path == "trained (in memory)")
        #expect(inMemory["quorum.training.objective"]?.stringValue == "sft")
        let tokens = [3, 14, 15, 92, 65, 35, 89, 79, 32, 38]
        let fromMemory = try Self.logits(LlamaModel(file: inMemory, precision: .float32), tokens)
        let fromFile = try Self.logits(LlamaModel(path: path, precision: .float32), tokens)
        let fromBase = try Self.logits(LlamaModel(path: base, precision: .float32), tokens)
        #expect(fromMemory == fromFile)
        #expect(fromMemory != fromBase)   // the engine runs the trained weights, not the base ones
    }

    static func logits(_ model: LlamaModel, _ tokens: [Int]) throws -> [Float] {
        let scratch = LlamaScratch(model: model, maxBatchRows: tokens.count, maxLogitRows: tokens.count, pool: WorkerPool(threadCount: 2))
        let cache = model.makeCache(maxSequences: 1, maxTotalPositions: 64)
        let sequence = try cache.createSequence()
        let logits = try model.forward(batch: tokens.enumerated().map {
            BatchRow(sequence: sequence, position: $0.offset, token: $0.element, wantsLogits: true)
        }, cache: cache, scratch: scratch)
        return (0 ..< tokens.count).flatMap { Array(logits.row($0)) }
    }
}
