import Kernels
import Models
import Testing
import TestSupport

/// The C attention kernel (pages of 16 positions, keys transposed) against the simple
/// Swift loop the forward pass uses for other page sizes: same model, same tokens,
/// logits equal to float rounding. The kernel sums in another order and its exp is
/// within 1e-7; those differences occasionally round a key or value of the next layer
/// to the neighbouring f16 value, so SmolLM's 30 layers differ by up to about 1.4e-4
/// of the logit range.
struct AttentionKernelTests {
    static func logits(_ model: LlamaModel, pageSize: Int, tokens: [Int]) throws -> [Float] {
        let scratch = LlamaScratch(model: model, maxBatchRows: 64, maxLogitRows: 1, pool: WorkerPool(threadCount: 2))
        let cache = model.makeCache(maxSequences: 1, maxTotalPositions: 1024, pageSize: pageSize)
        let sequence = try cache.createSequence()
        // Two chunks, so the second attends to positions written by the first.
        let split = tokens.count / 2
        _ = try model.forward(batch: (0..<split).map { BatchRow(sequence: sequence, position: $0, token: tokens[$0], wantsLogits: false) },
                              cache: cache, scratch: scratch)
        return Array(try model.forward(batch: (split..<tokens.count).map {
            BatchRow(sequence: sequence, position: $0, token: tokens[$0], wantsLogits: $0 == tokens.count - 1)
        }, cache: cache, scratch: scratch).row(0))
    }

    @Test(arguments: ["tiny_qwen2.gguf", "tiny_llama_q.gguf", "smollm"])
    func kernelEqualsTheSimpleAttention(_ name: String) throws {
        let path = name == "smollm" ? try TestPaths.defaultModel().path
                                    : TestPaths.fixtures.appendingPathComponent("forward/\(name)").path
        let model = try LlamaModel(path: path, precision: .float32)
        // 45 positions: two full pages of 16 and a partial one.
        let tokens = (0..<45).map { ($0 * 7 + 3) % min(model.configuration.vocabularySize, 60) }
        let fast = try Self.logits(model, pageSize: 16, tokens: tokens)
        let simple = try Self.logits(model, pageSize: 4, tokens: tokens)
        let (difference, range) = maxDifference(fast, simple)
        #expect(difference <= 1e-3 * range, "\(name): max |Δlogit| \(difference) over range \(range)")
    }
}
