import Foundation
import Testing
import Metrics

struct ScalingLawFitTests {
    let fixture: ScalingFitFixture

    init() throws { fixture = try Fixtures.load("scaling_fit.json") }

    @Test func matchesScipyCurveFit() throws {
        for expected in fixture.cases {
            let fit = try ScalingLawFit.fit(ks: expected.ks, coverage: expected.coverage)
            // Both minimise the same sum of squares; the minimiser must agree closely and ours
            // must not be worse than scipy's.
            #expect(isClose(fit.a, expected.a, relative: 1e-4, absolute: 1e-7), "\(expected.name): a \(fit.a) vs \(expected.a)")
            #expect(isClose(fit.b, expected.b, relative: 1e-4, absolute: 1e-7), "\(expected.name): b \(fit.b) vs \(expected.b)")
            let sse = fit.rootMeanSquareError * fit.rootMeanSquareError * Double(fit.pointCount)
            #expect(sse <= expected.sse * (1 + 1e-6) + 1e-20, "\(expected.name): SSE \(sse) vs scipy \(expected.sse)")
            #expect(isClose(fit.rSquared, expected.rSquared, relative: 1e-6, absolute: 1e-9))
            #expect(isClose(fit.rootMeanSquareError, expected.rmse, relative: 1e-4, absolute: 1e-9))
            #expect(fit.pointCount == expected.ks.count)
            for (key, reference) in expected.samplesNeeded {
                let needed = try fit.samplesNeeded(forCoverage: Double(key)!)
                if let reference {
                    guard case .reachable(let k) = needed else {
                        Issue.record("\(expected.name): \(key) should be reachable at \(reference)"); continue
                    }
                    // k = (log X / a)^(1/b) amplifies parameter differences by |1/b|.
                    #expect(isClose(k, reference, relative: 2e-3), "\(expected.name): samples for \(key): \(k) vs \(reference)")
                    #expect(isClose(fit.coverage(atK: k), Double(key)!, relative: 1e-9) || k == 1)
                } else {
                    #expect(needed.samples == nil)
                }
            }
        }
    }

    @Test func fitFromCountsReproducesTheRecipe() throws {
        // 40 log-spaced k up to n, coverage by our pass@k, then the fit: same as scipy on
        // human-eval's coverage at numpy's grid.
        for expected in fixture.cases {
            guard let problems = expected.problems else { continue }
            let fit = try ScalingLawFit.fit(problems)
            #expect(fit.pointCount == expected.ks.count)
            #expect(isClose(fit.a, expected.a, relative: 1e-4), "\(expected.name): a \(fit.a) vs \(expected.a)")
            #expect(isClose(fit.b, expected.b, relative: 1e-4), "\(expected.name): b \(fit.b) vs \(expected.b)")
        }
    }

    @Test func samplesNeededFollowsTheLawsLimit() throws {
        // Rising law (a, b < 0): limit 1, any target below it is reachable; k = (log X / a)^(1/b).
        let rising = ScalingLawFit(a: -2, b: -0.5, rSquared: 1, rootMeanSquareError: 0, pointCount: 40)
        #expect(rising.limit == 1)
        // exp(-2·k^-0.5) = 0.5 ⇔ k = (2 / log 2)^2 = 8.3255
        guard case .reachable(let k) = try rising.samplesNeeded(forCoverage: 0.5) else { Issue.record("unreachable"); return }
        #expect(isClose(k, pow(2 / log(2), 2), relative: 1e-12))
        #expect(try rising.samplesNeeded(forCoverage: 0.5).samples == 9)
        #expect(try rising.samplesNeeded(forCoverage: 0.1) == .reachable(k: 1))          // exp(-2) = 0.135 ≥ 0.1 at k = 1
        // Falling law (b > 0): best at k = 1, exp(-1) = 0.368 < 0.5: unreachable.
        let falling = ScalingLawFit(a: -1, b: 0.1, rSquared: 1, rootMeanSquareError: 0, pointCount: 40)
        #expect(try falling.samplesNeeded(forCoverage: 0.5) == .unreachable(supremum: exp(-1)))
        #expect(falling.limit == 0)
        #expect(throws: MetricsError.self) { try rising.samplesNeeded(forCoverage: 1) }
    }

    @Test func rejectsDegenerateInput() {
        #expect(throws: MetricsError.self) { try ScalingLawFit.fit(ks: [1, 2], coverage: [0.1, 0.2]) }
        #expect(throws: MetricsError.self) { try ScalingLawFit.fit(ks: [1, 2, 4], coverage: [0.3, 0.3, 0.3]) }
        #expect(throws: MetricsError.self) { try ScalingLawFit.fit(ks: [0, 2, 4], coverage: [0.1, 0.2, 0.3]) }
        #expect(throws: MetricsError.self) { try ScalingLawFit.fit(ks: [1, 2, 4], coverage: [0.1, 1.2, 0.3]) }
    }
}
