import Foundation
import ScalingCore
import Testing
import Verifiers

/// Known answers of the benchmark data sets: every gold must be judged equivalent to itself
/// (as a bare prediction) and to the final answer of its own worked solution (MATH-500's
/// `solution`, whose last `\boxed{}` is its answer; GSM8K's `#### N` line).
@Suite struct MathSelfConsistencyTests {
    static func problem(_ gold: String) -> Problem {
        Problem(id: "self", prompt: .text("?"), reference: ProblemReference(answer: gold))
    }

    @Test func math500GoldsMatchThemselvesAndTheirSolutions() throws {
        let records = try MathFixtures.dataRecords("math500/test.jsonl", as: MathFixtures.Math500Record.self)
        try #require(records.count == 500)
        let verifier = MathVerifier()
        var solutionAgree = 0, selfAgree = 0, boxedBareAgree = 0
        var failures: [String] = []
        for record in records {
            let full = verifier.verifySynchronously(record.solution, for: Self.problem(record.answer))
            if full.outcome == .passed { solutionAgree += 1 } else { failures.append("solution \(record.unique_id): \(record.answer) -> \(full)") }
            let itself = verifier.verifySynchronously(record.answer, for: Self.problem(record.answer))
            if itself.outcome == .passed { selfAgree += 1 } else { failures.append("self \(record.unique_id): \(record.answer) -> \(itself)") }
            // The boxed answer alone, as a bare prediction (how extracted answers arrive).
            let boxed = Self.lastBoxed(record.solution) ?? ""
            let bare = verifier.verifySynchronously(boxed, for: Self.problem(record.answer))
            if bare.outcome == .passed { boxedBareAgree += 1 } else { failures.append("bare boxed \(record.unique_id): \(record.answer) | \(boxed) -> \(bare)") }
        }
        print("MATH-500 self-consistency: gold vs its solution \(solutionAgree)/500, gold vs itself \(selfAgree)/500, "
              + "gold vs its solution's boxed answer alone \(boxedBareAgree)/500\n" + failures.joined(separator: "\n"))
        #expect(solutionAgree == 500 && selfAgree == 500 && boxedBareAgree == 500, "\(failures.joined(separator: "\n"))")
    }

    @Test func gsm8kGoldsMatchThemselvesAndTheirSolutions() throws {
        let records = try MathFixtures.dataRecords("gsm8k/test.jsonl", as: MathFixtures.GSM8KRecord.self)
        try #require(records.count == 1319)
        let verifier = MathVerifier()
        var solutionAgree = 0, selfAgree = 0
        var failures: [String] = []
        for record in records {
            let gold = record.answer.components(separatedBy: "####").last!.trimmingCharacters(in: .whitespaces)
            if verifier.verifySynchronously(record.answer, for: Self.problem(gold)).outcome == .passed { solutionAgree += 1 }
            else { failures.append("solution: \(gold)") }
            if verifier.verifySynchronously(gold, for: Self.problem(gold)).outcome == .passed { selfAgree += 1 }
            else { failures.append("self: \(gold)") }
        }
        print("GSM8K self-consistency: gold vs its solution \(solutionAgree)/1319, gold vs itself \(selfAgree)/1319")
        #expect(solutionAgree == 1319 && selfAgree == 1319, "\(failures.joined(separator: "\n"))")
    }

    /// The last `\boxed{…}` of a solution, braces balanced (an independent scan, not the extractor's).
    static func lastBoxed(_ text: String) -> String? {
        guard let marker = text.range(of: "\\boxed{", options: .backwards) else { return nil }
        var depth = 1
        var i = marker.upperBound
        while i < text.endIndex {
            if text[i] == "{" { depth += 1 }
            if text[i] == "}" { depth -= 1; if depth == 0 { return String(text[marker.upperBound..<i]) } }
            i = text.index(after: i)
        }
        return nil
    }
}
