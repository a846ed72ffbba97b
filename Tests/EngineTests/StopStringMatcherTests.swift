import Engine
import Testing

struct StopStringMatcherTests {
    @Test func textEndsBeforeAStopStringSplitAcrossPieces() {
        var matcher = StopStringMatcher(stopStrings: ["STOP"])
        var shown = ""
        for piece in ["Hel", "lo wo", "rld. ST", "OP and more"] { shown += matcher.append(piece) }
        #expect(matcher.stopped)
        #expect(shown == "Hello world. ")
        #expect(matcher.text == "Hello world. ")
    }

    @Test func aPartialMatchIsHeldBackThenReleased() {
        var matcher = StopStringMatcher(stopStrings: ["\n\nUser:"])
        #expect(matcher.append("Answer 42.\n") == "Answer 42.")
        #expect(matcher.append("\nUs") == "")
        #expect(matcher.append("ually") == "\n\nUsually")
        #expect(matcher.finish() == "")
        #expect(!matcher.stopped)
        #expect(matcher.text == "Answer 42.\n\nUsually")
    }

    @Test func theEarliestOfSeveralStopStringsWins() {
        var matcher = StopStringMatcher(stopStrings: ["world", "lo"])
        #expect(matcher.append("hello world") == "hel")
        #expect(matcher.text == "hel")
    }

    @Test func heldBackTextIsFlushedAtTheEnd() {
        var matcher = StopStringMatcher(stopStrings: ["ab"])
        #expect(matcher.append("xa") == "x")
        #expect(matcher.finish() == "a")
        #expect(matcher.text == "xa")
    }
}
