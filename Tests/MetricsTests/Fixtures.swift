import Foundation
import Metrics
import TestSupport

/// Loads the committed reference values written by `scripts/metrics_reference.py`
/// (`Tests/Fixtures/metrics/*.json`).
enum Fixtures {
    static func load<T: Decodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        let url = TestPaths.fixtures.appendingPathComponent("metrics").appendingPathComponent(name)
        guard let data = try? Data(contentsOf: url) else {
            throw TestSupportError("Missing fixture \(url.path): run `python3 scripts/metrics_reference.py`.")
        }
        return try JSONDecoder().decode(T.self, from: data)
    }
}

// MARK: pass_at_k.json

struct PassAtKFixture: Decodable {
    struct Case: Decodable { let n: Int; let c: Int; let k: Int; let value: Double }
    struct Curve: Decodable {
        let problems: [SampleCounts]
        let ks: [Int]
        let perProblem: [[Double]]
        let mean: [Double]
        let histogramBins: Int
        let histogramCounts: [Int]
        let neverSolved: Int
        let alwaysSolved: Int
    }
    struct Grid: Decodable { let maxK: Int; let count: Int; let ks: [Int] }
    let bruteForce: [Case]
    let humanEval: [Case]
    let curves: [Curve]
    let logSpacedGrids: [Grid]
}

// MARK: selection.json

struct SelectionFixture: Decodable {
    struct Sample: Decodable {
        let answer: AnswerKey?
        let correct: Int
        let score: Double
        let accepted: Bool?
        var outcome: SampleOutcome { SampleOutcome(answer: answer, isCorrect: correct == 1, score: score) }
    }
    struct Expected: Decodable {
        let majorityVote: [Double]
        let bestOfN: [Double]
        let weightedMajorityVote: [Double]
        let bestOfNByVerifier: [Double]
    }
    struct Small: Decodable { let name: String; let samples: [Sample]; let expected: Expected }
    struct Moderate: Decodable {
        let name: String
        let samples: [Sample]
        let ks: [Int]
        let majorityVote: [Double]
        let bestOfN: [Double]
    }
    let small: [Small]
    let moderate: [Moderate]
}

// MARK: scaling_fit.json

struct ScalingFitFixture: Decodable {
    struct Case: Decodable {
        let name: String
        let ks: [Double]
        let coverage: [Double]
        let a: Double
        let b: Double
        let sse: Double
        let rSquared: Double
        let rmse: Double
        let samplesNeeded: [String: Double?]
        let problems: [SampleCounts]?
    }
    let cases: [Case]
}

// MARK: bootstrap.json

struct BootstrapFixture: Decodable {
    struct Case: Decodable {
        let name: String
        let values: [Double]
        let mean: Double
        let lower: Double
        let upper: Double
        let endpointStandardError1000: Double
    }
    let confidence: Double
    let cases: [Case]
}

// MARK: cost.json

struct CostFixture: Decodable {
    struct Price: Decodable { let prompt: Double; let completion: Double }
    struct Case: Decodable {
        let name: String
        let parameters: Double
        let layers: Int
        let width: Int
        let contextLength: Int
        let flopsPerToken: Double
        let flops: Double
        let dollarsPerCompletionBilling: Double
        let dollarsPerProblemBilling: Double
    }
    let usage: [ProblemUsage]
    let price: Price
    let cases: [Case]
}

/// `|actual - expected| <= absolute + relative·|expected|`.
func isClose(_ actual: Double, _ expected: Double, relative: Double = 1e-12, absolute: Double = 1e-12) -> Bool {
    abs(actual - expected) <= absolute + relative * abs(expected)
}
