import Foundation
import Kernels
import Models
import Testing
import TestSupport

/// One case of `Tests/Fixtures/forward/*_goldens.json`, written by
/// `scripts/reference_forward.py` (numpy float64 forward over gguf-py's dequantisers).
struct GoldenCase: Decodable, CustomTestStringConvertible {
    let name: String
    /// The prompt's text, when the fixture records it.
    let text: String?
    let model: String?
    let modelSHA256: String?
    let promptTokens: [Int]
    let logits: String
    let greedyTokens: [Int]

    var testDescription: String { name }

    /// The reference's last-position logits.
    var referenceLogits: [Float] {
        let data = Data(base64Encoded: logits)!
        return data.withUnsafeBytes { raw in
            (0..<data.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }
}

struct GoldenFile: Decodable {
    let model: String?
    let modelSHA256: String?
    let cases: [GoldenCase]

    static func load(_ name: String) -> GoldenFile {
        let url = TestPaths.fixtures.appendingPathComponent("forward/\(name)")
        do {
            return try JSONDecoder().decode(GoldenFile.self, from: Data(contentsOf: url))
        } catch {
            fatalError("Cannot read golden fixture \(url.path): \(error). Regenerate with scripts/reference_forward.py.")
        }
    }
}

/// Runs a model one sequence at a time through `forward(batch:cache:scratch:)`.
final class SingleSequenceRunner {
    let model: LlamaModel
    let scratch: LlamaScratch
    let cache: PagedKVCache
    let sequence: Int

    init(model: LlamaModel, pool: WorkerPool) throws {
        self.model = model
        scratch = LlamaScratch(model: model, maxBatchRows: 128, maxLogitRows: 4, pool: pool)
        cache = model.makeCache(maxSequences: 4, maxTotalPositions: 4096)
        sequence = try cache.createSequence()
    }

    /// Feeds `tokens` (as one batch) and returns the last position's logits.
    func feed(_ tokens: [Int]) throws -> [Float] {
        let start = cache.length(of: sequence)
        let rows = tokens.enumerated().map {
            BatchRow(sequence: sequence, position: start + $0.offset, token: $0.element, wantsLogits: $0.offset == tokens.count - 1)
        }
        return Array(try model.forward(batch: rows, cache: cache, scratch: scratch).row(0))
    }

    /// Greedy continuation: argmax of each step's logits, `count` tokens.
    func greedy(after logits: [Float], count: Int) throws -> [Int] {
        var logits = logits
        var tokens: [Int] = []
        for _ in 0..<count {
            let next = argmax(logits)
            tokens.append(next)
            logits = try feed([next])
        }
        return tokens
    }
}

func argmax(_ values: [Float]) -> Int {
    var best = 0
    for i in values.indices where values[i] > values[best] { best = i }
    return best
}

/// max |a - b| over the vectors, and the range (max - min) of `reference`.
func maxDifference(_ a: [Float], _ reference: [Float]) -> (maximum: Float, range: Float) {
    precondition(a.count == reference.count, "length \(a.count) vs \(reference.count)")
    let maximum = zip(a, reference).map { abs($0 - $1) }.max() ?? 0
    return (maximum, (reference.max() ?? 0) - (reference.min() ?? 0))
}
