import Experiments
import Foundation
import Report
import RunStore
import Testing

/// Stopping rules on the hand-made run of `RunAnalysisTests` (p0: 2 of 4 correct, answers
/// {1/2, 0.5} | 3 | none; p1: 7, 8, 7, 9, never correct; p2: 4 four times, always correct).
struct StoppingAnalysisTests {
    @Test func rulesOnAHandMadeRunMatchHandComputedExpectations() throws {
        let (store, run) = try RunAnalysisTests.store()
        let analysis = StoppingAnalysis(rules: ["adaptive:adaptive-consistency", "adaptive:verified,wave=1"], orders: 3000, seeds: [0, 1])
        let table = try analysis.table(runID: run, store: store)
        #expect(table.samplesPerProblem == 4 && table.problemCount == 3)
        #expect(abs(table.majorityAtAll - 2.0 / 3) < 1e-12 && abs(table.coverageAtAll - 2.0 / 3) < 1e-12)
        // Adaptive-consistency in one wave of 4 (max = n = 4): every problem draws all 4 samples and
        // votes as maj@4 does, with no tie on any problem: exactly 2/3, at 4 samples, one call.
        let ac = table.rows[0]
        #expect(ac.rule == "adaptive:adaptive-consistency,max=4,threshold=0.95,wave=4")
        #expect(abs(ac.accuracy - 2.0 / 3) < 1e-12 && ac.samples == 4 && ac.calls == 1)
        #expect(abs(ac.completionTokens - (100.0 + 40 + 40) / 3) < 1e-9 && ac.promptTokens == 100)
        #expect(abs(ac.majorityAtSameSamples - table.majorityAtAll) < 1e-12)
        #expect(table.matchesMajority(ac))
        // Verified, one sample a wave: the first correct sample among n with c correct comes at
        // (n + 1)/(c + 1) on average: p0 5/3, p1 never (all 4, then a vote for 7: wrong), p2 1.
        let verified = table.rows[1]
        #expect(abs(verified.accuracy - 2.0 / 3) < 1e-12)
        #expect(abs(verified.samples - (5.0 / 3 + 4 + 1) / 3) < 0.03, "\(verified.samples)")
        #expect(verified.samplesRange[0] <= verified.samples && verified.samples <= verified.samplesRange[1])
        #expect(table.markdown().contains("| `adaptive:verified,max=4,wave=1` |"))
        #expect(table.render().contains("Cheapest within 0.5 points of maj@4: adaptive:verified"))
    }

    @Test func aRuleAskingForMoreSamplesThanStoredIsAClearError() throws {
        let (store, run) = try RunAnalysisTests.store()
        #expect {
            _ = try StoppingAnalysis(rules: ["adaptive:esc,max=8"]).table(runID: run, store: store)
        } throws: { error in
            "\(error)".contains("use max=4 or less")
        }
        #expect {
            _ = try StoppingAnalysis(rules: ["self-consistency:4"]).table(runID: run, store: store)
        } throws: { error in
            "\(error)".contains("not an adaptive strategy")
        }
    }
}
