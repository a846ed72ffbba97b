import Foundation
import TestSupport
import Testing

/// Reads the committed math fixtures (Tests/Fixtures/math) and the shared benchmark data.
enum MathFixtures {
    static let fixtures = TestPaths.fixtures.appendingPathComponent("math")

    /// One hand-labelled pair of answer_pairs.jsonl.
    struct Pair: Decodable {
        let gold: String
        let candidate: String
        let equivalent: Bool
        let category: String
        let note: String
    }

    /// Math-Verify's verdict on one pair (answer_pairs.math_verify.jsonl, same order).
    struct ReferenceVerdict: Decodable {
        let index: Int
        let math_verify: Bool
    }

    /// One MATH-500 self-check row (math500_selfcheck.jsonl).
    struct SelfCheck: Decodable {
        let unique_id: String
        let gold: String
        let boxed: String?
        let math_verify: Bool
    }

    /// One MATH-500 gold re-rendered by SymPy (math500_rewrites.jsonl).
    struct Rewrite: Decodable {
        let unique_id: String
        let gold: String
        let rewrite: String?
        let math_verify: Bool
    }

    /// A MATH-500 record of the shared data (math500/test.jsonl).
    struct Math500Record: Decodable {
        let problem: String
        let solution: String
        let answer: String
        let unique_id: String
    }

    /// A GSM8K record of the shared data (gsm8k/test.jsonl).
    struct GSM8KRecord: Decodable {
        let question: String
        let answer: String
    }

    /// The records of a committed fixture file.
    static func jsonLines<T: Decodable>(_ name: String, as type: T.Type) throws -> [T] {
        try decodeLines(fixtures.appendingPathComponent(name), as: type)
    }

    /// The records of a shared benchmark file (`math500/test.jsonl`).
    static func dataRecords<T: Decodable>(_ path: String, as type: T.Type) throws -> [T] {
        try decodeLines(try TestPaths.sharedDataFile(path), as: type)
    }

    static func decodeLines<T: Decodable>(_ url: URL, as type: T.Type) throws -> [T] {
        let text = try String(contentsOf: url, encoding: .utf8)
        return try text.split(separator: "\n").filter { !$0.isEmpty }.map {
            try JSONDecoder().decode(T.self, from: Data($0.utf8))
        }
    }
}
