import Foundation
import ScalingCore

/// One sample produced elsewhere: which problem it answers and what the model wrote.
public struct ExternalSample: Sendable {
    public var problemID: String
    public var completion: String
    /// The line as read, so results can carry every original field.
    public var record: [String: JSONValue]
    /// 1-based line in the samples file.
    public var line: Int
}

/// A sample with its verdict.
public struct GradedSample: Sendable {
    public var sample: ExternalSample
    public var verdict: Verdict
}

/// Grades samples from any system against a data set (`quorum verify`).
///
/// The samples file is JSONL, one sample per line, naming its problem with `task_id`
/// (human-eval's format), `problem_id` or `id`, and its text with `completion`,
/// `solution` (EvalPlus) or `output`.
public enum SampleGrading {
    public static let problemFields = ["task_id", "problem_id", "id"]
    public static let completionFields = ["completion", "solution", "output"]

    /// Reads a samples file; every bad line is an error naming the line and the field.
    public static func readSamples(path: String) throws(ExperimentError) -> [ExternalSample] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .invalidArgument("Cannot read the samples file '\(path)'. Check the path.")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .invalidArgument("'\(path)' is not UTF-8 text. Samples are JSONL: one JSON object per line.")
        }
        var samples: [ExternalSample] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            let number = index + 1
            guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(line.utf8)), let object = value.objectValue else {
                throw .invalidArgument("\(path), line \(number): not a JSON object. Each line needs {\"task_id\": ..., \"completion\": ...}.")
            }
            guard let problem = problemFields.lazy.compactMap({ object[$0].flatMap(Self.idText) }).first else {
                throw .invalidArgument("\(path), line \(number): no problem id; give one of the fields \(problemFields.joined(separator: ", ")) (a string or integer).")
            }
            guard let completion = completionFields.lazy.compactMap({ object[$0]?.stringValue }).first else {
                throw .invalidArgument("\(path), line \(number): no completion; give one of the string fields \(completionFields.joined(separator: ", ")).")
            }
            samples.append(ExternalSample(problemID: problem, completion: completion, record: object, line: number))
        }
        guard !samples.isEmpty else { throw .invalidArgument("'\(path)' holds no samples.") }
        return samples
    }

    private static func idText(_ value: JSONValue) -> String? {
        switch value {
        case .string(let s): s
        case .number(let n) where n == n.rounded(): String(Int(n))
        default: nil
        }
    }

    /// Verifies every sample, `concurrency` at a time, in input order.
    ///
    /// - Throws: when a sample names a problem the data set does not have.
    public static func grade(_ samples: [ExternalSample], problems: [Problem], verifier: any Verifier,
                             concurrency: Int = 2) async throws -> [GradedSample] {
        let byID = Dictionary(problems.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for s in samples where byID[s.problemID] == nil {
            throw ExperimentError.invalidArgument(
                "Line \(s.line): problem '\(s.problemID)' is not in the data set (ids look like '\(problems.first?.id ?? "")'). Check that --dataset is the set these samples answer.")
        }
        var verdicts = [Verdict?](repeating: nil, count: samples.count)
        try await withThrowingTaskGroup(of: (Int, Verdict).self) { group in
            var next = 0
            func add() {
                let i = next
                next += 1
                let sample = samples[i]
                let problem = byID[sample.problemID]!
                group.addTask { (i, await verifier.verify(sample.completion, for: problem)) }
            }
            while next < min(max(1, concurrency), samples.count) { add() }
            while let (i, verdict) = try await group.next() {
                verdicts[i] = verdict
                if next < samples.count { add() }
            }
        }
        return zip(samples, verdicts).map { GradedSample(sample: $0, verdict: $1!) }
    }

    /// One results line: the sample's own fields plus `outcome`, `passed`, `extracted`, `detail`.
    public static func resultLine(_ graded: GradedSample) -> String {
        var object = graded.sample.record
        object["outcome"] = .string(graded.verdict.outcome.rawValue)
        object["passed"] = .bool(graded.verdict.isCorrect)
        object["extracted"] = graded.verdict.extracted.map(JSONValue.string) ?? .null
        object["detail"] = graded.verdict.detail.map(JSONValue.string) ?? .null
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(JSONValue.object(object))) ?? Data("{}".utf8), as: UTF8.self)
    }
}
