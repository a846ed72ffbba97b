import Foundation
import GGUF
import Kernels
import Testing
import TestSupport
import Training

/// The trainer's log-probabilities and every parameter's gradient against an independent
/// automatic differentiation: `scripts/training_reference.py`, a JAX float64 model over
/// weights read by llama.cpp's gguf-py (installed, pinned, by scripts/training_python_setup;
/// the test fails when it cannot be installed). The loss is a random weighted sum of the
/// scored tokens' log-probabilities, so every per-token gradient path is exercised, and
/// JAX itself is checked by float64 central finite differences at sampled coordinates.
@Suite(.serialized) struct GradientTests {
    struct Report: Decodable {
        struct Tensor: Decodable { let name: String; let maxAbsError: Double; let maxAbsReference: Double; let rmsError: Double; let rmsReference: Double }
        struct FiniteDifference: Decodable { let name: String; let index: Int; let finiteDifference: Double; let autodiff: Double; let ours: Double }
        let loss: Double
        let logprobs: [[Double]]
        let tensors: [Tensor]
        let finiteDifferences: [FiniteDifference]
    }

    static func installReference() throws {
        _ = try Shell.output(["bash", TestPaths.packageRoot.appendingPathComponent("scripts/training_python_setup").path])
    }

    /// The loss both sides differentiate.
    enum Loss {
        /// A random weighted sum of the scored tokens' log-probabilities.
        case weightedSum
        /// The IRPO loss (`IRPOObjective`) over pairs of sequences `(2i, 2i + 1)`, with reference
        /// log-probabilities the model's own shifted by `referenceShift` (chosen, rejected), so the
        /// margin is away from 0.
        case preference(IRPOObjective.Settings, referenceShift: (Double, Double))
    }

    /// Runs the trainer and the reference on `sequences`; returns the reference's report
    /// and the trainer's log-probabilities and loss.
    static func compare(modelPath: String, sequences: [TrainingSequence], threads: Int = 2, loss lossKind: Loss = .weightedSum,
                        finiteDifferenceTensors: [String]) throws -> (Report, [[Double]], Double) {
        try installReference()
        let directory = try Scratch.directory("gradients")
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try TrainingModel(file: GGUFFile(path: modelPath), threads: threads)
        let logprobs = try model.forward(sequences)
        model.zeroGradients()
        var lossFields: [String: Any] = [:]
        let loss: Double
        switch lossKind {
        case .weightedSum:
            var random = TestRandom(seed: 42)
            let weights = sequences.map { s in (0..<s.scoredCount).map { _ in random.nextSigned() } }
            try model.backward(weights)
            loss = zip(logprobs, weights).reduce(0.0) { total, pair in
                total + zip(pair.0, pair.1).reduce(0.0) { $0 + $1.0 * Double($1.1) }
            }
            lossFields["weights"] = weights.map { $0.map(Double.init) }
        case .preference(let settings, let shift):
            let pairCount = sequences.count / 2
            let pairs = (0..<pairCount).map { (chosen: logprobs[2 * $0], rejected: logprobs[2 * $0 + 1]) }
            let references = pairs.map { IRPOObjective.Reference(chosen: $0.chosen.reduce(0, +) + shift.0, rejected: $0.rejected.reduce(0, +) + shift.1) }
            let result = IRPOObjective.loss(pairs: pairs, references: references, settings: settings, pairsInStep: pairCount)
            try model.backward(zip(result.chosen, result.rejected).flatMap { [$0, $1] })
            loss = result.loss
            lossFields["preference"] = ["beta": settings.beta, "alpha": settings.alpha,
                                        "pairs": (0..<pairCount).map { [2 * $0, 2 * $0 + 1] },
                                        "references": references.map { [$0.chosen, $0.rejected] }] as [String: Any]
        }
        let gradientFile = directory.appendingPathComponent("gradients.f32")
        try Data(buffer: model.gradients.buffer).write(to: gradientFile)
        var request: [String: Any] = [
            "model": modelPath,
            "sequences": sequences.map { ["tokens": $0.tokens, "completionStart": $0.completionStart] },
            "gradients": gradientFile.path,
            "tensors": model.layout.tensors.map { ["name": $0.name, "offset": $0.offset, "count": $0.count] },
            "finiteDifferenceTensors": finiteDifferenceTensors,
            "output": directory.appendingPathComponent("report.json").path,
        ]
        request.merge(lossFields) { a, _ in a }
        let requestFile = directory.appendingPathComponent("request.json")
        try JSONSerialization.data(withJSONObject: request).write(to: requestFile)
        let script = TestPaths.packageRoot.appendingPathComponent("scripts/training_reference.py").path
        _ = try Shell.output(["python3", script, requestFile.path])
        let report = try JSONDecoder().decode(Report.self, from: Data(contentsOf: directory.appendingPathComponent("report.json")))
        return (report, logprobs, loss)
    }

    /// Asserts the comparison: log-probabilities within `logprobTolerance`, each tensor's
    /// largest gradient error within `relative` of its largest reference value, the
    /// finite differences within 1e-4 relative of JAX and `relative` of the trainer.
    static func assertAgreement(_ report: Report, logprobs: [[Double]], loss: Double,
                                logprobTolerance: Double, relative: Double) {
        let logprobError = zip(report.logprobs.flatMap { $0 }, logprobs.flatMap { $0 }).map { abs($0 - $1) }.max() ?? 0
        #expect(logprobError <= logprobTolerance, "log-probabilities differ by \(logprobError)")
        #expect(abs(report.loss - loss) <= logprobTolerance * Double(logprobs.flatMap { $0 }.count), "loss \(loss) vs \(report.loss)")
        var worst = (name: "", ratio: 0.0)
        for t in report.tensors {
            let ratio = t.maxAbsError / max(t.maxAbsReference, 1e-12)
            if ratio > worst.ratio { worst = (t.name, ratio) }
            #expect(t.maxAbsError <= relative * t.maxAbsReference + 1e-7,
                    "\(t.name): max |error| \(t.maxAbsError) against max |gradient| \(t.maxAbsReference)")
        }
        print("gradients: worst tensor \(worst.name) at \(worst.ratio) of its largest gradient; log-probabilities within \(logprobError)")
        #expect(!report.finiteDifferences.isEmpty)
        for f in report.finiteDifferences {
            let scale = max(abs(f.finiteDifference), 1e-6)
            #expect(abs(f.finiteDifference - f.autodiff) <= 1e-4 * scale + 1e-8, "JAX vs finite difference at \(f.name)[\(f.index)]: \(f.autodiff) vs \(f.finiteDifference)")
            #expect(abs(f.ours - f.finiteDifference) <= relative * scale + 1e-6, "trainer vs finite difference at \(f.name)[\(f.index)]: \(f.ours) vs \(f.finiteDifference)")
        }
    }

    static let tinyModels: [(String, TinyModel)] = [
        ("llama, tied head, GQA", TinyModel()),
        ("qwen2, biases, untied head", TinyModel(architecture: "qwen2", tied: false, biases: true, seed: 2)),
        ("mistral, linear rope scaling, partial rotary, MHA", TinyModel(architecture: "mistral", heads: 4, kvHeads: 4, tied: false,
                                                                          ropeScale: 2, ropeDimensions: 8, seed: 3)),
    ]

    @Test(arguments: 0..<tinyModels.count)
    func tinyModelGradientsMatchJAX(index: Int) throws {
        let (name, tiny) = Self.tinyModels[index]
        let directory = try Scratch.directory("tiny")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("tiny.gguf").path
        try tiny.write(to: path)
        var random = TestRandom(seed: 9)
        let sequences = [(11, 4), (17, 1), (6, 5)].map { length, start in
            TrainingSequence(tokens: (0..<length).map { _ in random.below(tiny.vocabulary) }, completionStart: start)
        }
        let (report, logprobs, loss) = try Self.compare(
            modelPath: path, sequences: sequences,
            finiteDifferenceTensors: ["token_embd.weight", "blk.0.attn_q.weight", "blk.1.ffn_down.weight", "blk.0.attn_norm.weight"])
        print("model: \(name)")
        Self.assertAgreement(report, logprobs: logprobs, loss: loss, logprobTolerance: 1e-5, relative: 1e-4)
    }

    /// The IRPO loss (`IRPOObjective`, DPO + length-normalised NLL, and plain DPO at α = 0)
    /// through the trainer's backward against JAX differentiating the same loss written anew.
    @Test(arguments: [1.0, 0.0])
    func tinyModelIRPOGradientsMatchJAX(alpha: Double) throws {
        let (_, tiny) = Self.tinyModels[0]
        let directory = try Scratch.directory("tiny-irpo")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("tiny.gguf").path
        try tiny.write(to: path)
        var random = TestRandom(seed: 21)
        var sequences: [TrainingSequence] = []
        for (prompt, chosen, rejected) in [(4, 7, 5), (3, 2, 9), (6, 5, 5)] {
            let shared = (0..<prompt).map { _ in random.below(tiny.vocabulary) }
            for length in [chosen, rejected] {
                sequences.append(TrainingSequence(tokens: shared + (0..<length).map { _ in random.below(tiny.vocabulary) }, completionStart: prompt))
            }
        }
        let (report, logprobs, loss) = try Self.compare(
            modelPath: path, sequences: sequences, loss: .preference(.init(beta: 0.5, alpha: alpha), referenceShift: (0.7, -0.4)),
            finiteDifferenceTensors: ["token_embd.weight", "blk.1.attn_v.weight", "output_norm.weight"])
        print("IRPO α \(alpha): loss \(loss) vs JAX \(report.loss)")
        // The loss sums each sequence's float32 log-probabilities (each within 1e-5 of JAX's float64).
        #expect(abs(report.loss - loss) < 1e-5)
        Self.assertAgreement(report, logprobs: logprobs, loss: loss, logprobTolerance: 1e-5, relative: 1e-4)
    }

    /// SmolLM2-135M-Instruct (the default model, Q4_1 dequantised to f32) on two short sequences.
    @Test func smolLMGradientsMatchJAX() throws {
        let path = try TestPaths.defaultModel().path
        let sequences = [
            TrainingSequence(tokens: [1, 4093, 198, 1780, 314, 216, 34, 30, 216, 34, 47, 2, 198], completionStart: 6),
            TrainingSequence(tokens: [1, 9690, 198, 2683, 253, 5248, 30], completionStart: 3),
        ]
        let (report, logprobs, loss) = try Self.compare(
            modelPath: path, sequences: sequences,
            finiteDifferenceTensors: ["blk.29.ffn_down.weight", "output_norm.weight"])
        Self.assertAgreement(report, logprobs: logprobs, loss: loss, logprobTolerance: 1e-3, relative: 1e-2)
    }
}
