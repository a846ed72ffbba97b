import ScalingCore
import Testing
import Training

/// Iterative RPO's pairing on hand-made sets: how many pairs a problem gives, which
/// completions they use, what is dropped and counted, and that the seed alone fixes the result.
@Suite struct PreferencePairsTests {
    static func problem(_ id: String, winners: Int, losers: Int) -> ProblemCompletions {
        ProblemCompletions(problemID: id, prompt: .text("question \(id)"),
                           winners: (0..<winners).map { "\(id) right \($0)" }, losers: (0..<losers).map { "\(id) wrong \($0)" })
    }

    @Test func shorterSideCyclesAndNoPairRepeats() {
        // 2 winners, 5 losers, K = 4: four distinct losers, the two winners each used twice in turn.
        let result = PreferencePairing.pairs(from: [Self.problem("a", winners: 2, losers: 5)], perProblem: 4, seed: 7)
        let chosen = result.pairs.map(\.chosen), rejected = result.pairs.map(\.rejected)
        #expect(result.pairs.count == 4)
        #expect(Set(rejected).count == 4)
        #expect(chosen[0] == chosen[2] && chosen[1] == chosen[3] && chosen[0] != chosen[1])
        #expect(Set(chosen) == ["a right 0", "a right 1"])
        #expect(result.pairs.allSatisfy { $0.problemID == "a" && $0.prompt == .text("question a") })

        // K larger than both sides: the pairing stops when the longer side is used up (3 pairs, not K).
        let small = PreferencePairing.pairs(from: [Self.problem("b", winners: 3, losers: 1)], perProblem: 10, seed: 7)
        #expect(small.pairs.count == 3)
        #expect(Set(small.pairs.map(\.chosen)).count == 3)
        #expect(Set(small.pairs.map(\.rejected)) == ["b wrong 0"])
        #expect(Set(small.pairs.map { "\($0.chosen)|\($0.rejected)" }).count == 3)

        // Equal sides, K smaller: K pairs, each winner and each loser at most once.
        let even = PreferencePairing.pairs(from: [Self.problem("c", winners: 6, losers: 6)], perProblem: 5, seed: 1)
        #expect(even.pairs.count == 5 && Set(even.pairs.map(\.chosen)).count == 5 && Set(even.pairs.map(\.rejected)).count == 5)
    }

    @Test func problemsWithAnEmptySideAreDroppedAndCounted() {
        let problems = [Self.problem("all-right", winners: 4, losers: 0), Self.problem("all-wrong", winners: 0, losers: 4),
                        Self.problem("none", winners: 0, losers: 0), Self.problem("mixed", winners: 1, losers: 2)]
        let result = PreferencePairing.pairs(from: problems, perProblem: 10, seed: 0)
        #expect(result.problemsPaired == 1)
        #expect(result.problemsWithoutWinner == 2)   // "all-wrong" and "none"
        #expect(result.problemsWithoutLoser == 1)
        #expect(result.pairs.count == 2 && result.pairs.allSatisfy { $0.problemID == "mixed" })
    }

    @Test func theSeedAloneFixesThePairs() {
        let problems = (0..<6).map { Self.problem("p\($0)", winners: 5, losers: 7) }
        let first = PreferencePairing.pairs(from: problems, perProblem: 3, seed: 11)
        #expect(PreferencePairing.pairs(from: problems, perProblem: 3, seed: 11) == first)
        // Another seed picks other completions.
        #expect(PreferencePairing.pairs(from: problems, perProblem: 3, seed: 12).pairs != first.pairs)
        // A problem's pairs do not depend on the other problems or their order.
        let alone = PreferencePairing.pairs(from: [problems[3]], perProblem: 3, seed: 11)
        #expect(alone.pairs == first.pairs.filter { $0.problemID == "p3" })
        let reversed = PreferencePairing.pairs(from: problems.reversed(), perProblem: 3, seed: 11)
        #expect(reversed.pairs.filter { $0.problemID == "p3" } == alone.pairs)
    }

    @Test func capSubsamplesInOrder() {
        let problems = (0..<10).map { Self.problem("p\($0)", winners: 3, losers: 3) }
        let all = PreferencePairing.pairs(from: problems, perProblem: 3, seed: 5)
        #expect(all.pairs.count == 30 && all.pairsSubsampledAway == 0)
        let capped = PreferencePairing.pairs(from: problems, perProblem: 3, maximumPairs: 12, seed: 5)
        #expect(capped.pairs.count == 12 && capped.pairsSubsampledAway == 18)
        // The kept pairs are a subsequence of the uncapped ones.
        var cursor = all.pairs.makeIterator(), isSubsequence = true
        for kept in capped.pairs {
            var found = false
            while let next = cursor.next() { if next == kept { found = true; break } }
            isSubsequence = isSubsequence && found
        }
        #expect(isSubsequence)
        #expect(PreferencePairing.pairs(from: problems, perProblem: 3, maximumPairs: 12, seed: 5) == capped)
    }

    @Test func pairsThatOverflowAreDroppedAndCounted() {
        func pair(_ chosen: Int, _ rejected: Int) -> TokenizedPair {
            TokenizedPair(chosen: TrainingSequence(tokens: Array(repeating: 1, count: chosen), completionStart: 1),
                          rejected: TrainingSequence(tokens: Array(repeating: 2, count: rejected), completionStart: 1))
        }
        let pairs = [pair(10, 12), pair(17, 3), pair(16, 16), pair(5, 30)]
        // Context 16: the second (17) and fourth (30) overflow. Pair limit 30: the third (32 together) too.
        let (kept, dropped) = PreferencePairing.fitting(pairs, contextLength: 16, pairTokenLimit: 30)
        #expect(kept == [0])
        #expect(dropped == 3)
        let wide = PreferencePairing.fitting(pairs, contextLength: 16, pairTokenLimit: 100)
        #expect(wide.kept == [0, 2] && wide.dropped == 2)
    }

    /// GSM8K's first train record, as the data set writes it (`answer` split at `####` by the loader).
    @Test func gsm8kGoldSolutionIsRewrittenInThePromptsFormat() {
        let problem = Problem(
            id: "gsm8k/train/0",
            prompt: .text("Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. "
                + "How many clips did Natalia sell altogether in April and May?"),
            reference: ProblemReference(answer: "72"),
            metadata: ["solution": .string("Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n"
                + "Natalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.")])
        #expect(GoldSolution.gsm8k(problem, format: .finalAnswerLine) == """
            Natalia sold 48/2 = 24 clips in May.
            Natalia sold 48+24 = 72 clips altogether in April and May.
            Final answer: 72
            """)
        #expect(GoldSolution.gsm8k(problem, format: .hashes)?.hasSuffix("April and May.\n#### 72") == true)
        // Money amounts keep their sign; an unclosed "<<" is left as written.
        var weng = problem
        weng.metadata["solution"] = .string("Weng earns 12/60 = $<<12/60=0.2>>0.2 per minute. a << b")
        weng.reference.answer = "10"
        #expect(GoldSolution.gsm8k(weng, format: .finalAnswerLine) == "Weng earns 12/60 = $0.2 per minute. a << b\nFinal answer: 10")
        var bare = problem
        bare.metadata = [:]
        #expect(GoldSolution.gsm8k(bare, format: .finalAnswerLine) == nil)
    }
}
