import Aggregation
import Foundation
import ScalingCore
import Testing
import Verifiers

/// The online adaptive strategy on scripted samples: waves as calls, where it stops and why,
/// and that it stops where the offline simulation of the same draws does.
struct AdaptiveSamplingTests {
    /// Sample i (its seed, from 0) answers `answers[i]`, with mean log-probability `logprobs[i]`.
    static func provider(_ answers: [String], logprobs: [Double]? = nil) -> ScriptedProvider {
        ScriptedProvider { request, _ in
            request.seeds.map { seed in (answers[Int(seed) % answers.count], logprobs?[Int(seed) % answers.count]) }
        }
    }

    @Test func anEasyQuestionStopsAfterOneWave() async throws {
        let provider = Self.provider(Array(repeating: "The answer is \\boxed{42}.", count: 32))
        let strategy = try StrategySpec(parsing: "adaptive:adaptive-consistency,max=32").makeStrategy()
        let result = try await strategy.answer(.text("q"), using: StrategyContext(provider: provider))
        guard case .adaptive(let evidence) = result.evidence else { Issue.record("evidence \(result.evidence.kind)"); return }
        #expect(evidence.samplesDrawn == 4 && evidence.stopReason == "rule" && evidence.waves.count == 1)
        #expect(result.extractedAnswer == "42")
        #expect(result.spend.samples == 4 && result.spend.modelCalls == 1 && result.spend.completionTokens == 20)
        let requests = await provider.requests
        #expect(requests.map(\.seeds) == [[0, 1, 2, 3]])   // one shared-prompt batch per wave
    }

    @Test func aContestedQuestionDrawsWavesUntilTheLeaderIsClear() async throws {
        // 2, 3 alternate for the first 8 samples, then 2 only. Adaptive-consistency at 0.95
        // (waves of 4): 2-2 (0.5), 4-4 (0.5), 8-4 (P(Bin(13) ≤ 8) = 0.867), 12-4 (P(Bin(17) ≤ 12) = 0.975): stop at 16.
        let answers = (0..<8).map { "\\boxed{\($0 % 2 == 0 ? 2 : 3)}" } + Array(repeating: "\\boxed{2}", count: 24)
        let strategy = try StrategySpec(parsing: "adaptive:adaptive-consistency,max=32").makeStrategy()
        let result = try await strategy.answer(.text("q"), using: StrategyContext(provider: Self.provider(answers), seed: 0))
        guard case .adaptive(let evidence) = result.evidence else { Issue.record("evidence \(result.evidence.kind)"); return }
        #expect(evidence.waves.map(\.samples) == [4, 8, 12, 16])
        #expect(evidence.samplesDrawn == 16 && evidence.stopReason == "rule")
        #expect(abs(evidence.waves[2].statistic! - StoppingRuleTests.binomialReference(leader: 8, second: 4)) < 1e-9)
        #expect(result.extractedAnswer == "2" && result.spend.modelCalls == 4)
        // The offline simulation stops at the same sample on the same draws.
        let policy = (strategy as! AdaptiveSampling).policy
        let classes = answers.map { $0.contains("{2}") ? 0 : 1 }
        #expect(policy.stoppingPoint(classes.map { StoppingObservation(answerClass: $0) }).samples == 16)
    }

    @Test func neverSettlingStopsAtTheMaximum() async throws {
        let answers = (0..<10).map { "\\boxed{\($0)}" }
        let strategy = try StrategySpec(parsing: "adaptive:esc,max=10,window=4").makeStrategy()
        let result = try await strategy.answer(.text("q"), using: StrategyContext(provider: Self.provider(answers)))
        guard case .adaptive(let evidence) = result.evidence else { Issue.record("evidence \(result.evidence.kind)"); return }
        #expect(evidence.samplesDrawn == 10 && evidence.stopReason == "maximum" && evidence.waves.map(\.samples) == [4, 8, 10])
        #expect(result.summary().contains("drew 10 of at most 10 samples: the maximum was reached"))
    }

    @Test func verifiedNeedsAVerifierAndStopsAtTheFirstPass() async throws {
        let answers = ["\\boxed{5}", "\\boxed{6}", "\\boxed{7}", "\\boxed{8}", "\\boxed{9}", "\\boxed{7}"]
        let strategy = try StrategySpec(parsing: "adaptive:verified,max=6,wave=2").makeStrategy()
        await #expect(throws: AggregationError.self) {
            _ = try await strategy.answer(.text("q"), using: StrategyContext(provider: Self.provider(answers)))
        }
        let problem = Problem(id: "p", prompt: .text("q"), reference: ProblemReference(answer: "7"))
        let result = try await strategy.answer(.text("q"), using: StrategyContext(provider: Self.provider(answers), verifier: MathVerifier(), problem: problem))
        guard case .adaptive(let evidence) = result.evidence else { Issue.record("evidence \(result.evidence.kind)"); return }
        #expect(evidence.samplesDrawn == 4 && evidence.chosenSample == 2 && evidence.verified == [false, false, true, false])
        #expect(result.extractedAnswer == "7")
    }

    @Test func confidenceNeedsLogprobsAndAsksForThem() async throws {
        let answers = Array(repeating: "\\boxed{1}", count: 8)
        let strategy = try StrategySpec(parsing: "adaptive:confidence,max=8").makeStrategy()
        // The scripted provider reports log-probabilities only when the request asks for them.
        let provider = Self.provider(answers, logprobs: Array(repeating: log(0.9), count: 8))
        let result = try await strategy.answer(.text("q"), using: StrategyContext(provider: provider))
        guard case .adaptive(let evidence) = result.evidence else { Issue.record("evidence \(result.evidence.kind)"); return }
        // Four samples of confidence 0.9: P(X > 1/2), X ~ Beta(4.6, 1) = 1 − 0.5^4.6 = 0.959 ≥ 0.95.
        #expect(evidence.samplesDrawn == 4 && abs(evidence.waves[0].statistic! - (1 - pow(0.5, 4.6))) < 1e-9)
        #expect(await provider.requests.allSatisfy { $0.parameters.logprobs != nil })
        await #expect(throws: AggregationError.self) {
            _ = try await strategy.answer(.text("q"), using: StrategyContext(provider: Self.provider(answers)))
        }
    }

    @Test func evidenceRoundTripsThroughJSON() async throws {
        let strategy = try StrategySpec(parsing: "adaptive:esc,max=8,window=4").makeStrategy()
        let result = try await strategy.answer(.text("q"), using: StrategyContext(provider: Self.provider(["\\boxed{3}"])))
        let data = try JSONEncoder().encode(result)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let evidence = try #require(object["evidence"] as? [String: Any])
        #expect(evidence["kind"] as? String == "adaptive")
        #expect(try JSONDecoder().decode(StrategyResult.self, from: data) == result)
    }
}
