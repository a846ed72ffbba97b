import Foundation
import Testing
import Training

/// The IRPO loss as a pure function: against values worked out by hand (in Python's float64,
/// from the formula) on two hand-made pairs, with α = 1 and α = 0 (plain DPO), and its
/// gradients against central finite differences of the loss itself.
@Suite struct IRPOObjectiveTests {
    // Pair 1: log πθ(w) = −1 − 2 = −3 (|w| = 2), log πθ(l) = −0.5 − 0.5 − 1 = −2; reference −3.5 and −1.5.
    //   z = 0.1·(−3 + 3.5) − 0.1·(−2 + 1.5) = 0.1; −log σ(0.1) = 0.6443966600735709; NLL −(−3)/2 = 1.5.
    // Pair 2: log πθ(w) = −0.2 (|w| = 1), log πθ(l) = −4; reference −0.1 and −4.5.
    //   z = −0.01 − 0.05 = −0.06; −log σ(−0.06) = 0.7235971130761409; NLL 0.2.
    static let pairs: [(chosen: [Double], rejected: [Double])] = [([-1, -2], [-0.5, -0.5, -1]), ([-0.2], [-3, -1])]
    static let references = [IRPOObjective.Reference(chosen: -3.5, rejected: -1.5), IRPOObjective.Reference(chosen: -0.1, rejected: -4.5)]

    @Test func matchesHandComputedValues() {
        let irpo = IRPOObjective.loss(pairs: Self.pairs, references: Self.references, settings: .init(beta: 0.1, alpha: 1), pairsInStep: 2)
        #expect(abs(irpo.loss - 1.533996886574856) < 1e-12)
        // dL/dlp: winner tokens (−β·σ(−z) − α/|w|)/P, loser tokens β·σ(−z)/P.
        #expect(irpo.chosen[0].count == 2 && irpo.rejected[0].count == 3 && irpo.chosen[1].count == 1 && irpo.rejected[1].count == 2)
        #expect(irpo.chosen[0].allSatisfy { abs(Double($0) - -0.273751040626053) < 1e-7 })
        #expect(irpo.rejected[0].allSatisfy { abs(Double($0) - 0.023751040626053002) < 1e-8 })
        #expect(irpo.chosen[1].allSatisfy { abs(Double($0) - -0.5257497750809705) < 1e-7 })
        #expect(irpo.rejected[1].allSatisfy { abs(Double($0) - 0.0257497750809705) < 1e-8 })
        #expect(abs(irpo.outcomes[0].margin - 0.1) < 1e-12 && abs(irpo.outcomes[1].margin - -0.06) < 1e-12)
        #expect(abs(irpo.outcomes[0].chosenReward - 0.05) < 1e-12 && abs(irpo.outcomes[1].rejectedReward - 0.05) < 1e-12)
        #expect(irpo.outcomes[0].chosenLogprob == -3 && irpo.outcomes[1].rejectedLogprob == -4)
        #expect(abs(irpo.outcomes[0].loss - 2.144396660073571) < 1e-12)

        // α = 0 is plain DPO (TRL's sigmoid loss): the NLL term and its gradient are gone.
        let dpo = IRPOObjective.loss(pairs: Self.pairs, references: Self.references, settings: .init(beta: 0.1, alpha: 0), pairsInStep: 2)
        #expect(abs(dpo.loss - 0.6839968865748559) < 1e-12)
        #expect(abs(Double(dpo.chosen[0][0]) - -0.023751040626053002) < 1e-8)
        #expect(zip(dpo.chosen.flatMap { $0 }, dpo.rejected.flatMap { $0 }).allSatisfy { $0 < 0 && $1 > 0 })

        // Micro-batches of one step add up to the step's mean.
        let first = IRPOObjective.loss(pairs: [Self.pairs[0]], references: [Self.references[0]], settings: .init(), pairsInStep: 2)
        let second = IRPOObjective.loss(pairs: [Self.pairs[1]], references: [Self.references[1]], settings: .init(), pairsInStep: 2)
        #expect(abs(first.loss + second.loss - irpo.loss) < 1e-12)
    }

    @Test(arguments: [0.0, 0.5, 1.0, 2.0])
    func gradientsMatchFiniteDifferences(alpha: Double) {
        let settings = IRPOObjective.Settings(beta: 0.3, alpha: alpha)
        let analytic = IRPOObjective.loss(pairs: Self.pairs, references: Self.references, settings: settings, pairsInStep: 2)
        func loss(_ pairs: [(chosen: [Double], rejected: [Double])]) -> Double {
            IRPOObjective.loss(pairs: pairs, references: Self.references, settings: settings, pairsInStep: 2).loss
        }
        let h = 1e-6
        for p in Self.pairs.indices {
            for side in 0..<2 {
                let count = side == 0 ? Self.pairs[p].chosen.count : Self.pairs[p].rejected.count
                for t in 0..<count {
                    var plus = Self.pairs, minus = Self.pairs
                    if side == 0 { plus[p].chosen[t] += h; minus[p].chosen[t] -= h } else { plus[p].rejected[t] += h; minus[p].rejected[t] -= h }
                    let numeric = (loss(plus) - loss(minus)) / (2 * h)
                    let ours = Double(side == 0 ? analytic.chosen[p][t] : analytic.rejected[p][t])
                    #expect(abs(numeric - ours) < 1e-6 * max(1, abs(numeric)), "pair \(p) side \(side) token \(t): \(ours) vs \(numeric)")
                }
            }
        }
    }

    @Test func saturatedMarginsStayFinite() {
        let far = IRPOObjective.loss(pairs: [([-1], [-1])], references: [.init(chosen: -5000, rejected: 5000)], settings: .init(beta: 1, alpha: 0),
                                     pairsInStep: 1)
        #expect(far.loss == 0 && far.chosen[0][0] == 0)   // z = 10^4: −log σ(z) underflows to 0, so does its gradient
        let wrong = IRPOObjective.loss(pairs: [([-1], [-1])], references: [.init(chosen: 5000, rejected: -5000)], settings: .init(beta: 1, alpha: 0),
                                       pairsInStep: 1)
        #expect(abs(wrong.loss - 10_000) < 1e-9 && wrong.chosen[0][0] == -1 && wrong.rejected[0][0] == 1)
    }
}
