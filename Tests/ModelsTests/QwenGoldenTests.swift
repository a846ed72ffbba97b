import Foundation
import GGUF
import Kernels
import ModelHub
import Models
import Testing
import TestSupport
import Tokenizers

/// Qwen2.5-Coder-1.5B-Instruct Q4_K_M (q4_K and q6_K matrices) against the float64
/// numpy reference (`scripts/reference_forward.py --only qwen`), and the int8 path's
/// greedy tokens against the float32 path's.
///
/// Opt-in: these need the 1.1 GB model (`quorum model pull qwen2.5-coder-1.5b-instruct`)
/// and minutes of CPU, so they run only with `QUORUM_QWEN=1`. The k-quant kernels
/// themselves are always tested (`Int8KernelTests`, against `Int8Reference`).
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["QUORUM_QWEN"] == "1", "set QUORUM_QWEN=1 to run (needs the 1.1 GB model: quorum model pull qwen2.5-coder-1.5b-instruct)"))
struct QwenGoldenTests {
    static let pool = WorkerPool(threadCount: 2)

    static func modelPath() throws -> String {
        let spec = ModelCatalog.qwen25Coder1_5BInstruct
        let url = try ModelCache().resolve(spec.name)
        let size = (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        guard size == spec.byteCount else {
            throw TestSupportError("\(url.path) has \(size) bytes, expected \(spec.byteCount); run `quorum model pull \(spec.name)` again.")
        }
        return url.path
    }

    static let float32Model: Result<LlamaModel, any Error> = Result { try LlamaModel(path: try modelPath(), precision: .float32) }
    static let int8Model: Result<LlamaModel, any Error> = Result { try LlamaModel(path: try modelPath(), precision: .int8Activations) }

    @Test func kQuantMatricesArePackedForTheInt8Path() throws {
        let model = try Self.int8Model.get()
        let layer = model.weights.layers[0]
        for matrix in [layer.query, layer.key, layer.gate, layer.up, layer.down, layer.value, model.weights.output] {
            #expect(["q4_K", "q6_K", "q8_0"].contains(String(describing: matrix.type)), "\(matrix.name) is \(matrix.type)")
            #expect(matrix.packed != nil, "\(matrix.name) (\(matrix.type)) is not on the int8 path")
        }
    }

    @Test func float32LogitsAndGreedyTokensMatchTheFloat64Reference() throws {
        let golden = GoldenFile.load("qwen_goldens.json")
        let path = try Self.modelPath()
        #expect(try ModelCache.sha256(of: URL(fileURLWithPath: path)) == golden.modelSHA256)
        for golden in golden.cases {
            let r = try LlamaGoldenTests.run(golden, on: try Self.float32Model.get(), pool: Self.pool)
            print("qwen float32 \(golden.name): max |Δlogit| = \(r.difference), range \(r.range), ratio \(r.difference / r.range); \(r.matching)/\(golden.greedyTokens.count) greedy tokens match")
            #expect(r.difference <= 1e-2 * r.range, "max |Δlogit| = \(r.difference) over range \(r.range)")
            #expect(r.greedy == golden.greedyTokens)
            // The golden's prompt is vocabulary pieces; Quorum's tokenizer makes the same ids from its text.
            let tokenizer = try Tokenizer(gguf: try GGUFFile(path: path))
            #expect(tokenizer.encode(golden.text ?? "", addSpecial: false) == golden.promptTokens)
            // The int8 path stays close to the exact reference.
            let int8 = try LlamaGoldenTests.run(golden, on: try Self.int8Model.get(), pool: Self.pool)
            print("qwen int8 vs float64 \(golden.name): ratio \(int8.difference / int8.range); \(int8.matching)/\(golden.greedyTokens.count) greedy tokens agree")
            #expect(int8.difference <= 1e-1 * int8.range)
        }
    }

    /// Chat prompts rendered by Quorum's template interpreter from the file's metadata.
    static let prompts = [
        "Write a Python function that returns the n-th Fibonacci number.",
        "What is the capital of France? Answer in one word.",
        "Explain what a hash table is in two sentences.",
        "def is_prime(n):\n    \"\"\"Return True if n is prime.\"\"\"",
    ]

    @Test func int8GreedyTokensAgreeWithFloat32() throws {
        let path = try Self.modelPath()
        let file = try GGUFFile(path: path)
        let tokenizer = try Tokenizer(gguf: file)
        let template = try ChatTemplate(file["tokenizer.chat_template"]?.stringValue ?? "")
        var agreeing: [Int] = []
        for prompt in Self.prompts {
            let text = try template.render(messages: [["role": "user", "content": .string(prompt)]], addGenerationPrompt: true)
            let tokens = tokenizer.encode(text, addSpecial: false)
            let exact = try SingleSequenceRunner(model: try Self.float32Model.get(), pool: Self.pool)
            let fast = try SingleSequenceRunner(model: try Self.int8Model.get(), pool: Self.pool)
            let exactTokens = try exact.greedy(after: try exact.feed(tokens), count: 12)
            let fastTokens = try fast.greedy(after: try fast.feed(tokens), count: 12)
            let matching = zip(exactTokens, fastTokens).prefix { $0 == $1 }.count
            print("qwen int8 vs float32 on \(prompt.prefix(30))...: \(matching)/12 greedy tokens agree; float32: \(tokenizer.decode(exactTokens).debugDescription)")
            agreeing.append(matching)
        }
        // Int8 rounding can flip a near tie; most prompts must agree on their first 12 tokens and all on the first 4.
        #expect(agreeing.filter { $0 == 12 }.count >= Self.prompts.count - 1, "\(agreeing)")
        #expect(agreeing.allSatisfy { $0 >= 4 }, "\(agreeing)")
    }
}
