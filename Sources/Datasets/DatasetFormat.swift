/// The record shapes Quorum reads, each mapped into `ScalingCore.Problem`.
///
/// docs/DATA_FORMAT.md gives each format's fields and its mapping.
public enum DatasetFormat: String, CaseIterable, Sendable, Hashable, Codable {
    /// GSM8K: `question`, `answer` ending in `#### N`.
    case gsm8k
    /// MATH / MATH-500: `problem`, `answer`, `unique_id` (+ `solution`, `subject`, `level`).
    case math
    /// HumanEval: `task_id`, `prompt`, `test`, `entry_point` (+ `canonical_solution`).
    case humaneval
    /// MBPP full release: `task_id`, `text`, `test_list` (+ `code`, `test_setup_code`, `challenge_test_list`).
    case mbpp
    /// MBPP sanitized release: `task_id`, `prompt`, `test_list` (+ `code`, `test_imports`, `source_file`).
    case mbppSanitized = "mbpp-sanitized"
    /// AI2 ARC (Challenge or Easy): `id`, `question{stem, choices[{text, label}]}`, `answerKey`.
    case arc
    /// Quorum's own task format: `id`, `prompt` or `messages`, optional `answer`, `tests`, `metadata`.
    case quorum

    /// The name used by `--format` and in messages.
    public var name: String { rawValue }

    /// The top-level fields whose presence identifies the format (and that it requires).
    public var requiredFields: [String] {
        switch self {
        case .gsm8k: ["question", "answer"]
        case .math: ["problem", "answer", "unique_id"]
        case .humaneval: ["task_id", "prompt", "test", "entry_point"]
        case .mbpp: ["task_id", "text", "test_list"]
        case .mbppSanitized: ["task_id", "prompt", "test_list"]
        case .arc: ["id", "question", "answerKey"]
        case .quorum: ["id", "prompt|messages"]
        }
    }

    /// The required fields as one readable line, for the unknown-format hint.
    public var signature: String {
        requiredFields.map { $0.replacingOccurrences(of: "|", with: "` or `") }
            .map { "`\($0)`" }.joined(separator: ", ")
    }

    /// The format a record's field names identify, or nil.
    ///
    /// Formats are tried from the most specific signature to the least, so a record
    /// matching several (a HumanEval record also has `task_id` and `prompt`, like
    /// sanitized MBPP) gets the one that needs the most of its fields.
    public static func detect(fields: Set<String>) -> DatasetFormat? {
        let order: [DatasetFormat] = [.humaneval, .math, .mbpp, .mbppSanitized, .arc, .gsm8k, .quorum]
        return order.first { format in
            format.requiredFields.allSatisfy { required in
                required.split(separator: "|").contains { fields.contains(String($0)) }
            }
        }
    }
}

/// How a file's records are stored.
public enum DatasetContainer: String, Sendable, Hashable, Codable {
    /// One JSON value per line; blank lines are skipped.
    case jsonLines = "JSONL"
    /// One JSON array of records.
    case jsonArray = "JSON array"
}
