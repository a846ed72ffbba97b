import Kernels
import Models
import Testing
import TestSupport

struct PagedKVCacheTests {
    static let tinyPath = TestPaths.fixtures.appendingPathComponent("forward/tiny_qwen2.gguf").path

    @Test func forkSharesPagesAndCopiesOnlyThePartialLastPage() throws {
        let model = try LlamaModel(path: Self.tinyPath)
        let cache = model.makeCache(maxSequences: 8, maxTotalPositions: 1024, pageSize: 4)
        let scratch = LlamaScratch(model: model, maxBatchRows: 16, maxLogitRows: 4, pool: WorkerPool(threadCount: 2))
        let root = try cache.createSequence()
        let prompt = [3, 1, 4, 1, 5, 9]   // 6 positions: one full page and half of another
        _ = try model.forward(batch: prompt.enumerated().map { BatchRow(sequence: root, position: $0.offset, token: $0.element, wantsLogits: false) },
                              cache: cache, scratch: scratch)
        #expect(cache.pagesInUse == 2)
        let children = try cache.fork(root, count: 3)
        cache.release(root)
        #expect(cache.pagesInUse == 2)
        #expect(cache.pageReferenceCount(sequence: children[0], position: 0) == 3)
        // Each child appends one token: the shared partial page is copied, the full page stays shared.
        _ = try model.forward(batch: children.map { BatchRow(sequence: $0, position: 6, token: 2, wantsLogits: true) },
                              cache: cache, scratch: scratch)
        #expect(cache.pageReferenceCount(sequence: children[0], position: 0) == 3)
        #expect(cache.pageReferenceCount(sequence: children[0], position: 6) == 1)
        #expect(cache.pagesInUse == 2 + 3 - 1)   // the last child took over the original partial page
        for child in children { cache.release(child) }
        #expect(cache.pagesInUse == 0)
    }

    @Test func forkedSequencesGiveTheSameLogitsAsAFreshPrefill() throws {
        let model = try LlamaModel(path: Self.tinyPath)
        let pool = WorkerPool(threadCount: 2)
        let scratch = LlamaScratch(model: model, maxBatchRows: 16, maxLogitRows: 4, pool: pool)
        let prompt = [3, 1, 4, 1, 5, 9, 2]
        let continuation = [6, 5, 3]

        // Fresh: the whole text in one sequence.
        let fresh = model.makeCache(maxSequences: 2, maxTotalPositions: 256, pageSize: 4)
        let a = try fresh.createSequence()
        let all = prompt + continuation
        let expected = Array(try model.forward(batch: all.enumerated().map {
            BatchRow(sequence: a, position: $0.offset, token: $0.element, wantsLogits: $0.offset == all.count - 1)
        }, cache: fresh, scratch: scratch).row(0))

        // Forked: prompt once, then two children decode the continuation together.
        let cache = model.makeCache(maxSequences: 4, maxTotalPositions: 256, pageSize: 4)
        let root = try cache.createSequence()
        _ = try model.forward(batch: prompt.enumerated().map { BatchRow(sequence: root, position: $0.offset, token: $0.element, wantsLogits: false) },
                              cache: cache, scratch: scratch)
        let children = try cache.fork(root, count: 2)
        var last: [[Float]] = []
        for (k, token) in continuation.enumerated() {
            let logits = try model.forward(batch: children.map { BatchRow(sequence: $0, position: prompt.count + k, token: token, wantsLogits: true) },
                                           cache: cache, scratch: scratch)
            last = [Array(logits.row(0)), Array(logits.row(1))]
        }
        for row in last {
            #expect(zip(row, expected).map { abs($0 - $1) }.max()! < 1e-4)
        }
    }

    @Test func outOfOrderPositionsAreRejectedBeforeAnythingIsWritten() throws {
        let model = try LlamaModel(path: Self.tinyPath)
        let cache = model.makeCache(maxSequences: 2, maxTotalPositions: 64)
        let scratch = LlamaScratch(model: model, maxBatchRows: 4, maxLogitRows: 1, pool: WorkerPool(threadCount: 1))
        let s = try cache.createSequence()
        #expect(throws: ModelsError.self) {
            try model.forward(batch: [BatchRow(sequence: s, position: 1, token: 0, wantsLogits: true)], cache: cache, scratch: scratch)
        }
        #expect(throws: ModelsError.self) {
            try model.forward(batch: [BatchRow(sequence: s, position: 0, token: 64, wantsLogits: true)], cache: cache, scratch: scratch)
        }
        #expect(cache.length(of: s) == 0)
    }

    @Test func unsupportedArchitectureErrorListsTheSupportedOnes() {
        do {
            _ = try ModelArchitecture.named("gpt2")
            Issue.record("gpt2 accepted")
        } catch {
            #expect(error.description.contains("llama, mistral, qwen2"))
        }
    }
}
