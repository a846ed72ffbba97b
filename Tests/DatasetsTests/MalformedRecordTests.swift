import Datasets
import Foundation
import ScalingCore
import Testing

/// Bad input gives an error naming the file, the record and the field, with a hint;
/// `skipInvalid` steps over bad records and counts them.
@Suite struct MalformedRecordTests {
    let gsm8kLine = #"{"question": "What is 2 + 2?", "answer": "2 + 2 = 4\n#### 4"}"#

    /// The error `load` throws for `text`, or a test failure when it loads.
    func loadError(_ text: String, source: String = "bad.jsonl", format: DatasetFormat? = nil) -> DatasetError? {
        loadError(bytes: DatasetTestFiles.bytes(text), source: source, format: format)
    }

    func loadError(bytes: [UInt8], source: String = "bad.jsonl", format: DatasetFormat? = nil) -> DatasetError? {
        do {
            let dataset = try Dataset.load(bytes: bytes, source: source, format: format)
            Issue.record("expected an error, loaded \(dataset.problems.count) problems")
            return nil
        } catch {
            return error
        }
    }

    @Test func badJSONNamesFileAndLine() throws {
        let error = try #require(loadError(gsm8kLine + "\n" + #"{"question": "x", "answer": }"# + "\n"))
        #expect(error == .badJSON(path: "bad.jsonl", location: .line(2), reason: "column 29: expected a value, found `}`"))
        #expect(error.description.hasPrefix("bad.jsonl:line 2: not valid JSON: column 29: expected a value, found `}`"))
        #expect(error.description.contains("--skip-invalid"))
    }

    @Test func missingFieldNamesTheField() throws {
        let error = try #require(loadError(gsm8kLine + "\n" + #####"{"question": "How many?", "answr": "#### 3"}"#####, format: .gsm8k))
        #expect(error == .missingField(path: "bad.jsonl", location: .line(2), field: "answer", format: .gsm8k))
        #expect(error.message == "bad.jsonl:line 2: field `answer` is missing (needed by the gsm8k format)")
    }

    @Test func wrongTypeNamesExpectedAndFound() throws {
        let error = try #require(loadError(gsm8kLine + "\n" + #####"{"question": 7, "answer": "#### 3"}"#####))
        #expect(error == .wrongType(path: "bad.jsonl", location: .line(2), field: "question", expected: "a string", found: "a number"))
        #expect(error.message == "bad.jsonl:line 2: field `question` should be a string, found a number")
    }

    @Test func wrongTypeInsideAnArrayNamesTheElement() throws {
        let record = #"{"task_id": 3, "text": "Add.", "test_list": ["assert add(1, 2) == 3", 5]}"#
        let error = try #require(loadError(record))
        #expect(error == .wrongType(path: "bad.jsonl", location: .line(1), field: "test_list[1]", expected: "a string", found: "a number"))
    }

    @Test(arguments: ["", "\n\n  \n", "[]", "[ ]\n"])
    func emptyFileSaysItIsEmpty(text: String) throws {
        let error = try #require(loadError(text, source: "empty.jsonl"))
        #expect(error == .emptyFile(path: "empty.jsonl"))
        #expect(error.message == "empty.jsonl: the file is empty (no records)")
    }

    @Test func nonUTF8NamesLineAndByteOffset() throws {
        // Line 2 holds a Latin-1 "é" (0xE9) where UTF-8 needs two bytes.
        let first = DatasetTestFiles.bytes(gsm8kLine + "\n")
        let second = DatasetTestFiles.bytes(#"{"question": "Caf"#) + [0xE9] + DatasetTestFiles.bytes(#####"?", "answer": "#### 1"}"#####)
        let error = try #require(loadError(bytes: first + second))
        let offset = first.count + #"{"question": "Caf"#.utf8.count
        #expect(error == .invalidUTF8(path: "bad.jsonl", line: 2, byteOffset: offset))
        #expect(error.message.contains("line 2") && error.message.contains("byte offset \(offset)"))
    }

    @Test func nonUTF8InAJSONArrayNamesItsLine() throws {
        let bytes = DatasetTestFiles.bytes("[\n" + gsm8kLine + ",\n") + [0xFF] + DatasetTestFiles.bytes("\n]")
        let error = try #require(loadError(bytes: bytes, source: "bad.json"))
        #expect(error == .invalidUTF8(path: "bad.json", line: 3, byteOffset: bytes.count - 3))
    }

    @Test func badElementOfAJSONArrayNamesItsIndex() throws {
        let text = "[" + gsm8kLine + ", " + #"{"question": "Q", "answer": "no marker"}"# + "]"
        let error = try #require(loadError(text, source: "set.json"))
        #expect(error == .invalidValue(path: "set.json", location: .arrayIndex(1), field: "answer", reason: "no `####` before the final answer"))
        #expect(error.message.hasPrefix("set.json:array index 1: field `answer`"))
    }

    @Test func truncatedJSONArrayIsBadJSON() throws {
        let error = try #require(loadError("[" + gsm8kLine + ",", source: "set.json"))
        guard case .badJSON(path: "set.json", location: .line(1), let reason) = error else {
            Issue.record("wrong case: \(error)"); return
        }
        #expect(reason.contains("one JSON array"))
    }

    @Test func trailingCommaIsBadJSON() throws {
        let error = try #require(loadError(#"{"id": "a", "prompt": "p",}"#))
        #expect(error == .badJSON(path: "bad.jsonl", location: .line(1), reason: "column 27: expected a member name in double quotes, found `}`"))
    }

    @Test func textAfterTheRecordIsBadJSON() throws {
        let error = try #require(loadError(#"{"id": "a", "prompt": "p"} {"id": "b"}"#))
        #expect(error == .badJSON(path: "bad.jsonl", location: .line(1), reason: "column 28: unexpected `{` after the end of the JSON value"))
    }

    @Test func deepNestingIsAnErrorNotACrash() throws {
        let nested = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let error = try #require(loadError(#"{"id": "a", "prompt": "p", "metadata": {"deep": "# + nested + "}}"))
        guard case .badJSON(_, .line(1), let reason) = error else { Issue.record("wrong case: \(error)"); return }
        #expect(reason.contains("nesting deeper than 512 levels"))
    }

    @Test func badJSONInsideAnArrayFileNamesItsLine() throws {
        let text = "[\n" + gsm8kLine + ",\n" + #"{"question": "Q" "answer": "A"}"# + "\n]\n"
        let error = try #require(loadError(text, source: "set.json"))
        guard case .badJSON("set.json", .line(3), let reason) = error else { Issue.record("wrong case: \(error)"); return }
        #expect(reason.hasPrefix("column 18: expected `,` or `}` after member \"question\", found `\"`"))
    }

    @Test func recordThatIsNotAnObject() throws {
        let error = try #require(loadError(gsm8kLine + "\n[1, 2]\n"))
        #expect(error == .notAnObject(path: "bad.jsonl", location: .line(2), found: "an array"))
    }

    @Test func unknownShapeListsKnownFormatsAndTheirFields() throws {
        let error = try #require(loadError(#"{"query": "2+2?", "label": "4"}"#))
        #expect(error == .unknownFormat(path: "bad.jsonl", location: .line(1), fields: ["label", "query"]))
        for format in DatasetFormat.allCases {
            #expect(error.hint.contains(format.name))
        }
        #expect(error.hint.contains("`question`, `answer`"))
        #expect(error.hint.contains("--format"))
    }

    @Test func skipInvalidCountsSkippedRecordsAndKeepsIds() throws {
        let text = [
            gsm8kLine,
            #####"{"question": "broken", "answer": "#### 5""#####,                 // bad JSON
            #####"{"question": "Q3", "answer": "#### 1,234"}"#####,
            #####"{"question": ["not text"], "answer": "#### 5"}"#####,              // wrong type
            "",
            #####"{"question": "Q6", "answer": "#### -7"}"#####,
        ].joined(separator: "\n")
        let latin1Line: [UInt8] = DatasetTestFiles.bytes("\n{\"question\": \"Caf") + [0xE9] + DatasetTestFiles.bytes("\", \"answer\": \"#### 2\"}")
        let dataset = try Dataset.load(bytes: DatasetTestFiles.bytes(text) + latin1Line, source: "data/test.jsonl", skipInvalid: true)
        #expect(dataset.problems.map(\.id) == ["gsm8k/test/0", "gsm8k/test/2", "gsm8k/test/4"])
        #expect(dataset.problems.map(\.reference.answer) == ["4", "1234", "-7"])
        #expect(dataset.skipped.count == 3)
        #expect(dataset.skipped.map(\.message).allSatisfy { $0.hasPrefix("data/test.jsonl:line ") })
        if case .invalidUTF8(_, line: 7, _) = dataset.skipped.last {} else { Issue.record("line 7 should be skipped as non-UTF-8") }
        #expect(dataset.inspectionReport().contains("skipped:  3 invalid records"))
    }

    @Test func skipInvalidWithNothingValidSaysSo() throws {
        do {
            _ = try Dataset.load(bytes: DatasetTestFiles.bytes("{\n{\n"), source: "x.jsonl", skipInvalid: true)
            Issue.record("expected an error")
        } catch {
            guard case .noValidRecords(path: "x.jsonl", skipped: 2, _) = error else {
                Issue.record("wrong case: \(error)"); return
            }
        }
    }

    @Test func duplicateIdsAreRejected() throws {
        let text = #"{"id": "a", "prompt": "p"}"# + "\n" + #"{"id": "a", "prompt": "q"}"#
        let error = try #require(loadError(text))
        #expect(error == .duplicateID(path: "bad.jsonl", location: .line(2), id: "a", first: .line(1)))
    }

    @Test func arcAnswerKeyMustBeOneOfTheLabels() throws {
        let text = #"{"id": "q1", "question": {"stem": "Pick.", "choices": [{"text": "x", "label": "A"}, {"text": "y", "label": "B"}]}, "answerKey": "C"}"#
        let error = try #require(loadError(text))
        #expect(error == .invalidValue(path: "bad.jsonl", location: .line(1), field: "answerKey", reason: "`C` is not one of the labels A, B"))
    }

    @Test func forcedFormatReportsFieldsThatFormatNeeds() throws {
        let error = try #require(loadError(gsm8kLine, format: .quorum))
        // `answer` is a Quorum field too; `question` is not.
        #expect(error == .unknownField(path: "bad.jsonl", location: .line(1), field: "question"))
        #expect(error.hint.contains("metadata"))
    }

    @Test func truncatedGzipIsReported() throws {
        let path = DatasetTestFiles.fixture("truncated.jsonl.gz")
        do {
            _ = try Dataset.load(path: path)
            Issue.record("expected an error")
        } catch {
            guard case .badGzip(path: path, _) = error else { Issue.record("wrong case: \(error)"); return }
            #expect(error.message.hasPrefix(path + ": starts like gzip"))
        }
    }

    @Test func missingFileAndDirectory() throws {
        #expect(throws: DatasetError.fileNotFound(path: "/nonexistent/x.jsonl")) {
            try Dataset.load(path: "/nonexistent/x.jsonl")
        }
        #expect(throws: DatasetError.unreadable(path: NSTemporaryDirectory(), reason: "it is a directory")) {
            try Dataset.load(path: NSTemporaryDirectory())
        }
    }
}
