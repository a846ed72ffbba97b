import Foundation
import ScalingCore

/// maj@k, best-of-N@k and weighted-vote@k: the chance that a selection method applied to
/// a random k-subset of a problem's n samples returns a correct answer.
///
/// **Rules** (fixed, so exact and Monte Carlo values estimate the same thing):
/// - Majority vote counts only samples with an answer; if no sample in the subset has one,
///   the outcome is wrong. Ties between top answers are broken uniformly at random, so a
///   subset's value is the mean correctness of the tied answers.
/// - The winning answer is represented by a uniform pick among its samples in the subset
///   (this matters only when a verifier marks equal answers differently). For majority vote
///   the expected correctness of that pick is the fraction of the class's samples marked
///   correct, which the exact formula uses.
/// - Best-of-N picks the sample with the highest score (answer or not); equal top scores are
///   broken uniformly at random.
/// - Weighted majority vote sums the scores of each answer's samples; same tie rule.
///
/// **Exact values.** Best-of-N@k has a closed form: sort samples by score; the top score of
/// the subset lies in score group g with probability
/// `[C(n - above_g, k) - C(n - above_g - size_g, k)] / C(n, k)`, and then the pick is correct
/// with probability `correct_g / size_g`. maj@k is a sum over the correct classes i and
/// their count j in the subset of `P(X_i = j) · E[1{every other class ≤ j} / (1 + #classes at j)]`,
/// computed by a dynamic programme (a convolution) over the classes large enough to reach j,
/// using that a uniform subset's class counts are independent binomials conditioned on their
/// sum; classes smaller than j and unanswered samples are pooled. Values of j with
/// `P(X_i = j) < 1e-18` are skipped; with log-gamma rounding the result is accurate to about
/// 1e-10 at n = 10,000 (far closer for small n).
/// Its cost grows with the number of large classes and k (n = 10,000 with a long-tailed answer
/// distribution: a 40-point curve in about a second; 100 equal classes of 100 at k = 5,000: far
/// too slow); ``defaultOperationBudget`` guards it
/// (``MetricsError/exactComputationTooLarge(problem:k:operations:budget:)``), and Monte Carlo
/// is the fallback. The weighted vote has no closed form here: Monte Carlo only.
///
/// **Monte Carlo** draws `subsets` k-subsets without replacement (partial Fisher–Yates, seeded
/// per problem and k) and averages each subset's value, with ties counted in expectation.
public enum VoteEstimator {
    /// Default cap on the exact maj@k work per problem and k (inner-loop multiply-adds, about a second).
    public static let defaultOperationBudget = 1e9

    /// Exact maj@k of one problem.
    /// - Parameters:
    ///   - samples: the problem's n samples.
    ///   - k: budget, `1...n`.
    ///   - operationBudget: refuse (throw) above this many inner-loop steps.
    public static func majorityVoteExact(
        _ samples: [SampleOutcome], k: Int, operationBudget: Double = defaultOperationBudget
    ) throws -> Double {
        try AnswerTable(samples, problem: nil).majorityVoteExact(k: k, budget: operationBudget, problem: nil)
    }

    /// Exact best-of-N@k of one problem by score. Every sample needs a finite score.
    public static func bestOfNExact(_ samples: [SampleOutcome], k: Int) throws -> Double {
        let table = try AnswerTable(samples, problem: nil)
        return try table.bestOfNExact(scores: table.requireScores(problem: nil), k: k, problem: nil)
    }

    /// Exact best-of-N@k when a verifier accepts or rejects each sample: a uniform pick among
    /// the accepted samples of the subset, or among all of them if none is accepted. With an
    /// oracle verifier (`accepted == isCorrect`) this is pass@k.
    /// - Parameter accepted: one verdict per sample.
    public static func bestOfNByVerifierExact(_ samples: [SampleOutcome], accepted: [Bool], k: Int) throws -> Double {
        guard accepted.count == samples.count else {
            throw MetricsError.mismatchedLength(field: "accepted", problem: nil, expected: samples.count, found: accepted.count)
        }
        return try AnswerTable(samples, problem: nil).bestOfNExact(scores: accepted.map { $0 ? 1 : 0 }, k: k, problem: nil)
    }

    /// Monte Carlo estimate of a selection method at budget k for one problem: the mean over
    /// `subsets` random k-subsets (Large Language Monkeys App. D uses 100).
    public static func monteCarlo(
        _ samples: [SampleOutcome], method: SelectionMethod, k: Int, subsets: Int = 100, seed: UInt64 = 0
    ) throws -> MonteCarloEstimate {
        let values = try AnswerTable(samples, problem: nil)
            .monteCarloValues(method: method, k: k, subsets: subsets, seed: seed, problem: nil)
        return MonteCarloEstimate(mean: values.mean, standardDeviation: values.sampleStandardDeviation, subsets: subsets)
    }

    /// One problem's value, exact or Monte Carlo.
    public static func estimate(
        _ samples: [SampleOutcome], method: SelectionMethod, k: Int, estimation: Estimation = .exact,
        operationBudget: Double = defaultOperationBudget
    ) throws -> Double {
        try curve([samples], method: method, ks: [k], estimation: estimation, operationBudget: operationBudget).mean[0]
    }

    /// A selection method's curve over problems: per-problem values and their mean for each k.
    /// - Parameters:
    ///   - problems: each problem's samples; problems may have different n.
    ///   - ks: budgets, each `1...min n` (see ``PassAtK`` on why not above); `nil` = all.
    ///   - estimation: `.exact` (majority vote, best-of-N) or `.monteCarlo`; Monte Carlo curves
    ///     also carry ``MetricCurve/roundStandardDeviation``.
    public static func curve(
        _ problems: [[SampleOutcome]], method: SelectionMethod, ks: [Int]? = nil,
        estimation: Estimation = .exact, operationBudget: Double = defaultOperationBudget
    ) throws -> MetricCurve {
        guard !problems.isEmpty else { throw MetricsError.noProblems(metric: method.rawValue) }
        let tables = try problems.enumerated().map { try AnswerTable($1, problem: $0) }
        let budgets = try KGrid.budgets(ks, sampleCounts: tables.map(\.count))
        switch estimation {
        case .exact:
            let perProblem = try tables.enumerated().map { problem, table in
                switch method {
                case .majorityVote:
                    return try budgets.map { try table.majorityVoteExact(k: $0, budget: operationBudget, problem: problem) }
                case .bestOfN:
                    let scores = try table.requireScores(problem: problem)
                    return try budgets.map { try table.bestOfNExact(scores: scores, k: $0, problem: problem) }
                case .weightedMajorityVote:
                    throw MetricsError.noExactForm(method: "Weighted majority vote")
                }
            }
            return try MetricCurve(ks: budgets, perProblem: perProblem)
        case .monteCarlo(let subsets, let seed):
            // values[p][i][r]: problem p, budget i, round r.
            let values = try tables.enumerated().map { problem, table in
                try budgets.map { try table.monteCarloValues(method: method, k: $0, subsets: subsets, seed: seed, problem: problem) }
            }
            let perProblem = values.map { $0.map(\.mean) }
            let roundSpread = budgets.indices.map { i in
                (0..<subsets).map { r in values.reduce(0) { $0 + $1[i][r] } / Double(values.count) }.sampleStandardDeviation
            }
            return try MetricCurve(ks: budgets, perProblem: perProblem, roundStandardDeviation: roundSpread)
        }
    }
}

/// One problem's samples, indexed for the estimators: dense class ids and per-class counts.
struct AnswerTable {
    /// Class id of each sample, `-1` for no answer.
    let classOfSample: [Int]
    let classSizes: [Int]
    let classCorrect: [Int]
    let isCorrect: [Bool]
    let scores: [Double?]
    var count: Int { classOfSample.count }

    init(_ samples: [SampleOutcome], problem: Int?) throws {
        guard !samples.isEmpty else { throw MetricsError.invalidCounts(problem: problem, samples: 0, correct: 0) }
        var ids: [AnswerKey: Int] = [:]
        var classOfSample: [Int] = []
        var sizes: [Int] = [], correct: [Int] = []
        for (index, sample) in samples.enumerated() {
            if let score = sample.score, !score.isFinite {
                throw MetricsError.nonFinite(field: "score", problem: problem, index: index)
            }
            guard let answer = sample.answer else { classOfSample.append(-1); continue }
            let id = ids[answer] ?? { ids[answer] = sizes.count; sizes.append(0); correct.append(0); return sizes.count - 1 }()
            classOfSample.append(id)
            sizes[id] += 1
            if sample.isCorrect { correct[id] += 1 }
        }
        self.classOfSample = classOfSample
        classSizes = sizes
        classCorrect = correct
        isCorrect = samples.map(\.isCorrect)
        scores = samples.map(\.score)
    }

    func requireScores(problem: Int?) throws -> [Double] {
        try scores.enumerated().map { index, score in
            guard let score else { throw MetricsError.missingScore(problem: problem, sample: index) }
            return score
        }
    }

    func checkK(_ k: Int, problem: Int?) throws {
        guard k >= 1, k <= count else { throw MetricsError.kOutOfRange(k: k, problem: problem, samples: count) }
    }

    // MARK: Exact best-of-N

    func bestOfNExact(scores: [Double], k: Int, problem: Int?) throws -> Double {
        try checkK(k, problem: problem)
        let n = count
        let avoid = subsetAvoidanceRatios(total: n, k: k)   // avoid[a] = C(a,k)/C(n,k)
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var result = 0.0
        var above = 0
        var start = 0
        while start < n {
            var end = start
            var groupCorrect = 0
            while end < n, scores[order[end]] == scores[order[start]] {
                if isCorrect[order[end]] { groupCorrect += 1 }
                end += 1
            }
            let size = end - start
            // P(no sample above the group is drawn, and at least one of the group is).
            let topIsThisGroup = avoid[n - above] - avoid[n - above - size]
            result += topIsThisGroup * Double(groupCorrect) / Double(size)
            above += size
            start = end
        }
        return min(1, max(0, result))
    }

    // MARK: Exact majority vote

    /// For each correct class i: `Σ_j P(X_i = j) · E[1{others ≤ j} / (1 + ties)]` (see VoteEstimator).
    func majorityVoteExact(k: Int, budget: Double, problem: Int?) throws -> Double {
        try checkK(k, problem: problem)
        let n = count
        let logFactorials = LogFactorials(upTo: n)
        let bySize = classSizes.indices.sorted { classSizes[$0] > classSizes[$1] }

        // The (class, j) cells worth computing, and the work they take.
        var cells: [(classIndex: Int, j: Int, probability: Double)] = []
        var operations = 0.0
        for i in classSizes.indices where classCorrect[i] > 0 {
            let size = classSizes[i]
            let others = n - size
            let jLow = max(1, k - others), jHigh = min(size, k)
            guard jLow <= jHigh else { continue }
            for j in jLow...jHigh {
                let probability = logFactorials.hypergeometric(j, marked: size, population: n, draws: k)
                guard probability >= 1e-18 else { continue }
                cells.append((i, j, probability))
                operations += estimatedOperations(excluding: i, j: j, k: k, bySize: bySize)
            }
        }
        guard operations <= budget else {
            throw MetricsError.exactComputationTooLarge(problem: problem, k: k, operations: operations, budget: budget)
        }

        var result = 0.0
        for cell in cells {
            let classValue = Double(classCorrect[cell.classIndex]) / Double(classSizes[cell.classIndex])
            let winShare = expectedWinShare(
                excluding: cell.classIndex, j: cell.j, k: k, bySize: bySize, logFactorials: logFactorials)
            result += classValue * cell.probability * winShare
        }
        return min(1, max(0, result))
    }

    /// Classes other than `excluded` that can reach count j (size ≥ j), largest first.
    private func largeClasses(excluding excluded: Int, j: Int, bySize: [Int]) -> [Int] {
        var result: [Int] = []
        for c in bySize {
            if classSizes[c] < j { break }
            if c != excluded { result.append(c) }
        }
        return result
    }

    private func estimatedOperations(excluding i: Int, j: Int, k: Int, bySize: [Int]) -> Double {
        let rest = k - j
        let large = largeClasses(excluding: i, j: j, bySize: bySize)
        let tieLimit = min(large.count, rest / j)
        var reachable = 0, total = 0.0
        for (processed, c) in large.enumerated() {
            let draws = min(j, classSizes[c])
            total += Double(reachable + 1) * Double(min(tieLimit, processed) + 1) * Double(draws + 1)
            reachable = min(rest, reachable + draws)
        }
        return total + 1
    }

    /// Given class i has exactly j of the k draws: `E[1{all other classes ≤ j} / (1 + #others at j)]`.
    ///
    /// The other `r = k − j` draws are a uniform r-subset of the `R = n − size_i` other samples,
    /// i.e. independent `Binomial(size_l, p)` counts per class conditioned on their sum being r
    /// (for any p; we take p = r/R so the weights stay in floating-point range):
    /// `P(x) = Π_l Bin(x_l; size_l, p) · Bin(x_pool; pool, p) / Bin(r; R, p)`.
    /// Classes that can reach j are convolved one at a time (state: draws s so far, classes
    /// tied at j so far t); the pool (smaller classes, unanswered samples) takes `r − s`.
    private func expectedWinShare(excluding i: Int, j: Int, k: Int, bySize: [Int], logFactorials: LogFactorials) -> Double {
        let rest = k - j
        if rest == 0 { return 1 }   // class i holds every draw
        let others = count - classSizes[i]
        let large = largeClasses(excluding: i, j: j, bySize: bySize)
        let pool = others - large.reduce(0) { $0 + classSizes[$1] }
        let p = min(max(Double(rest) / Double(others), 0.5 / Double(others)), 1 - 0.5 / Double(others))
        let logP = log(p), logQ = log1p(-p)
        func logBinomial(_ x: Int, _ trials: Int) -> Double {
            logFactorials.logChoose(trials, x) + Double(x) * logP + Double(trials - x) * logQ
        }
        let tieLimit = min(large.count, rest / j)
        // probability[t * row + s]: t-major, so each class is a few contiguous axpys.
        let row = rest + 1
        var probability = [Double](repeating: 0, count: row * (tieLimit + 1))
        probability[0] = 1
        var next = probability
        var weights = [Double](repeating: 0, count: j + 1)
        var reachable = 0
        for (processed, c) in large.enumerated() {
            let size = classSizes[c]
            let xTop = min(j, size)
            for x in 0...xTop { weights[x] = exp(logBinomial(x, size)) }
            for index in next.indices { next[index] = 0 }
            probability.withUnsafeBufferPointer { from in
                next.withUnsafeMutableBufferPointer { to in
                    weights.withUnsafeBufferPointer { weights in
                        // At most `processed` classes can already be tied, and t·j ≤ s.
                        for t in 0...min(tieLimit, processed) where t * j <= reachable {
                            for s in (t * j)...reachable {
                                let mass = from[t * row + s]
                                if mass == 0 { continue }
                                let base = t * row + s
                                let xBelow = min(xTop, j - 1, rest - s)
                                if xBelow >= 0 {
                                    for x in 0...xBelow { to[base + x] += mass * weights[x] }
                                }
                                // x == j ties with class i: t → t + 1 (≤ tieLimit since (t+1)·j ≤ s + j ≤ r).
                                if xTop == j, s + j <= rest { to[base + row + j] += mass * weights[j] }
                            }
                        }
                    }
                }
            }
            swap(&probability, &next)
            reachable = min(rest, reachable + xTop)
        }
        let normaliser = logBinomial(rest, others)
        var share = 0.0
        guard rest - pool <= reachable else { return 0 }   // the large classes must exceed j
        for s in max(0, rest - pool)...reachable {
            let poolWeight = exp(logBinomial(rest - s, pool) - normaliser)
            if poolWeight == 0 { continue }
            var tied = 0.0
            for t in 0...tieLimit { tied += probability[t * row + s] / Double(t + 1) }
            share += tied * poolWeight
        }
        return share
    }

    // MARK: Monte Carlo

    /// One value per random k-subset (ties counted in expectation).
    func monteCarloValues(method: SelectionMethod, k: Int, subsets: Int, seed: UInt64, problem: Int?) throws -> [Double] {
        try checkK(k, problem: problem)
        guard subsets >= 2 else {
            throw MetricsError.invalidParameter(name: "subsets", value: "\(subsets)", expected: "at least 2")
        }
        let scoreValues: [Double] = method == .majorityVote ? [] : try requireScores(problem: problem)
        var generator = SplitMix64(seed: seed, streams: problem ?? 0, k)
        var order = Array(0..<count)
        var votes = [Double](repeating: 0, count: classSizes.count)
        var correctInSubset = [Int](repeating: 0, count: classSizes.count)
        var sizeInSubset = [Int](repeating: 0, count: classSizes.count)
        var isTouched = [Bool](repeating: false, count: classSizes.count)
        var touched: [Int] = []
        var values: [Double] = []
        values.reserveCapacity(subsets)
        for _ in 0..<subsets {
            // Partial Fisher–Yates: order[0..<k] is a uniform k-subset. `order` stays a
            // permutation, so it need not be reset between subsets.
            for position in 0..<k {
                order.swapAt(position, Int.random(in: position..<count, using: &generator))
            }
            switch method {
            case .bestOfN:
                var best = -Double.infinity, tied = 0, tiedCorrect = 0
                for position in 0..<k {
                    let sample = order[position], score = scoreValues[sample]
                    if score > best { best = score; tied = 0; tiedCorrect = 0 }
                    if score == best { tied += 1; if isCorrect[sample] { tiedCorrect += 1 } }
                }
                values.append(Double(tiedCorrect) / Double(tied))
            case .majorityVote, .weightedMajorityVote:
                touched.removeAll(keepingCapacity: true)
                for position in 0..<k {
                    let sample = order[position], c = classOfSample[sample]
                    guard c >= 0 else { continue }
                    if !isTouched[c] { isTouched[c] = true; touched.append(c) }
                    votes[c] += method == .majorityVote ? 1 : scoreValues[sample]
                    sizeInSubset[c] += 1
                    if isCorrect[sample] { correctInSubset[c] += 1 }
                }
                guard !touched.isEmpty else { values.append(0); continue }
                let top = touched.map { votes[$0] }.max()!
                let winners = touched.filter { votes[$0] == top }
                // The winner is represented by a uniform pick among its samples in this subset.
                // (For the unweighted vote this equals the class's overall fraction correct in
                // expectation; for the weighted vote it need not, since scores decide who wins.)
                let share = winners.reduce(0) { $0 + Double(correctInSubset[$1]) / Double(sizeInSubset[$1]) }
                values.append(share / Double(winners.count))
                for c in touched { votes[c] = 0; correctInSubset[c] = 0; sizeInSubset[c] = 0; isTouched[c] = false }
            }
        }
        return values
    }
}

extension Array where Element == Double {
    var mean: Double { isEmpty ? 0 : reduce(0, +) / Double(count) }

    /// Sample standard deviation (divisor n − 1); 0 for fewer than two values.
    var sampleStandardDeviation: Double {
        guard count > 1 else { return 0 }
        let m = mean
        return (reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(count - 1)).squareRoot()
    }
}
