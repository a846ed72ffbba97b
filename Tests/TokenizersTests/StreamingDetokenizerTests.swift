import Foundation
import Testing
import TestSupport
import Tokenizers

@Suite struct StreamingDetokenizerTests {
    /// Streaming every golden case token by token gives exactly the text, and no chunk ever holds
    /// U+FFFD (half a character) when the text has none.
    @Test(arguments: ["smollm2_goldens.json", "llama3_goldens.json", "qwen2_goldens.json", "gpt2_goldens.json", "spm_goldens.json"])
    func streamsWholeCharactersOnly(_ file: String) throws {
        let golden = try GoldenFile.load(file)
        let tokenizer = try golden.tokenizer()
        var heldBack = 0
        for c in golden.cases {
            var stream = StreamingDetokenizer(tokenizer: tokenizer, skipSpecial: false)
            var chunks: [String] = []
            for id in c.ids {
                chunks.append(stream.append(id))
                heldBack += stream.pendingByteCount > 0 ? 1 : 0
            }
            chunks.append(stream.finish())
            let joined = chunks.joined()
            #expect(joined == tokenizer.decode(c.ids), "case '\(c.name)'")
            #expect(stream.text == joined)
            if !c.text.contains("\u{FFFD}") {
                #expect(!chunks.contains { $0.contains("\u{FFFD}") }, "case '\(c.name)' emitted half a character")
            }
        }
        // The emoji, CJK and Hindi cases split characters across tokens, so holding back happened.
        #expect(heldBack > 0)
    }

    @Test func holdsBackAnEmojiSplitAcrossTokens() throws {
        let tokenizer = try Tokenizer(path: TestPaths.defaultModel().path)
        let ids = tokenizer.encode("🍕", addSpecial: false)
        #expect(ids.count > 1, "the pizza emoji should need several byte-level tokens")
        var stream = StreamingDetokenizer(tokenizer: tokenizer)
        for id in ids.dropLast() { #expect(stream.append(id) == "") }
        #expect(stream.append(ids.last!) == "🍕")
        #expect(stream.finish() == "")
    }

    @Test func finishFlushesAnUnfinishedCharacter() throws {
        let tokenizer = try Tokenizer(path: TestPaths.defaultModel().path)
        let ids = tokenizer.encode("🍕", addSpecial: false)
        var stream = StreamingDetokenizer(tokenizer: tokenizer)
        _ = stream.append(ids[0])
        #expect(stream.pendingByteCount > 0)
        #expect(stream.finish() == "\u{FFFD}")
    }

    @Test func skipsControlTokensByDefault() throws {
        let tokenizer = try Tokenizer(path: TestPaths.defaultModel().path)
        var stream = StreamingDetokenizer(tokenizer: tokenizer)
        let out = tokenizer.encode("Hi<|im_end|>", addSpecial: false).map { stream.append($0) }.joined()
        #expect(out == "Hi")
    }

    @Test func stopsAtAStopStringWithoutEmittingAnyOfIt() throws {
        let tokenizer = try Tokenizer(path: TestPaths.defaultModel().path)
        let text = "The answer is 42.\n\nUser: next question\n\nUser: more"
        var stream = StreamingDetokenizer(tokenizer: tokenizer, stopStrings: ["\n\nUser:", "never"])
        var chunks: [String] = []
        for id in tokenizer.encode(text, addSpecial: false) { chunks.append(stream.append(id)) }
        chunks.append(stream.finish())
        #expect(chunks.joined() == "The answer is 42.")
        #expect(stream.text == "The answer is 42.")
        #expect(stream.stopString == "\n\nUser:")
        #expect(!chunks.contains { $0.contains("\n") }, "part of the stop string was emitted")
    }

    @Test func releasesTextThatOnlyLookedLikeAStopString() throws {
        let tokenizer = try Tokenizer(path: TestPaths.defaultModel().path)
        let text = "a\n\nUse the force\n\nUser"
        var stream = StreamingDetokenizer(tokenizer: tokenizer, stopStrings: ["\n\nUser:"])
        var out = ""
        for id in tokenizer.encode(text, addSpecial: false) { out += stream.append(id) }
        // "\n\nUser" at the end may still become the stop string, so it is held until finish().
        #expect(out == "a\n\nUse the force")
        #expect(stream.pendingByteCount == "\n\nUser".utf8.count)
        out += stream.finish()
        #expect(out == text)
        #expect(stream.stopString == nil)
    }
}
