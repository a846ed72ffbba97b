import Datasets
import Foundation
import ScalingCore
import Testing

/// Quorum's own task format, as docs/DATA_FORMAT.md documents it (tasks.jsonl is the
/// documentation's example file).
@Suite struct QuorumTaskFormatTests {
    func expectedProblems() -> [Problem] {
        let fibHeader = "def fib(n):\n    \"\"\"Return the n-th Fibonacci number (fib(0) == 0).\"\"\"\n"
        return [
            Problem(id: "capital-fr", prompt: .text("What is the capital of France?"),
                    reference: ProblemReference(answer: "Paris"), metadata: ["topic": .string("geography")]),
            Problem(id: "sum-17-25",
                    prompt: .messages([ChatMessage(role: "system", content: "Answer with a number."),
                                       ChatMessage(role: "user", content: "What is 17 + 25?")]),
                    reference: ProblemReference(answer: "42")),
            Problem(id: "add", prompt: .text("Write a Python function add(a, b) that returns a + b."),
                    reference: ProblemReference(tests: CodeTests(
                        tests: "assert add(1, 2) == 3\nassert add(-1, 1) == 0\n",
                        testCases: ["assert add(1, 2) == 3", "assert add(-1, 1) == 0"]))),
            Problem(id: "fib", prompt: .text(fibHeader),
                    reference: ProblemReference(tests: CodeTests(
                        solutionPrefix: fibHeader, setup: "import sys",
                        tests: "assert fib(0) == 0\nassert fib(10) == 55\n",
                        testCases: ["assert fib(0) == 0", "assert fib(10) == 55"], entryPoint: "fib"))),
        ]
    }

    @Test func documentedExampleLoads() throws {
        let dataset = try Dataset.load(path: DatasetTestFiles.fixture("tasks.jsonl"))
        #expect(dataset.format == .quorum)
        #expect(dataset.problems == expectedProblems())
        #expect(dataset.fieldNames == ["answer", "id", "messages", "metadata", "prompt", "tests"])
    }

    @Test func gzippedCopyLoadsTheSame() throws {
        let dataset = try Dataset.load(path: DatasetTestFiles.fixture("tasks.jsonl.gz"))
        #expect(dataset.compressed)
        #expect(dataset.problems == expectedProblems())
    }

    @Test func gzipMembersConcatenate() throws {
        let gz = try [UInt8](Data(contentsOf: URL(fileURLWithPath: DatasetTestFiles.fixture("tasks.jsonl.gz"))))
        // `cat a.gz a.gz` is a valid gzip file holding the text twice; the second
        // copy repeats every id, so each of its records is a skipped duplicate.
        let dataset = try Dataset.load(bytes: gz + gz, source: "twice.jsonl.gz", skipInvalid: true)
        #expect(dataset.problems == expectedProblems())
        #expect(dataset.skipped.count == 4)
        #expect(dataset.skipped.allSatisfy { if case .duplicateID = $0 { true } else { false } })
    }

    @Test func answerNumbersKeepTheirShortestForm() throws {
        let text = #"{"id": 1, "prompt": "p", "answer": 0.5}"# + "\n" + #"{"id": 2, "prompt": "p", "answer": -3}"#
        let dataset = try Dataset.load(bytes: DatasetTestFiles.bytes(text), source: "t.jsonl")
        #expect(dataset.problems.map(\.id) == ["1", "2"])
        #expect(dataset.problems.map(\.reference.answer) == ["0.5", "-3"])
    }

    /// JSON escapes decode per RFC 8259 (`\u00e9` is é; a surrogate pair is one emoji).
    @Test func jsonEscapesDecode() throws {
        let text = #"{"id": "e", "prompt": "caf\u00e9 \ud83d\ude00 \"q\" \\ \/ \t\n", "metadata": {"n": [1.5e2, -0, true, null]}}"#
        let problem = try #require(try Dataset.load(bytes: DatasetTestFiles.bytes(text), source: "t.jsonl").problems.first)
        #expect(problem.prompt == .text("caf\u{E9} \u{1F600} \"q\" \\ / \t\n"))
        #expect(problem.metadata["n"] == .array([.number(150), .number(0), .bool(true), .null]))
    }

    @Test func promptAndMessagesTogetherIsAnError() throws {
        let text = #"{"id": "x", "prompt": "p", "messages": [{"role": "user", "content": "c"}]}"#
        #expect(throws: DatasetError.invalidValue(path: "t.jsonl", location: .line(1), field: "messages", reason: "give `prompt` or `messages`, not both")) {
            try Dataset.load(bytes: DatasetTestFiles.bytes(text), source: "t.jsonl")
        }
    }

    @Test func messageWithoutContentNamesTheMessage() throws {
        let text = #"{"id": "x", "messages": [{"role": "user", "content": "c"}, {"role": "assistant"}]}"#
        #expect(throws: DatasetError.invalidValue(path: "t.jsonl", location: .line(1), field: "messages[1]", reason: "no `content`")) {
            try Dataset.load(bytes: DatasetTestFiles.bytes(text), source: "t.jsonl")
        }
    }

    @Test func misspelledFieldIsNotDroppedSilently() throws {
        let text = #"{"id": "x", "prompt": "p", "anwser": "4"}"#
        #expect(throws: DatasetError.unknownField(path: "t.jsonl", location: .line(1), field: "anwser")) {
            try Dataset.load(bytes: DatasetTestFiles.bytes(text), source: "t.jsonl")
        }
    }

    @Test func metadataMustBeAnObject() throws {
        let text = #"{"id": "x", "prompt": "p", "metadata": "easy"}"#
        #expect(throws: DatasetError.wrongType(path: "t.jsonl", location: .line(1), field: "metadata", expected: "an object", found: "a string")) {
            try Dataset.load(bytes: DatasetTestFiles.bytes(text), source: "t.jsonl")
        }
    }

    /// A problem survives a round trip through its Codable form (what run stores keep).
    @Test func problemsRoundTripThroughJSON() throws {
        let problems = expectedProblems()
        let data = try JSONEncoder().encode(problems)
        #expect(try JSONDecoder().decode([Problem].self, from: data) == problems)
    }
}
