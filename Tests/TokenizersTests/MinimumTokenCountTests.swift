import Foundation
import TestSupport
import Testing
import Tokenizers

/// `minimumTokenCount` is a lower bound on what `encode` produces, so a prompt refused by it
/// (issue 20: a 50 MB record) could never have fitted the context.
struct MinimumTokenCountTests {
    @Test func theBoundNeverExceedsTheRealTokenCount() throws {
        let tokenizer = try Tokenizer(path: TestPaths.defaultModel().path)
        let longest = (0..<tokenizer.vocabularySize).max { tokenizer.tokenBytes($0).count < tokenizer.tokenBytes($1).count }!
        #expect(tokenizer.longestTokenByteCount == max(4, tokenizer.tokenBytes(longest).count))
        var texts = [
            String(repeating: " ", count: 5000), String(repeating: "1234567890", count: 300), String(repeating: "the ", count: 2000),
            String(repeating: "ünïcödé ✓ 漢字 ", count: 200), "def f(x):\n    return x * 2\n" + String(repeating: "#", count: 3000),
            String(repeating: "<|im_start|>", count: 100),
        ]
        // The longest token's own text repeated: the case the bound is tightest for.
        if let text = String(bytes: tokenizer.tokenBytes(longest), encoding: .utf8) { texts.append(String(repeating: text, count: 50)) }
        for text in texts {
            let bound = tokenizer.minimumTokenCount(utf8Count: text.utf8.count)
            let tokens = tokenizer.encode(text, addSpecial: false).count
            #expect(bound >= 1 && bound <= tokens, "\(bound) > \(tokens) for \(text.prefix(30))")
        }
    }
}
