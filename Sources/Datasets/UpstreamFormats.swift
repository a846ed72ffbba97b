import ScalingCore

/// The mappings from each upstream benchmark's records into `Problem`.
///
/// Prompts hold the natural task text only, plus what a model cannot answer without
/// (ARC's lettered choices, MBPP's asserts that name the function); no instructions or
/// few-shot templates. Structured parts stay apart in `reference` and `metadata` so
/// prompt templates can format them their own way. docs/DATA_FORMAT.md lists each
/// mapping field by field.
enum UpstreamFormats {
    /// GSM8K: the gold answer is the text after the last `####` of `answer`, with
    /// thousands separators removed (the data set's README rule); the rest is the
    /// worked solution. GSM8K has no ids: `gsm8k/<file stem>/<record index>`.
    static func gsm8k(_ record: RecordFields, ordinal: Int, stem: String) throws(DatasetError) -> Problem {
        let question = try record.string("question")
        let answer = try record.string("answer")
        guard let marker = lastMarker(in: answer) else {
            throw record.invalid("answer", "no `####` before the final answer")
        }
        let final = String(trimmed(answer[marker.upperBound...]).filter { $0 != "," })
        guard !final.isEmpty else { throw record.invalid("answer", "nothing after the last `####`") }
        let solution = String(trimmed(answer[..<marker.lowerBound]))
        return Problem(
            id: "gsm8k/\(stem)/\(ordinal)",
            prompt: .text(question),
            reference: ProblemReference(answer: final),
            metadata: ["solution": .string(solution)])
    }

    /// The range of the last `####` in `text`, found by a backward scan of its UTF-8
    /// (Foundation's `range(of:options:)` bridges through NSString and dominated the
    /// GSM8K load time).
    private static func lastMarker(in text: String) -> Range<String.Index>? {
        let utf8 = text.utf8
        var run = 0
        var index = utf8.endIndex
        while index > utf8.startIndex {
            utf8.formIndex(before: &index)
            run = utf8[index] == UInt8(ascii: "#") ? run + 1 : 0
            if run == 4 { return index..<utf8.index(index, offsetBy: 4) }
        }
        return nil
    }

    /// `text` without leading and trailing whitespace (as Python's `str.strip()`).
    private static func trimmed(_ text: Substring) -> Substring {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return text[first...last]
    }

    /// MATH / MATH-500: `unique_id` (`test/precalculus/807.json`) is the id.
    static func math(_ record: RecordFields) throws(DatasetError) -> Problem {
        var metadata: [String: JSONValue] = [:]
        if let solution = try record.optionalString("solution") { metadata["solution"] = .string(solution) }
        if let subject = try record.optionalString("subject") { metadata["subject"] = .string(subject) }
        if record.has("level") {
            let level = try record.value("level")
            guard level.numberValue != nil else { throw record.wrongType("level", "a number", level) }
            metadata["level"] = level
        }
        return Problem(
            id: try record.string("unique_id"),
            prompt: .text(try record.string("problem")),
            reference: ProblemReference(answer: try record.string("answer")),
            metadata: metadata)
    }

    /// HumanEval: the model continues `prompt`; the program is `prompt + completion`,
    /// then `test`, then `check(entry_point)` (the data set's README rule).
    static func humaneval(_ record: RecordFields) throws(DatasetError) -> Problem {
        let prompt = try record.string("prompt")
        let entryPoint = try record.string("entry_point")
        let tests = CodeTests(
            solutionPrefix: prompt,
            tests: try record.string("test") + "\ncheck(\(entryPoint))\n",
            entryPoint: entryPoint)
        var metadata: [String: JSONValue] = ["entry_point": .string(entryPoint)]
        if let solution = try record.optionalString("canonical_solution") {
            metadata["canonical_solution"] = .string(solution)
        }
        return Problem(
            id: try record.string("task_id"),
            prompt: .text(prompt),
            reference: ProblemReference(tests: tests),
            metadata: metadata)
    }

    /// MBPP, full release: the statement is `text`; `test_setup_code` runs before the asserts.
    static func mbpp(_ record: RecordFields) throws(DatasetError) -> Problem {
        let taskID = try record.identifier("task_id")
        let statement = try record.string("text")
        let testCases = try record.strings("test_list")
        var metadata = try mbppMetadata(record, taskID: taskID, statement: statement)
        metadata["challenge_test_list"] = .array(try record.optionalStrings("challenge_test_list").map(JSONValue.string))
        return Problem(
            id: "mbpp/\(taskID)",
            prompt: .text(mbppPrompt(statement, testCases)),
            reference: ProblemReference(tests: CodeTests(
                setup: try record.optionalString("test_setup_code") ?? "",
                tests: testCases.joined(separator: "\n") + "\n",
                testCases: testCases)),
            metadata: metadata)
    }

    /// MBPP, sanitized release: the statement is `prompt`; `test_imports` are the setup.
    static func mbppSanitized(_ record: RecordFields) throws(DatasetError) -> Problem {
        let taskID = try record.identifier("task_id")
        let statement = try record.string("prompt")
        let testCases = try record.strings("test_list")
        let imports = try record.optionalStrings("test_imports")
        var metadata = try mbppMetadata(record, taskID: taskID, statement: statement)
        if let source = try record.optionalString("source_file") { metadata["source_file"] = .string(source) }
        return Problem(
            id: "mbpp/\(taskID)",
            prompt: .text(mbppPrompt(statement, testCases)),
            reference: ProblemReference(tests: CodeTests(
                setup: imports.isEmpty ? "" : imports.joined(separator: "\n") + "\n",
                tests: testCases.joined(separator: "\n") + "\n",
                testCases: testCases)),
            metadata: metadata)
    }

    /// MBPP's statement alone does not name the function the asserts call, so the
    /// prompt shows the asserts, as the MBPP paper's prompts do.
    private static func mbppPrompt(_ statement: String, _ testCases: [String]) -> String {
        statement + "\nYour code should pass these tests:\n" + testCases.joined(separator: "\n")
    }

    /// Metadata both MBPP releases share: the bare statement (for templates that show
    /// tests their own way), the reference code, and the upstream split of the task id.
    private static func mbppMetadata(_ record: RecordFields, taskID: String, statement: String) throws(DatasetError) -> [String: JSONValue] {
        var metadata: [String: JSONValue] = ["statement": .string(statement)]
        if let code = try record.optionalString("code") { metadata["code"] = .string(code) }
        if let number = Int(taskID) { metadata["split"] = .string(mbppSplit(taskID: number)) }
        return metadata
    }

    /// MBPP's upstream split by task id: 1-10 few-shot prompts, 11-510 test,
    /// 511-600 validation, 601-974 train (mbpp/UPSTREAM_README.md).
    static func mbppSplit(taskID: Int) -> String {
        switch taskID {
        case ...10: "prompt"
        case 11...510: "test"
        case 511...600: "validation"
        default: "train"
        }
    }

    /// ARC: the prompt is the stem followed by one `LABEL. text` line per choice (a
    /// multiple-choice question cannot be answered without them); `answerKey` must be
    /// one of the record's own labels (a few rows use `1`-`4`, a few have 3 or 5 choices).
    static func arc(_ record: RecordFields) throws(DatasetError) -> Problem {
        let question = try record.value("question")
        guard let questionObject = question.objectValue else {
            throw record.wrongType("question", "an object with `stem` and `choices`", question)
        }
        guard let stemValue = questionObject["stem"] else {
            throw record.invalid("question", "no `stem`")
        }
        guard let stem = stemValue.stringValue else {
            throw record.wrongType("question.stem", "a string", stemValue)
        }
        guard let choicesValue = questionObject["choices"] else {
            throw record.invalid("question", "no `choices`")
        }
        guard let choiceValues = choicesValue.arrayValue, !choiceValues.isEmpty else {
            throw record.wrongType("question.choices", "a non-empty array", choicesValue)
        }
        var choices: [(label: String, text: String)] = []
        for (index, choice) in choiceValues.enumerated() {
            let field = "question.choices[\(index)]"
            guard let object = choice.objectValue else {
                throw record.wrongType(field, "an object with `label` and `text`", choice)
            }
            guard let label = object["label"]?.stringValue, let text = object["text"]?.stringValue else {
                throw record.invalid(field, "needs string `label` and `text`")
            }
            choices.append((label, text))
        }
        let answerKey = try record.string("answerKey")
        guard choices.contains(where: { $0.label == answerKey }) else {
            throw record.invalid("answerKey", "`\(answerKey)` is not one of the labels \(choices.map(\.label).joined(separator: ", "))")
        }
        let listing = choices.map { "\($0.label). \($0.text)" }.joined(separator: "\n")
        return Problem(
            id: try record.identifier("id"),
            prompt: .text(stem + "\n" + listing),
            reference: ProblemReference(answer: answerKey),
            metadata: [
                "question": .string(stem),
                "choices": .array(choices.map { .object(["label": .string($0.label), "text": .string($0.text)]) }),
            ])
    }
}
