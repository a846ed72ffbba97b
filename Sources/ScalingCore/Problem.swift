/// One chat message, as OpenAI's API and the models' chat templates see it.
public struct ChatMessage: Codable, Sendable, Hashable {
    /// `system`, `user` or `assistant` (a template may accept others).
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// What the model is asked: raw text to continue, or a conversation to answer.
public enum ProblemPrompt: Sendable, Hashable {
    /// Text the model continues as is (HumanEval's function header, a few-shot prompt).
    case text(String)
    /// A conversation the model's chat template renders.
    case messages([ChatMessage])
}

extension ProblemPrompt: Codable {
    private enum CodingKeys: String, CodingKey { case text, messages }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let messages = try c.decodeIfPresent([ChatMessage].self, forKey: .messages) {
            self = .messages(messages)
        } else {
            self = .text(try c.decode(String.self, forKey: .text))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .text(let t): try c.encode(t, forKey: .text)
        case .messages(let m): try c.encode(m, forKey: .messages)
        }
    }
}

/// Tests that decide whether a generated program is right.
///
/// A candidate program is `solutionPrefix + completion` (HumanEval continues the
/// function header it was given; MBPP writes the whole function, so its prefix is
/// empty), then `setup`, then `tests`, run as one Python file in the sandbox.
public struct CodeTests: Codable, Sendable, Hashable {
    /// The language the tests are written in; only `python` is run today.
    public var language: String
    /// Code that stands before the model's completion in the program under test.
    public var solutionPrefix: String
    /// Imports and definitions the tests need (MBPP's `test_setup_code`/`test_imports`).
    public var setup: String
    /// The test program: asserts, or HumanEval's `check` definition followed by its call.
    public var tests: String
    /// The individual test cases when the data set lists them (MBPP's asserts), so a
    /// failure can name the first one that failed; empty when `tests` is one block.
    public var testCases: [String]
    /// The function under test (HumanEval's `entry_point`), when the data set names it.
    public var entryPoint: String?

    public init(language: String = "python", solutionPrefix: String = "", setup: String = "",
                tests: String, testCases: [String] = [], entryPoint: String? = nil) {
        self.language = language
        self.solutionPrefix = solutionPrefix
        self.setup = setup
        self.tests = tests
        self.testCases = testCases
        self.entryPoint = entryPoint
    }
}

/// What a sample is checked against: a final answer, tests, or both.
public struct ProblemReference: Codable, Sendable, Hashable {
    /// The gold final answer as the data set writes it (GSM8K's number after `####`,
    /// MATH's LaTeX, ARC's choice label).
    public var answer: String?
    /// Tests that a generated program must pass.
    public var tests: CodeTests?

    public init(answer: String? = nil, tests: CodeTests? = nil) {
        self.answer = answer
        self.tests = tests
    }
}

/// One task of a data set, in the one shape every loader produces and every
/// later stage (prompting, sampling, verifying, reporting) consumes.
public struct Problem: Codable, Sendable, Hashable, Identifiable {
    /// Stable id, unique within its data set (GSM8K has none upstream: `gsm8k/test/17`).
    public var id: String
    /// What the model is asked.
    public var prompt: ProblemPrompt
    /// What the answer is checked against.
    public var reference: ProblemReference
    /// Everything else the data set records (MATH's subject and level, ARC's choices,
    /// GSM8K's worked solution), kept for prompt templates and reports.
    public var metadata: [String: JSONValue]

    public init(id: String, prompt: ProblemPrompt, reference: ProblemReference,
                metadata: [String: JSONValue] = [:]) {
        self.id = id
        self.prompt = prompt
        self.reference = reference
        self.metadata = metadata
    }
}
