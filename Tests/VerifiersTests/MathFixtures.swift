import Foundation
import Testing

/// Reads the committed math fixtures (Tests/Fixtures/math) and the shared benchmark data.
enum MathFixtures {
    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/math")

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
        try decodeLines(try dataFolder().appendingPathComponent(path), as: type)
    }

    static func decodeLines<T: Decodable>(_ url: URL, as type: T.Type) throws -> [T] {
        let text = try String(contentsOf: url, encoding: .utf8)
        return try text.split(separator: "\n").filter { !$0.isEmpty }.map {
            try JSONDecoder().decode(T.self, from: Data($0.utf8))
        }
    }

    /// The shared benchmark data folder: `$QUORUM_DATA`, else `<package root>/../shared/data`
    /// (or two levels up, for a git worktree).
    static func dataFolder() throws -> URL {
        if let env = ProcessInfo.processInfo.environment["QUORUM_DATA"] { return URL(fileURLWithPath: env) }
        let root = fixtures.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for up in ["../shared/data", "../../shared/data"] {
            let url = root.appendingPathComponent(up).standardizedFileURL
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("math500").path) { return url }
        }
        throw DataMissing(searched: root.path)
    }

    struct DataMissing: Error, CustomStringConvertible {
        let searched: String
        var description: String {
            "benchmark data not found next to \(searched) (looked for ../shared/data and ../../shared/data): set QUORUM_DATA to the shared/data folder"
        }
    }
}
