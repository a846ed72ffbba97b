import Testing
import Metrics

struct BootstrapTests {
    let fixture: BootstrapFixture

    init() throws { fixture = try Fixtures.load("bootstrap.json") }

    @Test func endpointsAgreeWithNumpyStatistically() throws {
        // numpy used 200,000 resamples, so its endpoints are nearly exact; ours use the default
        // 1,000, whose endpoints have Monte Carlo error `endpointStandardError1000`. Allow 4 of them.
        for expected in fixture.cases {
            for seed: UInt64 in [1, 2, 3] {
                let interval = try Bootstrap(resamples: 1000, confidence: fixture.confidence, seed: seed).interval(expected.values)
                let tolerance = 4 * expected.endpointStandardError1000
                #expect(isClose(interval.estimate, expected.mean))
                #expect(abs(interval.lower - expected.lower) <= tolerance, "\(expected.name) seed \(seed): lower \(interval.lower) vs \(expected.lower)")
                #expect(abs(interval.upper - expected.upper) <= tolerance, "\(expected.name) seed \(seed): upper \(interval.upper) vs \(expected.upper)")
                #expect(interval.lower <= interval.estimate && interval.estimate <= interval.upper)
            }
        }
    }

    @Test func deterministicForASeed() throws {
        let values = fixture.cases[0].values
        let first = try Bootstrap(seed: 42).interval(values)
        #expect(try Bootstrap(seed: 42).interval(values) == first)
        #expect(try Bootstrap(seed: 43).interval(values) != first)
    }

    @Test func widthShrinksWithMoreProblems() throws {
        // Four copies of the problems: the standard error halves, so the interval should too.
        let values = fixture.cases[0].values
        let base = try Bootstrap(resamples: 4000, seed: 5).interval(values)
        let quadrupled = try Bootstrap(resamples: 4000, seed: 5).interval(values + values + values + values)
        #expect(quadrupled.width < base.width)
        #expect(abs(quadrupled.width / base.width - 0.5) < 0.08, "ratio \(quadrupled.width / base.width)")
    }

    @Test func curveIntervalsBracketTheCurve() throws {
        let counts = fixture.cases[1].values.map { SampleCounts(samples: 100, correct: Int(($0 * 100).rounded(.down))) }
        let curve = try PassAtK.curve(counts, ks: KGrid.logSpaced(upTo: 100, count: 12))
        let intervals = try Bootstrap(seed: 8).intervals(curve)
        #expect(intervals.count == curve.ks.count)
        for (interval, mean) in zip(intervals, curve.mean) {
            #expect(interval.estimate == mean)
            #expect(interval.lower <= mean && mean <= interval.upper)
        }
        // A statistic other than the mean: the fitted scaling-law exponent.
        let exponent = try Bootstrap(resamples: 200, seed: 8).interval(problemCount: counts.count) { indices in
            try ScalingLawFit.fit(indices.map { counts[$0] }, pointCount: 12).b
        }
        #expect(exponent.lower <= exponent.estimate && exponent.estimate <= exponent.upper)
        #expect(exponent.upper < 0)
    }

    @Test func rejectsBadParameters() {
        #expect(throws: MetricsError.self) { try Bootstrap(resamples: 1).interval([0.5]) }
        #expect(throws: MetricsError.self) { try Bootstrap(confidence: 1.5).interval([0.5]) }
        #expect(throws: MetricsError.self) { try Bootstrap().interval([]) }
    }
}
