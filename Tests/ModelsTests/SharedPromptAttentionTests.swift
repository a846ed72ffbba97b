import Kernels
import Models
import Testing
import TestSupport

/// Forked samples of two prompts decoding in one batch on SmolLM (pages of 16, so the
/// rows of each prompt score its shared full pages together) give bit for bit the
/// logits each sample gets decoding alone: a sequence's logits do not depend on its batch.
struct SharedPromptAttentionTests {
    static let prompts: [[Int]] = [
        (0..<40).map { ($0 * 37 + 11) % 5000 + 100 },   // two full pages and a partial one
        (0..<35).map { ($0 * 53 + 7) % 5000 + 200 },
    ]
    /// Tokens each sample feeds, per decode step: (prompt, tokens).
    static let samples: [(prompt: Int, tokens: [Int])] = [
        (0, [500, 501, 502]), (0, [600, 601, 602]), (1, [700, 701, 702]), (0, [800, 801, 802]), (1, [900, 901, 902]),
    ]

    @Test func forkedSamplesOfTwoPromptsInOneBatchEqualEachSampleAlone() throws {
        let model = try LlamaModel(path: try TestPaths.defaultModel().path)
        let scratch = LlamaScratch(model: model, maxBatchRows: 64, maxLogitRows: 8, pool: WorkerPool(threadCount: 2))

        func prefill(_ prompt: [Int], cache: PagedKVCache) throws -> Int {
            let root = try cache.createSequence()
            _ = try model.forward(batch: prompt.enumerated().map {
                BatchRow(sequence: root, position: $0.offset, token: $0.element, wantsLogits: false)
            }, cache: cache, scratch: scratch)
            return root
        }

        // Together: each prompt prefilled once, its samples forked from it, all decoding in one batch.
        let cache = model.makeCache(maxSequences: 16, maxTotalPositions: 4096)
        let roots = try Self.prompts.map { try prefill($0, cache: cache) }
        let sequences = try Self.samples.map { try cache.fork(roots[$0.prompt], count: 1)[0] }
        #expect(cache.pageReferenceCount(sequence: sequences[0], position: 0) == 4)   // root + 3 samples
        var together: [[[Float]]] = Array(repeating: [], count: Self.samples.count)
        for step in 0..<3 {
            let logits = try model.forward(batch: Self.samples.indices.map { i in
                BatchRow(sequence: sequences[i], position: Self.prompts[Self.samples[i].prompt].count + step,
                         token: Self.samples[i].tokens[step], wantsLogits: true)
            }, cache: cache, scratch: scratch)
            for i in Self.samples.indices { together[i].append(Array(logits.row(i))) }
        }

        // Alone: each sample in a cache of its own.
        for (i, sample) in Self.samples.enumerated() {
            let own = model.makeCache(maxSequences: 2, maxTotalPositions: 1024)
            let root = try prefill(Self.prompts[sample.prompt], cache: own)
            let sequence = try own.fork(root, count: 1)[0]
            for step in 0..<3 {
                let logits = try model.forward(batch: [BatchRow(sequence: sequence, position: Self.prompts[sample.prompt].count + step,
                                                                token: sample.tokens[step], wantsLogits: true)],
                                               cache: own, scratch: scratch)
                let alone = Array(logits.row(0))
                #expect(alone.map(\.bitPattern) == together[i][step].map(\.bitPattern),
                        "sample \(i), step \(step): logits in the batch differ from alone (max |Δ| \(zip(alone, together[i][step]).map { abs($0 - $1) }.max()!))")
            }
        }
    }
}
