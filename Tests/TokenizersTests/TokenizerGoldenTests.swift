import Foundation
import GGUF
import Testing
import TestSupport
import Tokenizers

/// One golden file written by scripts/make_tokenizer_goldens.py from an independent tokenizer
/// (HF `tokenizers` for byte-level BPE, `sentencepiece` for SentencePiece).
struct GoldenFile: Decodable {
    struct Case: Decodable { let name: String; let text: String; let ids: [Int] }
    struct Decoded: Decodable { let name: String; let text: String }
    let generator: String
    let vocabulary: String?
    let bos: Int
    let eos: Int
    let add_bos: Bool?
    let decoded: [Decoded]?
    let cases: [Case]

    static func load(_ name: String) throws -> GoldenFile {
        let url = TestPaths.fixtures.appendingPathComponent("tokenizer/\(name)")
        return try JSONDecoder().decode(GoldenFile.self, from: Data(contentsOf: url))
    }

    /// The tokenizer the goldens were made for: a committed vocabulary-only GGUF, or the default model.
    func tokenizer() throws -> Tokenizer {
        if let vocabulary {
            return try Tokenizer(path: TestPaths.fixtures.appendingPathComponent("tokenizer/\(vocabulary)").path)
        }
        return try Tokenizer(path: TestPaths.defaultModel().path)
    }
}

/// Compares every case; returns how many matched so the caller can report a count.
@discardableResult
func expectGoldenIDs(_ golden: GoldenFile, _ tokenizer: Tokenizer, sourceLocation: SourceLocation = #_sourceLocation) -> Int {
    var matched = 0
    for c in golden.cases {
        let ids = tokenizer.encode(c.text, addSpecial: false)
        #expect(ids == c.ids, "case '\(c.name)' \(c.text.debugDescription): got \(ids), \(golden.generator) gives \(c.ids)",
                sourceLocation: sourceLocation)
        if ids == c.ids { matched += 1 }
    }
    return matched
}

@Suite struct TokenizerGoldenTests {
    @Test func smolLM2MatchesTokenizersOnItsOwnVocabulary() throws {
        let golden = try GoldenFile.load("smollm2_goldens.json")
        let tokenizer = try golden.tokenizer()
        #expect(tokenizer.kind == .bytePairEncoding)
        #expect(tokenizer.preTokenizer == .smolLM)
        #expect(golden.cases.count >= 150)
        expectGoldenIDs(golden, tokenizer)
    }

    @Test func llama3PreTokenizerMatchesTokenizers() throws {
        let golden = try GoldenFile.load("llama3_goldens.json")
        let tokenizer = try golden.tokenizer()
        #expect(tokenizer.preTokenizer == .llama3)
        expectGoldenIDs(golden, tokenizer)
        // Llama 3 adds <|begin_of_text|> when asked for special tokens.
        #expect(tokenizer.addsBOS == (golden.add_bos ?? false))
        let text = golden.cases.first { $0.name == "sentence" }!
        #expect(tokenizer.encode(text.text, addSpecial: true) == [golden.bos] + text.ids)
    }

    @Test func qwen2PreTokenizerMatchesTokenizers() throws {
        let golden = try GoldenFile.load("qwen2_goldens.json")
        let tokenizer = try golden.tokenizer()
        #expect(tokenizer.preTokenizer == .qwen2)
        expectGoldenIDs(golden, tokenizer)
        #expect(!tokenizer.addsBOS)
    }

    @Test func gpt2PreTokenizerMatchesTokenizers() throws {
        let golden = try GoldenFile.load("gpt2_goldens.json")
        let tokenizer = try golden.tokenizer()
        #expect(tokenizer.preTokenizer == .gpt2)
        expectGoldenIDs(golden, tokenizer)
    }

    @Test func sentencePieceMatchesSentencepiece() throws {
        let golden = try GoldenFile.load("spm_goldens.json")
        let tokenizer = try golden.tokenizer()
        #expect(tokenizer.kind == .sentencePiece)
        #expect(tokenizer.addsBOS && tokenizer.addsSpacePrefix)
        expectGoldenIDs(golden, tokenizer)
        let text = golden.cases.first { $0.name == "sentence" }!
        #expect(tokenizer.encode(text.text) == [golden.bos] + text.ids)
        // Decoding drops the space prefix and control tokens as sentencepiece's DecodeIds does.
        for d in golden.decoded ?? [] {
            let ids = golden.cases.first { $0.name == d.name }!.ids
            #expect(tokenizer.decode(ids, skipSpecial: true) == d.text, "decode of '\(d.name)'")
        }
    }

    @Test(arguments: ["smollm2_goldens.json", "llama3_goldens.json", "qwen2_goldens.json", "gpt2_goldens.json"])
    func byteLevelDecodeIsLossless(_ file: String) throws {
        let golden = try GoldenFile.load(file)
        let tokenizer = try golden.tokenizer()
        for c in golden.cases {
            #expect(tokenizer.decode(c.ids) == c.text, "case '\(c.name)'")
        }
    }

    @Test func parseSpecialOffSpellsControlTokensAsText() throws {
        let tokenizer = try GoldenFile.load("smollm2_goldens.json").tokenizer()
        let ids = tokenizer.encode("<|im_end|>", addSpecial: false, parseSpecial: false)
        #expect(!ids.contains(2))
        #expect(ids.count > 1)
        #expect(tokenizer.decode(ids) == "<|im_end|>")
    }
}

@Suite struct TokenizerMetadataTests {
    @Test func defaultModelSpecialTokens() throws {
        let tokenizer = try Tokenizer(path: TestPaths.defaultModel().path)
        // BASELINE.md: 49,152 tokens, bos 1 <|im_start|>, eos 2 <|im_end|>, no BOS added.
        #expect(tokenizer.vocabularySize == 49_152)
        #expect(tokenizer.bosID == 1 && tokenizer.tokenText(1) == "<|im_start|>")
        #expect(tokenizer.eosID == 2 && tokenizer.tokenText(2) == "<|im_end|>")
        #expect(!tokenizer.addsBOS)
        #expect(tokenizer.eotIDs.contains(2) && tokenizer.eotIDs.contains(0))   // <|im_end|>, <|endoftext|>
        #expect(tokenizer.isControl(1) && !tokenizer.isControl(100))
        #expect(tokenizer.chatTemplate?.contains("<|im_start|>") == true)
        #expect(tokenizer.encode("hi", addSpecial: true) == tokenizer.encode("hi", addSpecial: false))
        #expect(tokenizer.decode([1, 2], skipSpecial: true) == "")
        #expect(tokenizer.tokenText(-1) == nil && tokenizer.tokenText(49_152) == nil)
        #expect(tokenizer.decode([-5, 1_000_000]) == "")
    }

    @Test func unsupportedTokenizerIsReportedByName() throws {
        var writer = GGUFWriter()
        writer.add("tokenizer.ggml.model", .string("bert"))
        writer.add("tokenizer.ggml.tokens", .array(elementType: .string, values: [.string("a")]))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-bert-\(getpid()).gguf").path
        try writer.write(to: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: TokenizerError.unsupportedModel(path: path, model: "bert")) { try Tokenizer(path: path) }
    }

    @Test func unsupportedPreTokenizerIsReportedByName() throws {
        var writer = GGUFWriter()
        writer.add("tokenizer.ggml.model", .string("gpt2"))
        writer.add("tokenizer.ggml.pre", .string("deepseek-coder"))
        writer.add("tokenizer.ggml.tokens", .array(elementType: .string, values: [.string("a")]))
        writer.add("tokenizer.ggml.merges", .array(elementType: .string, values: []))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-pre-\(getpid()).gguf").path
        try writer.write(to: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: TokenizerError.unsupportedPreTokenizer(path: path, name: "deepseek-coder")) { try Tokenizer(path: path) }
        #expect(throws: TokenizerError.self) { try Tokenizer(path: path + ".missing") }
    }

    @Test func malformedVocabulariesThrowInsteadOfCrashing() throws {
        func tokenizer(_ entries: [(String, GGUFValue)]) throws -> Tokenizer {
            var writer = GGUFWriter()
            for (k, v) in entries { writer.add(k, v) }
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-bad-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).gguf").path
            try writer.write(to: path)
            defer { try? FileManager.default.removeItem(atPath: path) }
            return try Tokenizer(path: path)
        }
        let tokens: GGUFValue = .array(elementType: .string, values: [.string("a"), .string("b"), .string("ab")])
        // Tokens of the wrong type.
        #expect(throws: TokenizerError.self) {
            try tokenizer([("tokenizer.ggml.model", .string("gpt2")), ("tokenizer.ggml.tokens", .array(elementType: .int32, values: [.int32(1)]))])
        }
        // A merge that is not two tokens.
        #expect(throws: TokenizerError.self) {
            try tokenizer([("tokenizer.ggml.model", .string("gpt2")), ("tokenizer.ggml.tokens", tokens),
                           ("tokenizer.ggml.merges", .array(elementType: .string, values: [.string("ab")]))])
        }
        // Token types that do not match the tokens.
        #expect(throws: TokenizerError.self) {
            try tokenizer([("tokenizer.ggml.model", .string("llama")), ("tokenizer.ggml.tokens", tokens),
                           ("tokenizer.ggml.token_type", .array(elementType: .int32, values: [.int32(1)])),
                           ("tokenizer.ggml.scores", .array(elementType: .float32, values: [.float32(0), .float32(0), .float32(0)]))])
        }
        // A consistent tiny vocabulary works, and out-of-range special ids are ignored as llama.cpp does.
        let tiny = try tokenizer([("tokenizer.ggml.model", .string("gpt2")), ("tokenizer.ggml.tokens", tokens),
                                  ("tokenizer.ggml.merges", .array(elementType: .string, values: [.string("a b")])),
                                  ("tokenizer.ggml.bos_token_id", .uint32(99))])
        #expect(tiny.bosID == nil)
        #expect(tiny.encode("abba") == [2, 1, 0])   // "ab" merges; the bytes of "ba" stay apart
        #expect(tiny.decode([2, 1, 0]) == "abba")
    }
}
