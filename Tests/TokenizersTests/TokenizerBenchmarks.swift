import Foundation
import Testing
import TestSupport
import Tokenizers

/// Timings for the report; run with `QUORUM_BENCHMARKS=1 swift test -c release --filter TokenizerBenchmarks`.
/// Speed is printed, never asserted; what is asserted is that 100 KB round-trips exactly.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["QUORUM_BENCHMARKS"] != nil, "set QUORUM_BENCHMARKS=1 to run"))
struct TokenizerBenchmarks {
    /// About 100 KB of the repository's Swift sources, and of the multilingual golden texts.
    static func corpora() throws -> [(name: String, text: String)] {
        var code = ""
        let sources = TestPaths.packageRoot.appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)!
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }.sorted { $0.path < $1.path }
        for file in files where code.utf8.count < 100_000 { code += try String(contentsOf: file, encoding: .utf8) }
        var mixed = ""
        let texts = try GoldenFile.load("smollm2_goldens.json").cases.map(\.text)
        while mixed.utf8.count < 100_000 { mixed += texts.joined(separator: "\n") }
        return [("swift code", code), ("multilingual goldens", mixed)]
    }

    @Test func encode100KB() throws {
        let tokenizers: [(String, Tokenizer)] = [
            ("SmolLM2 (smollm)", try Tokenizer(path: TestPaths.defaultModel().path)),
            ("llama3 fixture", try GoldenFile.load("llama3_goldens.json").tokenizer()),
            ("spm fixture", try GoldenFile.load("spm_goldens.json").tokenizer()),
        ]
        let clock = ContinuousClock()
        for (name, text) in try Self.corpora() {
            for (tokenizerName, tokenizer) in tokenizers {
                var ids: [Int] = []
                let elapsed = clock.measure { ids = tokenizer.encode(text, addSpecial: false) }
                var decoded = ""
                let decodeElapsed = clock.measure { decoded = tokenizer.decode(ids) }
                if tokenizer.kind == .bytePairEncoding { #expect(decoded == text) }
                print("\(tokenizerName), \(name): \(text.utf8.count) bytes -> \(ids.count) tokens, encode \(elapsed), decode \(decodeElapsed)")
            }
        }
        let loadElapsed = try clock.measure { _ = try Tokenizer(path: TestPaths.defaultModel().path) }
        print("SmolLM2 tokenizer load: \(loadElapsed)")
    }
}
