import ScalingCore

/// Quorum's own JSONL task format (docs/DATA_FORMAT.md), for users' tasks.
///
/// ```json
/// {"id": "capital-fr", "prompt": "What is the capital of France?", "answer": "Paris"}
/// {"id": "add", "messages": [{"role": "user", "content": "Write add(a, b)."}],
///  "tests": ["assert add(1, 2) == 3"], "metadata": {"topic": "python"}}
/// ```
/// Unknown top-level fields are errors (a typo like `anwser` would otherwise drop the
/// reference silently); free fields go under `metadata`.
public enum QuorumTaskFormat {
    /// The top-level fields a task record may have.
    public static let topLevelFields = ["id", "prompt", "messages", "answer", "tests", "metadata"]

    /// The fields a `tests` object may have.
    public static let testsFields = ["tests", "test_cases", "setup", "solution_prefix", "entry_point", "language"]

    static func problem(_ record: RecordFields) throws(DatasetError) -> Problem {
        for field in record.object.keys.sorted() where !topLevelFields.contains(field) {
            throw .unknownField(path: record.path, location: record.location, field: field)
        }
        let id = try record.identifier("id")
        guard !id.isEmpty else { throw record.invalid("id", "must not be empty") }
        return Problem(
            id: id,
            prompt: try prompt(record),
            reference: ProblemReference(answer: try answer(record), tests: try tests(record)),
            metadata: try metadata(record))
    }

    /// `prompt` (a string) or `messages` (`[{role, content}]`), exactly one of them.
    private static func prompt(_ record: RecordFields) throws(DatasetError) -> ProblemPrompt {
        switch (record.has("prompt"), record.has("messages")) {
        case (true, true):
            throw record.invalid("messages", "give `prompt` or `messages`, not both")
        case (false, false):
            throw .missingField(path: record.path, location: record.location, field: "prompt", format: .quorum)
        case (true, false):
            return .text(try record.string("prompt"))
        case (false, true):
            let value = try record.value("messages")
            guard let elements = value.arrayValue, !elements.isEmpty else {
                throw record.wrongType("messages", "a non-empty array of {role, content} objects", value)
            }
            var messages: [ChatMessage] = []
            for (index, element) in elements.enumerated() {
                let field = "messages[\(index)]"
                guard let object = element.objectValue else {
                    throw record.wrongType(field, "an object with `role` and `content`", element)
                }
                for key in ["role", "content"] {
                    guard let member = object[key] else { throw record.invalid(field, "no `\(key)`") }
                    guard member.stringValue != nil else { throw record.wrongType("\(field).\(key)", "a string", member) }
                }
                messages.append(ChatMessage(role: object["role"]!.stringValue!, content: object["content"]!.stringValue!))
            }
            return .messages(messages)
        }
    }

    /// `answer`: a string, or a number written as JSON (kept in its shortest form: `42`, `0.5`).
    private static func answer(_ record: RecordFields) throws(DatasetError) -> String? {
        guard record.has("answer") else { return nil }
        let value = try record.value("answer")
        switch value {
        case .string(let s):
            return s
        case .number(let n):
            return n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n)
        default:
            throw record.wrongType("answer", "a string or a number", value)
        }
    }

    /// `tests`: a string (one test program), an array of strings (test cases, run in
    /// order), or an object with the fields of `CodeTests` in snake case.
    private static func tests(_ record: RecordFields) throws(DatasetError) -> CodeTests? {
        guard record.has("tests") else { return nil }
        let value = try record.value("tests")
        switch value {
        case .string(let program):
            return CodeTests(tests: program)
        case .array:
            let cases = try record.strings("tests")
            return CodeTests(tests: cases.joined(separator: "\n") + "\n", testCases: cases)
        case .object(let object):
            for key in object.keys.sorted() where !testsFields.contains(key) {
                throw record.invalid("tests", "unknown field `\(key)` (known: \(testsFields.joined(separator: ", ")))")
            }
            func string(_ key: String) throws(DatasetError) -> String? {
                guard let member = object[key], member != .null else { return nil }
                guard let s = member.stringValue else { throw record.wrongType("tests.\(key)", "a string", member) }
                return s
            }
            var cases: [String] = []
            if let member = object["test_cases"], member != .null {
                guard let elements = member.arrayValue else {
                    throw record.wrongType("tests.test_cases", "an array of strings", member)
                }
                for (index, element) in elements.enumerated() {
                    guard let s = element.stringValue else {
                        throw record.wrongType("tests.test_cases[\(index)]", "a string", element)
                    }
                    cases.append(s)
                }
            }
            let program: String
            if let given = try string("tests") {
                program = given
            } else if !cases.isEmpty {
                program = cases.joined(separator: "\n") + "\n"
            } else {
                throw record.invalid("tests", "needs `tests` (a program) or `test_cases`")
            }
            return CodeTests(
                language: try string("language") ?? "python",
                solutionPrefix: try string("solution_prefix") ?? "",
                setup: try string("setup") ?? "",
                tests: program,
                testCases: cases,
                entryPoint: try string("entry_point"))
        default:
            throw record.wrongType("tests", "a string, an array of strings or an object", value)
        }
    }

    /// `metadata`: any JSON object, carried as is.
    private static func metadata(_ record: RecordFields) throws(DatasetError) -> [String: JSONValue] {
        guard record.has("metadata") else { return [:] }
        let value = try record.value("metadata")
        guard let object = value.objectValue else { throw record.wrongType("metadata", "an object", value) }
        return object
    }
}
