import Foundation
import Kernels
import ModelHub
import Models
import Testing
import TestSupport

/// The forward pass against the independent numpy reference
/// (`scripts/reference_forward.py`). Tolerance: max |Δlogit| ≤ 1e-2 × the range of the
/// reference logits; greedy continuations must match token for token.
struct LlamaGoldenTests {
    static let smollm = GoldenFile.load("smollm2_goldens.json")
    static let tiny = GoldenFile.load("tiny_goldens.json")
    static let pool = WorkerPool(threadCount: 2)

    /// The default model is installed by the test setup; missing, the suite fails here.
    static let smollmModel: Result<LlamaModel, any Error> = Result {
        let url = try TestPaths.defaultModel()
        let sha = try ModelCache.sha256(of: url)
        guard sha == smollm.modelSHA256 else {
            throw TestSupportError("\(url.path) has SHA-256 \(sha); the goldens were made from \(smollm.modelSHA256 ?? "?")")
        }
        return try LlamaModel(path: url.path, precision: .float32)
    }

    @Test(arguments: smollm.cases)
    func smollmLastPositionLogitsAndGreedyTokensMatchReference(_ golden: GoldenCase) throws {
        let runner = try SingleSequenceRunner(model: try Self.smollmModel.get(), pool: Self.pool)
        let logits = try runner.feed(golden.promptTokens)
        let reference = golden.referenceLogits
        let (difference, range) = maxDifference(logits, reference)
        print("\(golden.name): \(golden.promptTokens.count) prompt tokens, max |Δlogit| = \(difference), range \(range), ratio \(difference / range)")
        #expect(difference <= 1e-2 * range, "max |Δlogit| = \(difference) over range \(range) for \(golden.name)")
        #expect(argmax(logits) == argmax(reference))
        let greedy = try runner.greedy(after: logits, count: golden.greedyTokens.count)
        let matching = zip(greedy, golden.greedyTokens).prefix { $0 == $1 }.count
        print("\(golden.name): \(matching)/\(golden.greedyTokens.count) greedy tokens match")
        #expect(greedy == golden.greedyTokens)
    }

    @Test(arguments: tiny.cases)
    func tinyModelsMatchReference(_ golden: GoldenCase) throws {
        let path = TestPaths.fixtures.appendingPathComponent("forward/\(golden.model!)").path
        let runner = try SingleSequenceRunner(model: try LlamaModel(path: path, precision: .float32), pool: Self.pool)
        let logits = try runner.feed(golden.promptTokens)
        let reference = golden.referenceLogits
        let (difference, range) = maxDifference(logits, reference)
        // Tiny float32 models agree with the float64 reference to rounding.
        #expect(difference <= 1e-4 * range, "max |Δlogit| = \(difference) over range \(range) for \(golden.name)")
        #expect(try runner.greedy(after: logits, count: golden.greedyTokens.count) == golden.greedyTokens)
    }
}
