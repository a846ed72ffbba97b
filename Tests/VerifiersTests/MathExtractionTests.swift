import Foundation
import ScalingCore
import Testing
import Verifiers

/// Extraction and normalisation edge cases, and the hard limits on pathological input.
@Suite struct MathExtractionTests {
    @Test(arguments: [
        ("We get $\\boxed{\\frac{1}{2}}$.", "\\frac{1}{2}", "boxed"),
        ("first \\boxed{1} then \\boxed{\\{1, \\{2\\}\\}}", "\\{1, \\{2\\}\\}", "boxed"),
        ("nested \\boxed{\\frac{\\sqrt{\\frac{1}{2}}}{2}} end", "\\frac{\\sqrt{\\frac{1}{2}}}{2}", "boxed"),
        ("\\fbox{42}", "42", "boxed"),
        ("so \\boxed 7 is it", "7", "boxed"),
        ("Natalia sold 48/2 = 24 clips.\n#### 72", "72", "gsm8k-####"),
        ("#### 1,000\n", "1,000", "gsm8k-####"),
        ("The final answer is $\\frac{3}{5}$. I hope it is correct.", "\\frac{3}{5}", "the-final-answer-is"),
        ("Reasoning...\nFinal Answer: 17 apples.", "17 apples", "final-answer"),
        ("we add 3 and 4 to get 7.", "7", "final-stated-value"),
        ("She has 6 - 2 = 4 left. The answer is 4.", "4", "the-answer-is"),
        ("The answer is 18 because 9 + 9 = 18", "18", "the-answer-is"),
        ("the loss was -12.5 dollars", "-12.5", "final-stated-value"),
        ("it costs 1,234 in total", "1,234", "final-stated-value"),
        ("The answer is not 12; it is 13.", "13", "the-answer-is"),
        ("Solving gives the answer is\n\\[ x > 2 \\]", "x > 2", "the-answer-is"),
        ("**Final answer:** 24", "24", "final-answer"),
        ("The answer is $\\{2, 1\\}$.", "\\{2, 1\\}", "the-answer-is"),
        ("\\frac{-4}{-6}", "\\frac{-4}{-6}", "whole answer"),
        ("(x, y) = (3, 5)", "(x, y) = (3, 5)", "whole answer"),
        ("Half of it, so $\\frac{1}{2}$ of the pie.", "\\frac{1}{2}", "final-stated-value"),
        ("There are $\\binom{3}{1} = 3$ ways.", "3", "final-stated-value"),
    ])
    func extraction(completion: String, answer: String, rule: String) throws {
        let extraction = try #require(MathAnswerExtractor.extract(from: completion))
        #expect(extraction.answer == answer)
        #expect(extraction.rule == rule)
    }

    @Test func truncatedCompletionsHaveNoAnswer() throws {
        // Cut off inside \boxed{, or mid-sentence: the numbers before are working, not an answer.
        #expect(MathAnswerExtractor.extract(from: "so x = 5 and \\boxed{\\frac{1}{") == nil)
        #expect(MathAnswerExtractor.extract(from: "First, 5 + 7 = 12. Then we need to subtract the") == nil)
        #expect(MathAnswerExtractor.extract(from: "no digits here, nothing stated at all") == nil)
    }

    @Test(arguments: [
        ("either 3 or 4", "hedged"),
        ("The answer is \\boxed{6 \\text{ or } 8}.", "hedged"),
        ("(C) and (D)", "hedged"),
        ("It is 6, or maybe 8.", "hedged"),
        ("\\boxed{}", "placeholder"),
        ("\\boxed{?}", "placeholder"),
        ("The answer is \\boxed{\\ldots}", "placeholder"),
    ])
    func hedgesAndPlaceholdersAreNotAnswers(completion: String, why: String) throws {
        let extraction = try #require(MathAnswerExtractor.extract(from: completion))
        #expect(extraction.notAnAnswer == why)
        #expect(MathVerifier().verifySynchronously(completion, for: MathVerifierTests.problem("6")).outcome == .failed)
    }

    @Test func inequalitiesJoinedByOrAreAUnionNotAHedge() throws {
        let extraction = try #require(MathAnswerExtractor.extract(from: "x < 3 \\text{ or } x > 5"))
        #expect(extraction.notAnAnswer == nil)
        let verdict = MathVerifier().verifySynchronously("x < 3 \\text{ or } x > 5", for: MathVerifierTests.problem("(-\\infty, 3) \\cup (5, \\infty)"))
        #expect(verdict.outcome == .passed, "\(verdict)")
    }

    @Test(arguments: [
        ("\\$1,000.00", "1000.00", "dollar"),
        ("10,\\!000", "10000", nil),
        ("\\left( 3, \\frac{\\pi}{2} \\right)", "( 3, \\frac{\\pi}{2} )", nil),
        ("30^\\circ", "30", "degree"),
        ("45^{\\circ}", "45", "degree"),
        ("12.5\\%", "12.5", "percent"),
        ("\\text{(C)}", "(C)", nil),
        ("5\\text{ cm}^2", "5", "cm^2"),
        ("20 square feet", "20", "foot^2"),
        ("\\dfrac{1}{2}", "\\frac{1}{2}", nil),
        ("\\tfrac{1}{2}", "\\frac{1}{2}", nil),
        ("x = 5.", "x = 5", nil),
        ("$\\frac{9}{2}$", "\\frac{9}{2}", nil),
        ("\\text{Monday}", "Monday", nil),
        ("1,2", "1,2", nil),
    ] as [(String, String, String?)])
    func normalisation(raw: String, text: String, unit: String?) {
        let normalized = MathNormalizer.normalize(raw)
        #expect(normalized.text == text)
        #expect(normalized.unit == unit)
    }

    @Test(arguments: [
        ("1", "2^{10^{10}}"),                // exact power too large to hold
        ("1", "10^{10^{10^{10}}}"),           // tower
        ("2", "99999999999999999999999999999999999999999999999999"),  // literal over 128 bits
        ("x", String(repeating: "(", count: 1_500) + "x" + String(repeating: ")", count: 1_500)),  // deep nesting
        ("1", String(repeating: "{", count: 500_000) + "1" + String(repeating: "}", count: 500_000)),  // 1 MB of braces
        ("1", String(repeating: "1+", count: 500_000) + "1"),  // 1 MB expression
    ])
    func pathologicalInputIsUnknown(gold: String, candidate: String) {
        let comparison = MathEquivalence.compare(gold, candidate, deadline: .now + .seconds(2))
        #expect(comparison.outcome == .unknown, "\(comparison.reason)")
    }

    /// The longest answers accepted still compare inside a task (no deep recursion on a small
    /// stack); longer ones are unknown.
    @Test func longSumsInsideATask() async {
        let verifier = MathVerifier()
        let terms = (1...250).map(String.init)   // 1 + 2 + … + 250 = 31375
        let sum = terms.joined(separator: "+")
        #expect(sum.count < MathNormalizer.maximumLength)
        let equal = await verifier.verify("\\boxed{\(sum)}", for: Problem(id: "s", prompt: .text("?"), reference: .init(answer: "31375")))
        #expect(equal.outcome == .passed, "\(equal)")
        let offByOne = await verifier.verify("\\boxed{\(sum)}", for: Problem(id: "s", prompt: .text("?"), reference: .init(answer: "31376")))
        #expect(offByOne.outcome == .failed, "\(offByOne)")
        let tooLong = String(repeating: "1+", count: 1_000) + "1"
        let long = await verifier.verify("\\boxed{\(tooLong)}", for: Problem(id: "s", prompt: .text("?"), reference: .init(answer: "1001")))
        #expect(long.outcome == .unknown)
    }

    @Test func expiredDeadlineIsUnknownWithTimeLimit() {
        let comparison = MathEquivalence.compare("x^2+2x+1", "(x+1)^2", deadline: .now - .seconds(1))
        #expect(comparison.outcome == .unknown)
        #expect(comparison.reason == "time limit")
        // With time, the same pair is decided.
        #expect(MathEquivalence.check("x^2+2x+1", "(x+1)^2", deadline: .now + .seconds(2)) == .passed)
    }

    @Test func megabyteCompletionStillFindsItsAnswer() {
        let prose = String(repeating: "We consider the case where n is 7 and so on. ", count: 23_000)
        let completion = prose + "Therefore $\\boxed{\\frac{5}{2}}$."
        #expect(completion.utf8.count > 1_000_000)
        let verdict = MathVerifier().verifySynchronously(completion, for: Problem(id: "big", prompt: .text("?"), reference: .init(answer: "2.5")))
        #expect(verdict.outcome == .passed)
        let boxedJunk = "\\boxed{" + String(repeating: "x^", count: 500_000) + "2}"
        let junk = MathVerifier().verifySynchronously(boxedJunk, for: Problem(id: "junk", prompt: .text("?"), reference: .init(answer: "2")))
        #expect(junk.outcome == .unknown)
    }
}
