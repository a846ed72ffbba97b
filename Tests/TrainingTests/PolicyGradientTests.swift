import Foundation
import GGUF
import Testing
import TestSupport
import Training

/// The clipped policy-gradient objective: hand-computed cases, central finite differences of
/// its loss, the clip's zero-gradient regions, and (through `TrainingModel` on a tiny model)
/// every parameter's gradient against JAX differentiating its own implementation of the loss.
@Suite(.serialized) struct PolicyGradientTests {
    typealias Objective = PolicyGradientObjective

    /// One token with log-ratio `logRatio` (training minus sampling) and advantage `a`.
    static func single(logRatio: Double, advantage a: Double, reference: Double? = nil,
                       settings: Objective.Settings = .init()) throws -> Objective.Result {
        try Objective.loss(logprobs: [[-1]], samplingLogprobs: [[-1 - logRatio]], referenceLogprobs: reference.map { [[$0]] },
                           advantages: [a], totalTokens: 1, settings: settings)
    }

    @Test func handComputedCases() throws {
        // On-policy (ρ = 1): ℓ = −A per token, dL/dlp = −A/totalTokens: REINFORCE with the advantage.
        let onPolicy = try Objective.loss(logprobs: [[-0.5, -2], [-1]], samplingLogprobs: [[-0.5, -2], [-1]], referenceLogprobs: nil,
                                          advantages: [2, -1], totalTokens: 4, settings: .init())
        #expect(abs(onPolicy.loss - (-2 - 2 + 1) / 4) < 1e-12)
        #expect(onPolicy.gradients == [[-0.5, -0.5], [0.25]])
        #expect(onPolicy.clippedTokens == 0)
        // A = 2, ρ = 1.5 > 1.2: ℓ = −2·1.2 = −2.4, no gradient.
        let high = try Self.single(logRatio: log(1.5), advantage: 2)
        #expect(abs(high.loss + 2.4) < 1e-12 && high.gradients == [[0]] && high.clippedTokens == 1)
        // A = 2, ρ = 0.5 < 0.8: PPO keeps the unclipped (lower) objective, ℓ = −1, dℓ/dlp = −Aρ = −1.
        let lowPositive = try Self.single(logRatio: log(0.5), advantage: 2)
        #expect(abs(lowPositive.loss + 1) < 1e-12 && abs(lowPositive.gradients[0][0] + 1) < 1e-6)
        // A = −1, ρ = 0.5 < 0.8: ℓ = max(0.5, 0.8) = 0.8, no gradient.
        let lowNegative = try Self.single(logRatio: log(0.5), advantage: -1)
        #expect(abs(lowNegative.loss - 0.8) < 1e-12 && lowNegative.gradients == [[0]])
        // A = −1, ρ = 2: ℓ = 2, dℓ/dlp = 2.
        let mid = try Self.single(logRatio: log(2), advantage: -1)
        #expect(abs(mid.loss - 2) < 1e-12 && abs(mid.gradients[0][0] - 2) < 1e-6)
        // A = −1, ρ = 4 > c = 3: the dual clip caps ℓ at 3, no gradient; without it ℓ = 4.
        let dual = try Self.single(logRatio: log(4), advantage: -1)
        #expect(abs(dual.loss - 3) < 1e-12 && dual.gradients == [[0]])
        var noDual = Objective.Settings()
        noDual.dualClip = nil
        let undual = try Self.single(logRatio: log(4), advantage: -1, settings: noDual)
        #expect(abs(undual.loss - 4) < 1e-12 && abs(undual.gradients[0][0] - 4) < 1e-5)
        // KL: lp_ref − lp = ln 2, k3 = 2 − ln 2 − 1, dk3/dlp = 1 − 2 = −1; β = 0.1, A = 0.
        var kl = Objective.Settings()
        kl.klCoefficient = 0.1
        let penalty = try Self.single(logRatio: 0, advantage: 0, reference: -1 + log(2), settings: kl)
        #expect(abs(penalty.klPenalty - 0.1 * (1 - log(2))) < 1e-12 && abs(penalty.loss - penalty.klPenalty) < 1e-12)
        #expect(abs(penalty.gradients[0][0] + 0.1) < 1e-7)
    }

    /// `dL/dlp` against central differences of the loss, on random tokens kept away from the
    /// clip's kinks (where the loss has no derivative).
    @Test func gradientsMatchFiniteDifferences() throws {
        var random = TestRandom(seed: 21)
        var settings = Objective.Settings()
        settings.klCoefficient = 0.05
        settings.clipHigh = 0.28
        let kinks = [log(1 - settings.clipLow), log(1 + settings.clipHigh), log(3.0)]
        var logprobs: [[Double]] = [], sampling: [[Double]] = [], reference: [[Double]] = []
        for _ in 0..<4 {
            let count = 3 + random.below(5)
            var lp: [Double] = [], s: [Double] = [], r: [Double] = []
            for _ in 0..<count {
                let value = -0.1 - 3 * Double(random.nextSigned() + 1)
                var logRatio = 1.6 * Double(random.nextSigned())
                while kinks.contains(where: { abs($0 - logRatio) < 0.02 }) { logRatio += 0.05 }
                lp.append(value)
                s.append(value - logRatio)
                r.append(value + 0.8 * Double(random.nextSigned()))
            }
            logprobs.append(lp); sampling.append(s); reference.append(r)
        }
        let advantages = [1.5, -0.7, 0.3, -2.0], total = logprobs.reduce(0) { $0 + $1.count }
        let result = try Objective.loss(logprobs: logprobs, samplingLogprobs: sampling, referenceLogprobs: reference,
                                        advantages: advantages, totalTokens: total, settings: settings)
        #expect(result.clippedTokens > 0, "the random ratios reach the clip")
        let h = 1e-6
        for i in logprobs.indices {
            for t in logprobs[i].indices {
                var plus = logprobs, minus = logprobs
                plus[i][t] += h
                minus[i][t] -= h
                let lossPlus = try Objective.loss(logprobs: plus, samplingLogprobs: sampling, referenceLogprobs: reference,
                                                  advantages: advantages, totalTokens: total, settings: settings).loss
                let lossMinus = try Objective.loss(logprobs: minus, samplingLogprobs: sampling, referenceLogprobs: reference,
                                                   advantages: advantages, totalTokens: total, settings: settings).loss
                let difference = (lossPlus - lossMinus) / (2 * h)
                #expect(abs(difference - Double(result.gradients[i][t])) < 1e-6 * max(1, abs(difference)),
                        "token \(i).\(t): finite difference \(difference), gradient \(result.gradients[i][t])")
            }
        }
    }

    /// Over a sweep of ratios, the gradient is zero exactly in the clipped regions, and the
    /// loss is flat there.
    @Test func clipRegionsHaveZeroGradient() throws {
        let settings = Objective.Settings()
        for a in [1.0, -1.0, 0.4, -2.5] {
            for step in 0..<400 {
                let ratio = 0.05 + Double(step) * 0.01
                guard [0.8, 1.2, 3.0].allSatisfy({ abs(ratio - $0) > 1e-9 }) else { continue }
                let result = try Self.single(logRatio: log(ratio), advantage: a, settings: settings)
                let clipped = a > 0 ? ratio > 1.2 : (ratio < 0.8 || ratio > 3.0)
                let gradient = Double(result.gradients[0][0])
                if clipped {
                    #expect(gradient == 0, "A \(a), ρ \(ratio): gradient \(gradient) in the clipped region")
                    let nearby = try Self.single(logRatio: log(ratio) + 1e-4, advantage: a, settings: settings)
                    #expect(nearby.loss == result.loss, "A \(a), ρ \(ratio): the loss is not flat where clipped")
                } else {
                    #expect(abs(gradient - (-a * ratio)) < 1e-5 * max(1, abs(a * ratio)), "A \(a), ρ \(ratio): gradient \(gradient)")
                }
            }
        }
    }

    @Test func badInputGetsAClearError() {
        func message(_ body: () throws -> Objective.Result) -> String {
            do { _ = try body(); return "" } catch { return String(describing: error) }
        }
        #expect(message {
            try Objective.loss(logprobs: [[-1, -2]], samplingLogprobs: [[-1]], referenceLogprobs: nil, advantages: [1], totalTokens: 2, settings: .init())
        }.contains("sampling log-probabilities are not shaped"))
        #expect(message {
            try Objective.loss(logprobs: [[-1]], samplingLogprobs: [[-1]], referenceLogprobs: nil, advantages: [1, 2], totalTokens: 1, settings: .init())
        }.contains("2 advantages for 1 sequences"))
        var kl = Objective.Settings()
        kl.klCoefficient = 0.1
        #expect(message {
            try Objective.loss(logprobs: [[-1]], samplingLogprobs: [[-1]], referenceLogprobs: nil, advantages: [1], totalTokens: 1, settings: kl)
        }.contains("needs the reference"))
        var bad = Objective.Settings()
        bad.dualClip = 0.5
        #expect(message {
            try Objective.loss(logprobs: [[-1]], samplingLogprobs: [[-1]], referenceLogprobs: nil, advantages: [1], totalTokens: 1, settings: bad)
        }.contains("c > 1"))
    }

    /// Through the training engine: the parameter gradient of the policy-gradient loss (clip,
    /// dual clip and KL all active on some tokens) against JAX, which computes the log-probabilities,
    /// the same loss in its own code (scripts/training_reference.py) and differentiates it.
    @Test func tinyModelPolicyGradientMatchesJAX() throws {
        try GradientTests.installReference()
        let directory = try Scratch.directory("policy-gradient")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("tiny.gguf").path
        let tiny = TinyModel()
        try tiny.write(to: path)
        var random = TestRandom(seed: 5)
        let sequences = [(12, 4), (9, 2), (14, 6)].map { length, start in
            TrainingSequence(tokens: (0..<length).map { _ in random.below(tiny.vocabulary) }, completionStart: start)
        }
        let model = try TrainingModel(file: GGUFFile(path: path), threads: 2)
        let logprobs = try model.forward(sequences)
        // Log-ratios away from the kinks at ln 0.8, ln 1.2 and ln 3: inside the clip, above, below, past the dual clip.
        let offsets = [0.0, 0.1, -0.1, 0.5, -0.5, 1.5, -0.05]
        var k = 0
        let sampling = logprobs.map { row in row.map { lp -> Double in k += 1; return lp - offsets[k % offsets.count] } }
        let reference = logprobs.map { row in row.map { $0 + 0.6 * Double(random.nextSigned()) } }
        let advantages = [1.25, -0.75, 0.5]
        var settings = PolicyGradientObjective.Settings()
        settings.klCoefficient = 0.2
        let total = logprobs.reduce(0) { $0 + $1.count }
        let result = try PolicyGradientObjective.loss(logprobs: logprobs, samplingLogprobs: sampling, referenceLogprobs: reference,
                                                      advantages: advantages, totalTokens: total, settings: settings)
        #expect(result.clippedTokens > 0)
        model.zeroGradients()
        try model.backward(result.gradients)
        let gradientFile = directory.appendingPathComponent("gradients.f32")
        try Data(buffer: model.gradients.buffer).write(to: gradientFile)
        let request: [String: Any] = [
            "model": path,
            "sequences": sequences.map { ["tokens": $0.tokens, "completionStart": $0.completionStart] },
            "policyGradient": [
                "samplingLogprobs": sampling, "referenceLogprobs": reference, "advantages": advantages, "totalTokens": total,
                "clipLow": settings.clipLow, "clipHigh": settings.clipHigh, "dualClip": settings.dualClip!,
                "klCoefficient": settings.klCoefficient,
            ] as [String: Any],
            "gradients": gradientFile.path,
            "tensors": model.layout.tensors.map { ["name": $0.name, "offset": $0.offset, "count": $0.count] },
            "finiteDifferenceTensors": ["token_embd.weight", "blk.1.attn_v.weight", "blk.0.ffn_gate.weight"],
            "output": directory.appendingPathComponent("report.json").path,
        ]
        let requestFile = directory.appendingPathComponent("request.json")
        try JSONSerialization.data(withJSONObject: request).write(to: requestFile)
        _ = try Shell.output(["python3", TestPaths.packageRoot.appendingPathComponent("scripts/training_reference.py").path, requestFile.path])
        let report = try JSONDecoder().decode(GradientTests.Report.self,
                                              from: Data(contentsOf: directory.appendingPathComponent("report.json")))
        GradientTests.assertAgreement(report, logprobs: logprobs, loss: result.loss, logprobTolerance: 1e-5, relative: 1e-4)
    }
}
