import Foundation

// Advantage estimators for reinforcement learning with verifiable rewards: each a pure
// function of one prompt's group of samples (their rewards, and their answers for a vote)
// to one advantage per sample. A policy-gradient step then weights every token of sample
// `i` by `A_i` (`PolicyGradientObjective`), so that `Σ_i A_i ∇log π(y_i | x)` estimates the
// gradient of the estimator's objective. Formulas: ../shared/docs/TRAINING.md §4 and
// METHODS.md §3; each estimator's tests check that its expectation equals that gradient by
// exhaustive enumeration over all outcomes (Tests/TrainingTests/AdvantageTests.swift).

// MARK: - RLOO

/// REINFORCE with the leave-one-out baseline (RLOO: Kool, van Hoof, Welling 2019, "Buy 4
/// REINFORCE samples, get a baseline for free"; Ahmadian et al. 2024): the objective is the
/// mean reward, and each sample's baseline is the mean reward of the others,
///
///     A_i = r_i − (1/(n−1)) Σ_{j≠i} r_j.
///
/// Unbiased because the baseline does not depend on sample `i`:
/// `E[Σ_i A_i ∇log π(y_i)] = n · ∇E[r]` (the conventional per-sample scale, as verl's and
/// TRL's `rloo`). With `k = 1`, PKPO's annealed objective is this estimator.
public enum RLOOAdvantages {
    /// - Throws: `TrainingError.invalidAdvantageInput` for fewer than 2 samples or a reward
    ///   that is not finite.
    public static func advantages(rewards: [Double]) throws(TrainingError) -> [Double] {
        try AdvantageInput.check(rewards, estimator: "RLOO", atLeast: 2)
        let n = Double(rewards.count), total = rewards.reduce(0, +)
        return rewards.map { $0 - (total - $0) / (n - 1) }
    }
}

// MARK: - Tang et al.

/// The leave-one-out estimators of Tang, Zheng, Synnaeve, Munos (2025, "Optimizing
/// Language Models for Inference Time Objectives using Reinforcement Learning", arXiv
/// 2503.19595) for a k-sample objective `E[f(y_1..y_k)]` from exactly k samples:
///
///     A_i = f(y_1..y_k) − f(y_−i)
///
/// where `f(y_−i)` is the same aggregate of the other k−1 samples. Unbiased because `y_−i`
/// is independent of `y_i` (`E[Σ_i A_i ∇log π(y_i)] = ∇E[f(y_1..y_k)]`), and far lower in
/// variance than the naive `f · Σ_i ∇log π(y_i)`.
public enum TangLeaveOneOutAdvantages {
    /// pass@k (`f = max_i r_i`): `A_i = max(r) − max(r_−i)`. Only the best sample gets a
    /// non-zero advantage, `r_(k) − r_(k−1)` (best minus second best; zero when the best is
    /// tied). With binary rewards that is 1 for the only correct sample when exactly one is
    /// correct, and 0 everywhere otherwise. verl's `grpo_passk` without its division by the
    /// group's standard deviation.
    ///
    /// - Throws: `TrainingError.invalidAdvantageInput` for fewer than 2 samples or a reward
    ///   that is not finite.
    public static func passAtK(rewards: [Double]) throws(TrainingError) -> [Double] {
        try AdvantageInput.check(rewards, estimator: "Tang pass@k", atLeast: 2)
        var best = -Double.infinity, second = -Double.infinity, bestCount = 0
        for r in rewards {
            if r > best {
                second = best
                best = r
                bestCount = 1
            } else if r == best {
                bestCount += 1
                second = r
            } else if r > second {
                second = r
            }
        }
        return rewards.map { $0 == best && bestCount == 1 ? best - second : 0 }
    }

    /// Majority vote (maj@k: `f = reward of the plurality answer`). `answers[i]` is sample
    /// `i`'s answer as an equivalence key (two samples vote together exactly when their keys
    /// are equal; `nil` for a sample without an answer, which does not vote); `rewards[i]` is
    /// the verifier's reward of that answer.
    ///
    /// Tie rule, for the k-vote and the (k−1)-vote alike: a vote tied between several answers
    /// is worth the mean reward of the tied answers (the expected reward of breaking the tie
    /// uniformly at random). It is deterministic and does not depend on the samples' order
    /// (a "first answer wins" rule would). A vote with no answers at all is worth 0.
    /// `A_i ≠ 0` only when removing sample `i` changes the vote's worth.
    ///
    /// - Throws: `TrainingError.invalidAdvantageInput` for fewer than 2 samples, answers and
    ///   rewards of different lengths, a reward that is not finite, or one answer given two
    ///   different rewards.
    public static func majorityAtK(answers: [String?], rewards: [Double]) throws(TrainingError) -> [Double] {
        let vote = try MajorityVote(answers: answers, rewards: rewards, estimator: "Tang maj@k")
        return leaveOneOut(count: answers.count) { vote.worth(of: $0) }
    }

    /// The leave-one-out advantages of any aggregate `f` of a set of samples (given as
    /// their indices): `A_i = f(all) − f(all but i)`.
    public static func leaveOneOut(count: Int, aggregate f: ([Int]) -> Double) -> [Double] {
        let all = Array(0..<count), whole = f(all)
        return (0..<count).map { i in whole - f(all.filter { $0 != i }) }
    }
}

/// The centred variant: each advantage minus the group's mean advantage,
/// `Ã_i = A_i − (1/n) Σ_j A_j`. Tang et al. give it as a biased, lower-variance alternative
/// to their unbiased estimator (the exact form is from secondary accounts of the paper:
/// METHODS.md §3); rllm's PKPO port centres PKPO's `s_i` the same way. It is biased because
/// the mean includes sample `i`'s own advantage; the advantages sum to zero, so a group
/// whose samples all have the same advantage gives no signal.
public enum CentredAdvantages {
    public static func centred(_ advantages: [Double]) -> [Double] {
        guard !advantages.isEmpty else { return [] }
        let mean = advantages.reduce(0, +) / Double(advantages.count)
        return advantages.map { $0 - mean }
    }
}

// MARK: - PKPO

/// Pass@k Policy Optimization (Walder and Karkhanis 2025, arXiv 2505.15201 v4): unbiased
/// estimators of pass@k (binary rewards) and max@k (continuous rewards, `E[max of k
/// samples]`) and of their gradients from n ≥ k samples, averaging over all `C(n,k)`
/// k-subsets of the group. No unbiased estimator exists for n < k (their Cor. 2).
///
/// Every `…Weights` function returns `s_i` such that `E[Σ_i s_i ∇log π(y_i)] = ∇ max@k`
/// (the weights are the advantages). With rewards sorted ascending, `g_(1) ≤ … ≤ g_(n)`:
/// - `gradientWeights`: `s_i = (1/C(n,k)) Σ_{|I|=k, i∈I} max_I g` (no baseline);
/// - `leaveOneOutWeights`: `s_i^loo = s_i − (1/(n−1)) Σ_{j≠i} S(j, k, [n]∖i)`, with
///   `S(j,k,U) = (1/C(|U|,k)) Σ_{I⊆U, |I|=k, j∈I} max_I g` (needs n ≥ k+1);
/// - `leaveOneOutMinusOneWeights` (the paper's recommendation):
///   `s_i^(loo−1) = (1/C(n,k)) Σ_{|I|=k, i∈I} (max_I g − max_{I∖i} g)` (needs k ≥ 2; at n = k
///   it is Tang et al.'s pass@k estimator). Never negative: it is not centred.
///
/// Each is computed in O(n log n) from the sorted rewards, never by enumerating subsets.
public enum PKPOAdvantages {
    /// The unbiased pass@k estimate from n samples of which c are correct (Chen et al. 2021,
    /// PKPO's ρ): `ρ(n,c,k) = 1 − C(n−c,k)/C(n,k)`, in the stable product form
    /// `1 − Π_{j=n−c+1}^{n} (1 − k/j)`.
    public static func passAtKEstimate(n: Int, c: Int, k: Int) -> Double {
        precondition(0 <= c && c <= n && 1 <= k && k <= n, "passAtKEstimate: need 0 ≤ c ≤ n and 1 ≤ k ≤ n, got n \(n), c \(c), k \(k)")
        if n - c < k { return 1 }
        var product = 1.0
        for j in stride(from: n - c + 1, through: n, by: 1) { product *= 1 - Double(k) / Double(j) }
        return 1 - product
    }

    /// The unbiased max@k estimate `ρ^(g) = (1/C(n,k)) Σ_{i=k}^{n} C(i−1,k−1) g_(i)` (the
    /// mean over all k-subsets of their best reward).
    public static func maxAtKEstimate(rewards: [Double], k: Int) throws(TrainingError) -> Double {
        try AdvantageInput.check(rewards, estimator: "PKPO max@k", k: k)
        let sorted = rewards.sorted(), n = sorted.count
        let shares = SubsetShares(upTo: n)
        var total = 0.0
        for i in (k - 1)..<n { total += shares.share(i, k - 1, among: n, k) * sorted[i] }
        return total
    }

    /// Binary rewards, no baseline (their Thm. 2): `s_i = k/n` for a correct sample and
    /// `(k/n)·ρ(n−1, c, k−1)` for a wrong one (the chance that the other k−1 of a random
    /// k-subset holding `i` contain a correct sample).
    public static func binaryGradientWeights(successes: [Bool], k: Int) throws(TrainingError) -> [Double] {
        let n = successes.count, c = successes.count(where: { $0 })
        try AdvantageInput.check(Array(repeating: 0, count: n), estimator: "PKPO binary", k: k)
        // Only wrong samples use it, and with one there are c ≤ n−1 correct among the other n−1.
        let wrongWeight = k == 1 || c == n ? 0 : Double(k) / Double(n) * passAtKEstimate(n: n - 1, c: c, k: k - 1)
        return successes.map { $0 ? Double(k) / Double(n) : wrongWeight }
    }

    /// Binary rewards with the k−1 baseline (`s^(loo−1)` in closed form):
    /// `s_i = f_i · C(n−c, k−1)/C(n,k)`. A correct sample's weight is the share of k-subsets
    /// in which it is the only correct one; wrong samples get 0.
    public static func binaryLeaveOneOutMinusOneWeights(successes: [Bool], k: Int) throws(TrainingError) -> [Double] {
        let n = successes.count, c = successes.count(where: { $0 })
        try AdvantageInput.check(Array(repeating: 0, count: n), estimator: "PKPO binary loo−1", k: k)
        guard k >= 2 else { throw .invalidAdvantageInput(estimator: "PKPO binary loo−1", reason: "k = 1; the k−1 baseline needs k ≥ 2 (use RLOO for k = 1)") }
        let weight = SubsetShares(upTo: n).share(n - c, k - 1, among: n, k)
        return successes.map { $0 ? weight : 0 }
    }

    /// Continuous rewards, no baseline: `s_i = (1/C(n,k)) Σ_{|I|=k, i∈I} max_I g`. For the
    /// sample at sorted position i (0-based): `[C(i,k−1) g_(i) + Σ_{j>i} C(j−1,k−2) g_(j)] / C(n,k)`
    /// (subsets where it is the best, then subsets whose best is a higher sample j).
    public static func gradientWeights(rewards: [Double], k: Int) throws(TrainingError) -> [Double] {
        try AdvantageInput.check(rewards, estimator: "PKPO", k: k)
        let order = rewards.indices.sorted { rewards[$0] < rewards[$1] }
        let g = order.map { rewards[$0] }, n = g.count
        let shares = SubsetShares(upTo: n)
        var sortedWeights = [Double](repeating: 0, count: n)
        var above = 0.0   // Σ_{j>i} C(j−1,k−2) g_(j) / C(n,k)
        for i in stride(from: n - 1, through: 0, by: -1) {
            sortedWeights[i] = shares.share(i, k - 1, among: n, k) * g[i] + above
            if k >= 2 { above += shares.share(i - 1, k - 2, among: n, k) * g[i] }
        }
        return unsort(sortedWeights, order: order)
    }

    /// Continuous rewards with the leave-one-out baseline (their eq. for `s^loo`):
    /// `s_i − (k/(n−1)) · ρ^(g)([n]∖i, k)` (since `Σ_{j∈U} S(j,k,U) = k·ρ^(g)(U,k)`).
    /// Needs n ≥ k+1, so that k samples remain without sample i.
    public static func leaveOneOutWeights(rewards: [Double], k: Int) throws(TrainingError) -> [Double] {
        let s = try gradientWeights(rewards: rewards, k: k)
        let n = rewards.count
        guard n >= k + 1 else {
            throw .invalidAdvantageInput(estimator: "PKPO loo", reason: "\(n) samples for k = \(k); the leave-one-out baseline needs n ≥ k+1 (use loo−1, which works at n = k)")
        }
        let baselines = leaveOneOutMaxEstimates(rewards, k: k)
        return zip(s, baselines).map { $0 - Double(k) / Double(n - 1) * $1 }
    }

    /// Continuous rewards with the k−1 baseline, PKPO's recommended estimator:
    /// `s_i^(loo−1) = s_i − (k/n) · ρ^(g)([n]∖i, k−1)` (the subsets' `max_{I∖i} g` terms are
    /// `C(n−1,k−1)/C(n,k) = k/n` times the (k−1)-estimate of the other samples). Needs k ≥ 2.
    public static func leaveOneOutMinusOneWeights(rewards: [Double], k: Int) throws(TrainingError) -> [Double] {
        let s = try gradientWeights(rewards: rewards, k: k)
        guard k >= 2 else {
            throw .invalidAdvantageInput(estimator: "PKPO loo−1", reason: "k = 1; the k−1 baseline needs k ≥ 2 (use RLOO for k = 1)")
        }
        let n = rewards.count
        let baselines = leaveOneOutMaxEstimates(rewards, k: k - 1)
        return zip(s, baselines).map { $0 - Double(k) / Double(n) * $1 }
    }

    /// The advantages PKPO trains with for objective size k: `s^(loo−1)` for k ≥ 2 and, for
    /// k = 1, the untransformed rewards with the plain leave-one-out baseline (RLOO), as the
    /// paper does for `k_opt = 1` ("without [it] the training diverges").
    public static func advantages(rewards: [Double], k: Int) throws(TrainingError) -> [Double] {
        if k == 1 {
            try AdvantageInput.check(rewards, estimator: "PKPO", k: k)
            return try RLOOAdvantages.advantages(rewards: rewards)
        }
        return try leaveOneOutMinusOneWeights(rewards: rewards, k: k)
    }

    /// PKPO's k annealing: optimise pass@k for the first `steps` steps, then pass@1 (k = 1).
    /// The paper trains with `k_opt = 8` up to step 1500 and `k_opt = 1` after, which raised
    /// pass@k for every k > 1 without losing pass@1. `steps == nil` never anneals.
    public struct KAnnealing: Sendable, Equatable, Codable {
        public var k: Int
        public var steps: Int?

        public init(k: Int, steps: Int? = nil) {
            self.k = k
            self.steps = steps
        }

        /// The objective's k at 0-based optimizer step `step`.
        public func k(atStep step: Int) -> Int {
            if let steps, step >= steps { return 1 }
            return k
        }
    }

    /// For each sample (in the input order), the max@k′ estimate of the other n−1 samples:
    /// removing sorted position r leaves the samples below it at their ranks and moves those
    /// above one rank down, so one prefix sum and one suffix sum give all n estimates.
    static func leaveOneOutMaxEstimates(_ rewards: [Double], k kPrime: Int) -> [Double] {
        let order = rewards.indices.sorted { rewards[$0] < rewards[$1] }
        let g = order.map { rewards[$0] }, n = g.count, m = n - 1
        let shares = SubsetShares(upTo: n)
        var below = [Double](repeating: 0, count: n)   // Σ_{j<r} C(j, k′−1) g_(j) / C(n−1, k′)
        for r in 1..<max(n, 1) {
            below[r] = below[r - 1] + shares.share(r - 1, kPrime - 1, among: m, kPrime) * g[r - 1]
        }
        var estimates = [Double](repeating: 0, count: n)
        var above = 0.0                                  // Σ_{j>r} C(j−1, k′−1) g_(j) / C(n−1, k′)
        for r in stride(from: n - 1, through: 0, by: -1) {
            estimates[r] = below[r] + above
            above += shares.share(r - 1, kPrime - 1, among: m, kPrime) * g[r]
        }
        return unsort(estimates, order: order)
    }

    static func unsort(_ sortedValues: [Double], order: [Int]) -> [Double] {
        var values = [Double](repeating: 0, count: order.count)
        for (position, original) in order.enumerated() { values[original] = sortedValues[position] }
        return values
    }
}

// MARK: - Shared pieces

/// `C(m,a)/C(n,k)` from a table of log-factorials: exact to about 1e-14 relative for the
/// group sizes of RL (binomials themselves would overflow a Double beyond n ≈ 1000).
struct SubsetShares {
    private let logFactorials: [Double]

    init(upTo n: Int) {
        var table = [0.0]
        for i in stride(from: 1, through: max(n, 1), by: 1) { table.append(table[i - 1] + log(Double(i))) }
        logFactorials = table
    }

    /// `C(m,a)/C(n,k)`; zero when `C(m,a)` is (a < 0 or a > m).
    func share(_ m: Int, _ a: Int, among n: Int, _ k: Int) -> Double {
        guard a >= 0, m >= a else { return 0 }
        let f = logFactorials
        return exp(f[m] - f[a] - f[m - a] - (f[n] - f[k] - f[n - k]))
    }
}

/// The worth of a majority vote over any subset of a group's samples (Tang et al.'s maj@k
/// aggregate with its tie rule: see `TangLeaveOneOutAdvantages.majorityAtK`).
struct MajorityVote {
    /// Per sample, its answer's index into `answerRewards`, or nil when it did not answer.
    let answerIndex: [Int?]
    let answerRewards: [Double]

    init(answers: [String?], rewards: [Double], estimator: String) throws(TrainingError) {
        guard answers.count == rewards.count else {
            throw .invalidAdvantageInput(estimator: estimator, reason: "\(answers.count) answers but \(rewards.count) rewards; give one of each per sample")
        }
        try AdvantageInput.check(rewards, estimator: estimator, atLeast: 2)
        var index: [String: Int] = [:], answerRewards: [Double] = []
        var answerIndex: [Int?] = []
        for (answer, reward) in zip(answers, rewards) {
            guard let answer else { answerIndex.append(nil); continue }
            if let known = index[answer] {
                guard answerRewards[known] == reward else {
                    throw .invalidAdvantageInput(estimator: estimator, reason: "answer \"\(answer)\" has rewards \(answerRewards[known]) and \(reward); a vote needs one reward per answer (verify each distinct answer once)")
                }
                answerIndex.append(known)
            } else {
                index[answer] = answerRewards.count
                answerIndex.append(answerRewards.count)
                answerRewards.append(reward)
            }
        }
        self.answerIndex = answerIndex
        self.answerRewards = answerRewards
    }

    /// The vote of `samples`: the mean reward of the answers with the most votes (0 if none voted).
    func worth(of samples: [Int]) -> Double {
        var votes = [Int](repeating: 0, count: answerRewards.count)
        for s in samples { if let a = answerIndex[s] { votes[a] += 1 } }
        let most = votes.max() ?? 0
        guard most > 0 else { return 0 }
        var total = 0.0, tied = 0
        for (a, count) in votes.enumerated() where count == most {
            total += answerRewards[a]
            tied += 1
        }
        return total / Double(tied)
    }
}

enum AdvantageInput {
    static func check(_ rewards: [Double], estimator: String, atLeast minimum: Int) throws(TrainingError) {
        guard rewards.count >= minimum else {
            throw .invalidAdvantageInput(estimator: estimator, reason: "\(rewards.count) sample(s); it needs at least \(minimum) per prompt")
        }
        if let bad = rewards.firstIndex(where: { !$0.isFinite }) {
            throw .invalidAdvantageInput(estimator: estimator, reason: "reward \(rewards[bad]) of sample \(bad) is not a finite number")
        }
    }

    static func check(_ rewards: [Double], estimator: String, k: Int) throws(TrainingError) {
        guard k >= 1 else { throw .invalidAdvantageInput(estimator: estimator, reason: "k = \(k); k must be at least 1") }
        guard rewards.count >= k else {
            throw .invalidAdvantageInput(estimator: estimator, reason: "\(rewards.count) samples for k = \(k); an unbiased estimate needs at least k samples per prompt")
        }
        try check(rewards, estimator: estimator, atLeast: max(1, k))
    }
}
