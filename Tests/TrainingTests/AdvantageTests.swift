import Foundation
import Testing
import Training

/// A toy policy small enough to enumerate: each sample is one of a few outcomes, drawn
/// i.i.d. from `softmax(logits)`, so `∇_logits log π(o) = e_o − π`. An estimator is unbiased
/// for an objective `J` when the exact expectation of `Σ_i A_i ∇log π(y_i)` over every
/// group of samples equals `∇J`, which these tests compute independently of the estimators
/// (closed forms, or central finite differences of `J`'s exact value in the logits).
struct ToyPolicy {
    let logits: [Double]

    var probabilities: [Double] { Self.softmax(logits) }

    static func softmax(_ x: [Double]) -> [Double] {
        let top = x.max()!, e = x.map { exp($0 - top) }, total = e.reduce(0, +)
        return e.map { $0 / total }
    }

    /// Every group of `n` outcomes with its probability.
    static func groups(outcomes m: Int, size n: Int, probabilities p: [Double]) -> [(group: [Int], probability: Double)] {
        var result: [([Int], Double)] = []
        var group = [Int](repeating: 0, count: n)
        while true {
            result.append((group, group.reduce(1.0) { $0 * p[$1] }))
            var position = n - 1
            while position >= 0 && group[position] == m - 1 { group[position] = 0; position -= 1 }
            if position < 0 { return result }
            group[position] += 1
        }
    }

    /// The exact `E[Σ_i A_i ∇_logits log π(y_i)]` over all groups of `n` samples.
    func expectedGradient(samples n: Int, _ advantages: ([Int]) throws -> [Double]) rethrows -> [Double] {
        let p = probabilities, m = logits.count
        var gradient = [Double](repeating: 0, count: m)
        for (group, probability) in Self.groups(outcomes: m, size: n, probabilities: p) {
            let a = try advantages(group)
            for (i, outcome) in group.enumerated() {
                for o in 0..<m { gradient[o] += probability * a[i] * ((o == outcome ? 1 : 0) - p[o]) }
            }
        }
        return gradient
    }

    /// The exact `E[value(group)]` over all groups of `n` samples.
    func expectation(samples n: Int, _ value: ([Int]) throws -> Double) rethrows -> Double {
        try Self.groups(outcomes: logits.count, size: n, probabilities: probabilities).reduce(0) { try $0 + $1.probability * value($1.group) }
    }

    /// `∇_logits J` by central differences (J is smooth; the error is about 1e-10).
    func finiteDifference(_ objective: ([Double]) -> Double) -> [Double] {
        let h = 1e-5
        return logits.indices.map { o in
            var plus = logits, minus = logits
            plus[o] += h
            minus[o] -= h
            return (objective(Self.softmax(plus)) - objective(Self.softmax(minus))) / (2 * h)
        }
    }
}

/// `E[max of k samples]` for outcomes worth `values` with probabilities `p`, from the
/// distribution function: `Σ_v v·(F(v)^k − F(v⁻)^k)` over the distinct values in order.
func expectedMaximum(values: [Double], probabilities p: [Double], k: Int) -> Double {
    let distinct = Set(values).sorted()
    var below = 0.0, total = 0.0
    for v in distinct {
        let mass = zip(values, p).filter { $0.0 == v }.reduce(0) { $0 + $1.1 }
        total += v * (pow(below + mass, Double(k)) - pow(below, Double(k)))
        below += mass
    }
    return total
}

/// The tests' own majority vote with the documented tie rule (mean reward of the tied answers;
/// 0 when nobody answered), written apart from the library's.
func testVote(_ answers: [String?], _ rewards: [Double]) -> Double {
    var counts: [String: Int] = [:], reward: [String: Double] = [:]
    for (a, r) in zip(answers, rewards) { if let a { counts[a, default: 0] += 1; reward[a] = r } }
    guard let most = counts.values.max() else { return 0 }
    let tied = counts.filter { $0.value == most }.map { reward[$0.key]! }
    return tied.reduce(0, +) / Double(tied.count)
}

func expectClose(_ a: [Double], _ b: [Double], tolerance: Double, _ context: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.count == b.count, "\(context): \(a.count) vs \(b.count) values", sourceLocation: sourceLocation)
    let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
    #expect(worst <= tolerance, "\(context): \(a) vs \(b)", sourceLocation: sourceLocation)
}

/// Every k-subset of 0..<n.
func subsets(of n: Int, size k: Int) -> [[Int]] {
    guard k > 0 else { return [[]] }
    guard n >= k else { return [] }
    return subsets(of: n - 1, size: k) + subsets(of: n - 1, size: k - 1).map { $0 + [n - 1] }
}

@Suite struct AdvantageTests {
    // MARK: Unbiasedness by exhaustive enumeration

    @Test(arguments: [2, 3, 5])
    func rlooEstimatesTheMeanRewardGradient(n: Int) throws {
        let rewards = [0, 0.25, 1.0], policy = ToyPolicy(logits: [0.2, -0.4, 0.1])
        let p = policy.probabilities, mean = zip(p, rewards).reduce(0) { $0 + $1.0 * $1.1 }
        let gradient = p.indices.map { Double(n) * p[$0] * (rewards[$0] - mean) }   // n · ∇E[r]
        let expected = try policy.expectedGradient(samples: n) { try RLOOAdvantages.advantages(rewards: $0.map { rewards[$0] }) }
        expectClose(expected, gradient, tolerance: 1e-12, "RLOO n=\(n)")
    }

    @Test(arguments: [2, 3, 4, 6])
    func tangPassAtKBinaryEstimatesTheGradientOfOneMinusOneMinusPToTheK(k: Int) throws {
        let policy = ToyPolicy(logits: [0.3, -0.5])   // outcome 1 is correct, p ≈ 0.31
        let p = policy.probabilities[1]
        let dJdp = Double(k) * pow(1 - p, Double(k - 1))         // J = 1 − (1−p)^k
        let gradient = [-dJdp * p * (1 - p), dJdp * p * (1 - p)] // dp/dlogits = p(1−p)·(−1, 1)
        let expected = try policy.expectedGradient(samples: k) { try TangLeaveOneOutAdvantages.passAtK(rewards: $0.map(Double.init)) }
        expectClose(expected, gradient, tolerance: 1e-12, "Tang pass@\(k), binary")
    }

    @Test(arguments: [2, 3, 4])
    func tangPassAtKContinuousEstimatesTheExpectedMaximumGradient(k: Int) throws {
        let values = [0, 0.4, 0.7, 1.0], policy = ToyPolicy(logits: [0.5, -0.1, 0.2, -0.6])
        let gradient = policy.finiteDifference { expectedMaximum(values: values, probabilities: $0, k: k) }
        let expected = try policy.expectedGradient(samples: k) { try TangLeaveOneOutAdvantages.passAtK(rewards: $0.map { values[$0] }) }
        expectClose(expected, gradient, tolerance: 1e-8, "Tang max@\(k)")
    }

    @Test(arguments: [2, 3, 4, 5])
    func tangMajorityAtKEstimatesTheVoteGradient(k: Int) throws {
        // Answer "12" is right; "13" and "14" are wrong; the last outcome gives no answer.
        let answers: [String?] = ["12", "13", "14", nil], rewards = [1.0, 0, 0, 0]
        let policy = ToyPolicy(logits: [0.1, 0.3, -0.2, -0.5])
        let objective: ([Double]) -> Double = { p in
            ToyPolicy.groups(outcomes: 4, size: k, probabilities: p).reduce(0) { total, g in
                total + g.probability * testVote(g.group.map { answers[$0] }, g.group.map { rewards[$0] })
            }
        }
        let gradient = policy.finiteDifference(objective)
        let expected = try policy.expectedGradient(samples: k) {
            try TangLeaveOneOutAdvantages.majorityAtK(answers: $0.map { answers[$0] }, rewards: $0.map { rewards[$0] })
        }
        expectClose(expected, gradient, tolerance: 1e-8, "Tang maj@\(k)")
        #expect(gradient.map(abs).max()! > 1e-3, "the vote's gradient is not trivially zero")
    }

    static let pkpoCases: [(n: Int, k: Int)] = [(3, 2), (4, 2), (5, 3), (6, 4), (4, 4), (5, 1)]

    @Test(arguments: 0..<pkpoCases.count)
    func pkpoContinuousEstimatorsEstimateTheExpectedMaximumGradient(index: Int) throws {
        let (n, k) = Self.pkpoCases[index]
        let values = [0, 0.4, 1.0], policy = ToyPolicy(logits: [0.4, -0.3, -0.2])
        let target = expectedMaximum(values: values, probabilities: policy.probabilities, k: k)
        let gradient = policy.finiteDifference { expectedMaximum(values: values, probabilities: $0, k: k) }
        let estimate = try policy.expectation(samples: n) { try PKPOAdvantages.maxAtKEstimate(rewards: $0.map { values[$0] }, k: k) }
        #expect(abs(estimate - target) < 1e-12, "max@\(k) estimate from n=\(n): \(estimate) vs \(target)")
        let s = try policy.expectedGradient(samples: n) { try PKPOAdvantages.gradientWeights(rewards: $0.map { values[$0] }, k: k) }
        expectClose(s, gradient, tolerance: 1e-8, "PKPO s, n=\(n) k=\(k)")
        if n >= k + 1 {
            let loo = try policy.expectedGradient(samples: n) { try PKPOAdvantages.leaveOneOutWeights(rewards: $0.map { values[$0] }, k: k) }
            expectClose(loo, gradient, tolerance: 1e-8, "PKPO s^loo, n=\(n) k=\(k)")
        }
        if k >= 2 {
            let looMinusOne = try policy.expectedGradient(samples: n) {
                try PKPOAdvantages.leaveOneOutMinusOneWeights(rewards: $0.map { values[$0] }, k: k)
            }
            expectClose(looMinusOne, gradient, tolerance: 1e-8, "PKPO s^(loo−1), n=\(n) k=\(k)")
            let trained = try policy.expectedGradient(samples: n) { try PKPOAdvantages.advantages(rewards: $0.map { values[$0] }, k: k) }
            expectClose(trained, gradient, tolerance: 1e-8, "PKPO advantages, n=\(n) k=\(k)")
        } else {
            // k = 1 trains with RLOO, whose scale is n · ∇E[r].
            let trained = try policy.expectedGradient(samples: n) { try PKPOAdvantages.advantages(rewards: $0.map { values[$0] }, k: 1) }
            expectClose(trained, gradient.map { $0 * Double(n) }, tolerance: 1e-7, "PKPO advantages at k = 1 (RLOO)")
        }
    }

    @Test(arguments: [(4, 2), (5, 3), (6, 6), (7, 1)])
    func pkpoBinaryEstimatorsEstimateThePassAtKGradient(n: Int, k: Int) throws {
        let policy = ToyPolicy(logits: [0.6, -0.4])
        let p = policy.probabilities[1]
        let dJdp = Double(k) * pow(1 - p, Double(k - 1))
        let gradient = [-dJdp * p * (1 - p), dJdp * p * (1 - p)]
        let estimate = policy.expectation(samples: n) { PKPOAdvantages.passAtKEstimate(n: n, c: $0.reduce(0, +), k: k) }
        #expect(abs(estimate - (1 - pow(1 - p, Double(k)))) < 1e-12, "pass@\(k) from n=\(n): \(estimate)")
        let s = try policy.expectedGradient(samples: n) { try PKPOAdvantages.binaryGradientWeights(successes: $0.map { $0 == 1 }, k: k) }
        expectClose(s, gradient, tolerance: 1e-12, "PKPO binary s, n=\(n) k=\(k)")
        if k >= 2 {
            let looMinusOne = try policy.expectedGradient(samples: n) {
                try PKPOAdvantages.binaryLeaveOneOutMinusOneWeights(successes: $0.map { $0 == 1 }, k: k)
            }
            expectClose(looMinusOne, gradient, tolerance: 1e-12, "PKPO binary s^(loo−1), n=\(n) k=\(k)")
        }
    }

    /// Centring is biased, by exactly `(1/k)·∇P(exactly one of k correct)` for binary pass@k:
    /// a group with one correct sample has advantages `e_i − 1/k` instead of `e_i`.
    @Test func centredTangPassAtKIsBiasedByTheDocumentedTerm() throws {
        let k = 3, policy = ToyPolicy(logits: [0.3, -0.5])
        let expected = try policy.expectedGradient(samples: k) {
            CentredAdvantages.centred(try TangLeaveOneOutAdvantages.passAtK(rewards: $0.map(Double.init)))
        }
        let biasedObjective = policy.finiteDifference { p in
            let q = p[1]
            return 1 - pow(1 - q, Double(k)) - q * pow(1 - q, Double(k - 1))   // pass@k − (1/k)·k·q(1−q)^(k−1)
        }
        expectClose(expected, biasedObjective, tolerance: 1e-8, "centred Tang pass@3")
        let unbiased = try policy.expectedGradient(samples: k) { try TangLeaveOneOutAdvantages.passAtK(rewards: $0.map(Double.init)) }
        #expect(abs(expected[1] - unbiased[1]) > 1e-3, "centring changes the expectation")
    }

    // MARK: Brute force over subsets

    /// Random groups with ties (rewards on a grid of quarters) against the definitions, each
    /// computed by enumerating every k-subset.
    @Test func pkpoEstimatorsEqualTheirSubsetDefinitions() throws {
        var random = TestRandom(seed: 14)
        for trial in 0..<200 {
            let n = 2 + random.below(8), k = 1 + random.below(n)
            let g = (0..<n).map { _ in Double(random.below(5)) / 4 }
            let all = subsets(of: n, size: k)
            func maxOf(_ I: [Int]) -> Double { I.map { g[$0] }.max() ?? 0 }
            let rho = all.reduce(0) { $0 + maxOf($1) } / Double(all.count)
            #expect(abs(try PKPOAdvantages.maxAtKEstimate(rewards: g, k: k) - rho) < 1e-12, "trial \(trial): ρ")
            let s = (0..<n).map { i in all.filter { $0.contains(i) }.reduce(0) { $0 + maxOf($1) } / Double(all.count) }
            expectClose(try PKPOAdvantages.gradientWeights(rewards: g, k: k), s, tolerance: 1e-12, "trial \(trial): s, g=\(g) k=\(k)")
            if n >= k + 1 {
                // S(j, k, U) = (1/C(|U|,k)) Σ_{I⊆U, |I|=k, j∈I} max_I g
                let loo = (0..<n).map { i -> Double in
                    let others = (0..<n).filter { $0 != i }
                    let inner = subsets(of: n - 1, size: k).map { $0.map { others[$0] } }
                    let baseline = others.reduce(0.0) { total, j in
                        total + inner.filter { $0.contains(j) }.reduce(0) { $0 + maxOf($1) } / Double(inner.count)
                    }
                    return s[i] - baseline / Double(n - 1)
                }
                expectClose(try PKPOAdvantages.leaveOneOutWeights(rewards: g, k: k), loo, tolerance: 1e-12, "trial \(trial): s^loo")
            }
            if k >= 2 {
                let looMinusOne = (0..<n).map { i in
                    all.filter { $0.contains(i) }.reduce(0) { $0 + maxOf($1) - maxOf($1.filter { $0 != i }) } / Double(all.count)
                }
                expectClose(try PKPOAdvantages.leaveOneOutMinusOneWeights(rewards: g, k: k), looMinusOne, tolerance: 1e-12,
                            "trial \(trial): s^(loo−1)")
            }
            // Binary rewards: the closed forms agree with the continuous estimators.
            let successes = g.map { $0 >= 0.5 }, binary = successes.map { $0 ? 1.0 : 0 }
            expectClose(try PKPOAdvantages.binaryGradientWeights(successes: successes, k: k),
                        try PKPOAdvantages.gradientWeights(rewards: binary, k: k), tolerance: 1e-12, "trial \(trial): binary s")
            if k >= 2 {
                expectClose(try PKPOAdvantages.binaryLeaveOneOutMinusOneWeights(successes: successes, k: k),
                            try PKPOAdvantages.leaveOneOutMinusOneWeights(rewards: binary, k: k), tolerance: 1e-12,
                            "trial \(trial): binary s^(loo−1)")
            }
            let c = successes.count(where: { $0 })
            #expect(abs(PKPOAdvantages.passAtKEstimate(n: n, c: c, k: k) - (try PKPOAdvantages.maxAtKEstimate(rewards: binary, k: k))) < 1e-12)
        }
    }

    /// The exact-fraction vectors of TRAINING.md §4 (worked out by brute force over subsets)
    /// and rllm's PKPO test (rllm-org/rllm PR #743: n=4, c=2, k=2 gives ±1/12 after centring).
    @Test func publishedSmallExamples() throws {
        let cases: [(g: [Double], k: Int, s: [Double], loo: [Double], looMinusOne: [Double])] = [
            ([1, 1, 0, 0], 2, [1.0 / 2, 1.0 / 2, 1.0 / 3, 1.0 / 3], [1.0 / 18, 1.0 / 18, -1.0 / 3, -1.0 / 3], [1.0 / 3, 1.0 / 3, 0, 0]),
            ([0, 1, 1, 0, 0, 0, 0, 1], 4, [31.0 / 70, 0.5, 0.5, 31.0 / 70, 31.0 / 70, 31.0 / 70, 31.0 / 70, 0.5],
             [-11.0 / 98, 1.0 / 98, 1.0 / 98, -11.0 / 98, -11.0 / 98, -11.0 / 98, -11.0 / 98, 1.0 / 98],
             [0, 1.0 / 7, 1.0 / 7, 0, 0, 0, 0, 1.0 / 7]),
            ([0, 0.5, 0.2, 1], 2, [17.0 / 60, 1.0 / 3, 17.0 / 60, 1.0 / 2], [-49.0 / 180, -7.0 / 45, -49.0 / 180, 7.0 / 30],
             [0, 2.0 / 15, 1.0 / 30, 23.0 / 60]),
        ]
        for c in cases {
            expectClose(try PKPOAdvantages.gradientWeights(rewards: c.g, k: c.k), c.s, tolerance: 1e-13, "s of \(c.g)")
            expectClose(try PKPOAdvantages.leaveOneOutWeights(rewards: c.g, k: c.k), c.loo, tolerance: 1e-13, "s^loo of \(c.g)")
            expectClose(try PKPOAdvantages.leaveOneOutMinusOneWeights(rewards: c.g, k: c.k), c.looMinusOne, tolerance: 1e-13,
                        "s^(loo−1) of \(c.g)")
        }
        #expect(abs(try PKPOAdvantages.maxAtKEstimate(rewards: [1, 1, 0, 0], k: 2) - 5.0 / 6) < 1e-13)
        let rllm = CentredAdvantages.centred(try PKPOAdvantages.binaryGradientWeights(successes: [true, false, true, false], k: 2))
        expectClose(rllm, [1.0 / 12, -1.0 / 12, 1.0 / 12, -1.0 / 12], tolerance: 1e-14, "rllm's n=4, c=2, k=2")
    }

    // MARK: Known cases

    /// With binary rewards only the best of k gets a pass@k advantage, and only when it is
    /// the one correct sample; with continuous rewards the best gets best − second best.
    @Test func onlyTheBestOfKGetsAPassAtKAdvantage() throws {
        let k = 4
        for bits in 0..<(1 << k) {
            let rewards = (0..<k).map { Double((bits >> $0) & 1) }
            let a = try TangLeaveOneOutAdvantages.passAtK(rewards: rewards)
            let correct = rewards.indices.filter { rewards[$0] == 1 }
            let wanted = rewards.indices.map { correct == [$0] ? 1.0 : 0 }
            #expect(a == wanted, "rewards \(rewards): \(a)")
        }
        #expect(try TangLeaveOneOutAdvantages.passAtK(rewards: [0.2, 0.9, 0.5, 0.1]) == [0, 0.9 - 0.5, 0, 0])
        #expect(try TangLeaveOneOutAdvantages.passAtK(rewards: [0.9, 0.3, 0.9]) == [0, 0, 0])   // a tied best: no sample is needed
        // PKPO's k−1 baseline at n = k is Tang et al.'s estimator.
        var random = TestRandom(seed: 3)
        for _ in 0..<50 {
            let n = 2 + random.below(6)
            let g = (0..<n).map { _ in Double(random.below(9)) / 8 }
            expectClose(try PKPOAdvantages.leaveOneOutMinusOneWeights(rewards: g, k: n), try TangLeaveOneOutAdvantages.passAtK(rewards: g),
                        tolerance: 1e-12, "PKPO loo−1 at n = k on \(g)")
        }
    }

    /// The tie rule by hand: a 2–2 vote between a right and a wrong answer is worth 1/2.
    @Test func majorityTieRuleByHand() throws {
        // Votes 12, 12, 13, 13 with 12 right: the vote is worth 1/2. Without a "12" the 1–2 vote
        // goes to 13 (worth 0): A = 1/2; without a "13" it goes to 12 (worth 1): A = −1/2.
        let a = try TangLeaveOneOutAdvantages.majorityAtK(answers: ["12", "12", "13", "13"], rewards: [1, 1, 0, 0])
        #expect(a == [0.5, 0.5, -0.5, -0.5])
        // 12, 13, nil: a 1–1 tie worth 1/2; dropping 12 leaves 13 (0), dropping 13 leaves 12 (1), dropping nil changes nothing.
        #expect(try TangLeaveOneOutAdvantages.majorityAtK(answers: ["12", "13", nil], rewards: [1, 0, 0]) == [0.5, -0.5, 0])
        // A clear majority that no single sample can flip gives no signal.
        #expect(try TangLeaveOneOutAdvantages.majorityAtK(answers: ["12", "12", "12", "13"], rewards: [1, 1, 1, 0]) == [0, 0, 0, 0])
        // Nobody answered: every vote is worth 0.
        #expect(try TangLeaveOneOutAdvantages.majorityAtK(answers: [nil, nil], rewards: [0, 0]) == [0, 0])
    }

    @Test func centringAndRLOOByHand() throws {
        #expect(CentredAdvantages.centred([1, 0, 0, 0]) == [0.75, -0.25, -0.25, -0.25])
        let third: Double = 1.0 / 3
        let wanted: [Double] = [1 - third, -2 * third, -2 * third, 1 - third]
        expectClose(try RLOOAdvantages.advantages(rewards: [1, 0, 0, 1]), wanted, tolerance: 1e-15, "RLOO by hand")
    }

    @Test func kAnnealingSwitchesToPassAtOne() {
        let paper = PKPOAdvantages.KAnnealing(k: 8, steps: 1500)
        #expect(paper.k(atStep: 0) == 8 && paper.k(atStep: 1499) == 8)
        #expect(paper.k(atStep: 1500) == 1 && paper.k(atStep: 10_000) == 1)
        #expect(PKPOAdvantages.KAnnealing(k: 4).k(atStep: 1_000_000) == 4)
    }

    // MARK: Bad input

    @Test func badInputGetsAClearError() {
        func message(_ body: () throws -> [Double]) -> String {
            do { _ = try body(); return "" } catch { return String(describing: error) }
        }
        #expect(message { try RLOOAdvantages.advantages(rewards: [1]) }.contains("at least 2"))
        #expect(message { try TangLeaveOneOutAdvantages.passAtK(rewards: [1, .nan]) }.contains("not a finite number"))
        #expect(message { try PKPOAdvantages.gradientWeights(rewards: [1, 0], k: 3) }.contains("at least k samples"))
        #expect(message { try PKPOAdvantages.gradientWeights(rewards: [1, 0], k: 0) }.contains("at least 1"))
        #expect(message { try PKPOAdvantages.leaveOneOutWeights(rewards: [1, 0, 0], k: 3) }.contains("n ≥ k+1"))
        #expect(message { try PKPOAdvantages.leaveOneOutMinusOneWeights(rewards: [1, 0, 0], k: 1) }.contains("k ≥ 2"))
        #expect(message { try TangLeaveOneOutAdvantages.majorityAtK(answers: ["1", "2"], rewards: [1]) }.contains("2 answers but 1 rewards"))
        #expect(message { try TangLeaveOneOutAdvantages.majorityAtK(answers: ["1", "1"], rewards: [1, 0]) }.contains("answer \"1\" has rewards"))
    }
}
