import Foundation
import ScalingCore

/// Turns a problem into what the model is asked, plus the stop strings that go with it.
///
/// Built-in templates (`PromptTemplate.builtIn`) cover each data set format; a user's
/// own template is a text file whose placeholders are filled from the problem:
/// `{{question}}` (the problem's prompt text), `{{choices}}` (ARC's labelled choices),
/// `{{tests}}` (the listed test cases). Lines before a line `---` form the system message.
public struct PromptTemplate: Sendable, Hashable {
    public enum Style: String, Sendable, Hashable {
        /// The problem becomes a chat (`.messages`), rendered by the model's chat template.
        case chat
        /// The problem's text is continued as is (HumanEval's function headers).
        case completion
    }

    public let name: String
    public let style: Style
    /// System message (chat style), may be empty.
    public let system: String
    /// The user message (chat) or the text to continue (completion), with placeholders.
    public let body: String
    /// Stop strings that end a sample (for example the next few-shot "Question:").
    public let stop: [String]
    /// Worked examples placed before each problem (`{{fewshot}}`), and how many each prompt gets.
    public let fewShot: FewShotExamples?

    public init(name: String, style: Style, system: String = "", body: String, stop: [String] = [],
                fewShot: FewShotExamples? = nil) {
        self.name = name
        self.style = style
        self.system = system
        self.body = body
        self.stop = stop
        self.fewShot = fewShot
    }

    /// The SHA-256 of everything that shapes the prompt: part of a run's identity, so an
    /// edited template is a different run.
    public var sha256: String {
        var h = SHA256()
        h.update(Array("\(name)\u{0}\(style.rawValue)\u{0}\(system)\u{0}\(body)\u{0}\(stop.joined(separator: "\u{0}"))".utf8))
        if let fewShot {
            h.update(Array("\u{0}\(fewShot.perPrompt)\u{0}\(fewShot.seed)".utf8))
            for e in fewShot.examples { h.update(Array("\u{0}\(e.question)\u{0}\(e.answer)".utf8)) }
        }
        return h.finalizeHex()
    }

    /// What the model is asked for `problem`.
    public func render(_ problem: Problem) -> ProblemPrompt {
        if case .messages(let messages) = problem.prompt, body == Self.questionPlaceholder {
            // A data set that already gives a conversation keeps it as is.
            return .messages(system.isEmpty ? messages : [ChatMessage(role: "system", content: system)] + messages)
        }
        let filled = fill(body, problem)
        switch style {
        case .completion:
            return .text(filled)
        case .chat:
            var messages: [ChatMessage] = []
            if !system.isEmpty { messages.append(ChatMessage(role: "system", content: fill(system, problem))) }
            messages.append(ChatMessage(role: "user", content: filled))
            return .messages(messages)
        }
    }

    static let questionPlaceholder = "{{question}}"

    private func fill(_ text: String, _ problem: Problem) -> String {
        var out = text
        if out.contains("{{question}}") { out = out.replacingOccurrences(of: "{{question}}", with: Self.questionText(problem)) }
        if out.contains("{{choices}}") { out = out.replacingOccurrences(of: "{{choices}}", with: Self.choicesText(problem)) }
        if out.contains("{{fewshot}}") {
            out = out.replacingOccurrences(of: "{{fewshot}}", with: fewShot?.render(for: problem) ?? "")
        }
        if out.contains("{{tests}}") {
            out = out.replacingOccurrences(of: "{{tests}}", with: problem.reference.tests?.testCases.joined(separator: "\n") ?? "")
        }
        return out
    }

    /// The problem's own text (a chat prompt's last user message).
    static func questionText(_ problem: Problem) -> String {
        switch problem.prompt {
        case .text(let t): t
        case .messages(let m): m.last { $0.role == "user" }?.content ?? m.last?.content ?? ""
        }
    }

    static func choicesText(_ problem: Problem) -> String {
        guard let choices = problem.metadata["choices"]?.arrayValue else { return "" }
        return choices.compactMap { choice -> String? in
            guard let o = choice.objectValue, let label = o["label"]?.stringValue, let text = o["text"]?.stringValue else { return nil }
            return "\(label). \(text)"
        }.joined(separator: "\n")
    }
}

extension PromptTemplate {
    /// The answer-format instruction of Iterative RPO's GSM8K prompt (METHODS.md §2(b)),
    /// which the math verifier's "Final answer:" rule extracts.
    static let finalAnswerInstruction = """
        Your task is to answer the question below. Give step by step reasoning before you answer, \
        and when you're ready to answer, please use the format "Final answer: ..."
        """

    /// Zero-shot chat for GSM8K: the question with the "Final answer:" instruction.
    public static let gsm8kChat = PromptTemplate(
        name: "gsm8k-chat", style: .chat,
        body: "\(finalAnswerInstruction)\n\nQuestion: {{question}}\n\nSolution:")

    /// Zero-shot chat for MATH: reasoning, then the answer in `\boxed{}`.
    public static let mathChat = PromptTemplate(
        name: "math-chat", style: .chat,
        body: "Solve the following math problem. Reason step by step, and put your final answer within \\boxed{}.\n\n{{question}}")

    /// HumanEval as in Codex: the model continues the function header and docstring.
    public static let humanEvalCompletion = PromptTemplate(
        name: "humaneval-completion", style: .completion, body: "{{question}}",
        stop: ["\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\n#"])

    /// MBPP: the statement and its tests (the loaders already include the tests in the
    /// question text), asking for one fenced Python block.
    public static let mbppChat = PromptTemplate(
        name: "mbpp-chat", style: .chat,
        body: "{{question}}\n\nWrite the Python function in one ```python code block.")

    /// ARC-Challenge: the question with its labelled choices; answer with the label.
    public static let arcChat = PromptTemplate(
        name: "arc-chat", style: .chat,
        body: "\(finalAnswerInstruction) Answer with the letter (or number) of the correct choice.\n\nQuestion: {{question}}")

    /// GSM8K few-shot as in the Large Language Monkeys setup (METHODS.md §1(b)): `perPrompt`
    /// worked train examples, "Question: … Answer: …", continued as plain text; sampling
    /// stops at the next "Question:". The examples are drawn per problem, deterministically.
    ///
    /// - Parameter examples: worked examples, normally the GSM8K train split
    ///   (`FewShotExamples.gsm8k(from:)`); never the test problems themselves.
    public static func gsm8kFewShot(_ examples: FewShotExamples) -> PromptTemplate {
        PromptTemplate(name: "gsm8k-fewshot", style: .completion, body: "{{fewshot}}Question: {{question}}\nAnswer:",
                       stop: ["\nQuestion:", "Question:"], fewShot: examples)
    }

    /// Quorum's own tasks: the prompt or conversation as written.
    public static let plain = PromptTemplate(name: "plain", style: .chat, body: questionPlaceholder)

    public static let builtIn: [PromptTemplate] = [gsm8kChat, mathChat, humanEvalCompletion, mbppChat, arcChat, plain]

    /// The default template for a data set format (`gsm8k`, `math`, `humaneval`, `mbpp`,
    /// `mbpp-sanitized`, `arc`, `quorum`).
    public static func defaultTemplate(forFormat format: String) -> PromptTemplate {
        switch format {
        case "gsm8k": gsm8kChat
        case "math": mathChat
        case "humaneval": humanEvalCompletion
        case "mbpp", "mbpp-sanitized": mbppChat
        case "arc": arcChat
        default: plain
        }
    }

    /// A built-in template by name, or a user template read from a file path.
    ///
    /// A file's text is the user message; a line `---` separates a system message above it.
    /// A first line `style: completion` makes it a text-continuation template.
    public static func named(_ nameOrPath: String) throws(ExperimentError) -> PromptTemplate {
        if let builtIn = builtIn.first(where: { $0.name == nameOrPath }) { return builtIn }
        guard FileManager.default.fileExists(atPath: nameOrPath) else {
            throw .unknownTemplate(name: nameOrPath, known: builtIn.map(\.name))
        }
        guard let raw = try? String(contentsOfFile: nameOrPath, encoding: .utf8) else {
            throw .unknownTemplate(name: nameOrPath, known: builtIn.map(\.name))
        }
        let text = try normalizedPlaceholders(raw, path: nameOrPath)
        var lines = text.components(separatedBy: "\n")
        var style = Style.chat
        if let first = lines.first, first.hasPrefix("style:") {
            let value = first.dropFirst("style:".count).trimmingCharacters(in: .whitespaces)
            guard let s = Style(rawValue: value) else { throw .badTemplate(path: nameOrPath, reason: "style '\(value)' is not chat or completion") }
            style = s
            lines.removeFirst()
        }
        var system = ""
        if let separator = lines.firstIndex(of: "---") {
            system = lines[..<separator].joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
            lines = Array(lines[(separator + 1)...])
        }
        let body = lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !body.isEmpty else { throw .badTemplate(path: nameOrPath, reason: "the template has no user message") }
        guard body.contains(questionPlaceholder) || system.contains(questionPlaceholder) else {
            throw .badTemplate(path: nameOrPath, reason: "it never uses {{question}}, so the model would not see the problem "
                               + "(placeholders: \(placeholders.map { "{{\($0)}}" }.joined(separator: ", ")))")
        }
        return PromptTemplate(name: (nameOrPath as NSString).lastPathComponent, style: style, system: system, body: body)
    }
}

extension PromptTemplate {
    /// The placeholders a template file may use.
    public static let placeholders = ["question", "choices", "tests", "fewshot"]

    /// The file's text with each placeholder written `{{name}}` (Jinja users write
    /// `{{ question }}`), after checking that every `{{` is closed on its line and names a
    /// known placeholder: a placeholder that matches nothing would leave the problem out of
    /// the prompt without a word.
    static func normalizedPlaceholders(_ text: String, path: String) throws(ExperimentError) -> String {
        let known = placeholders.map { "{{\($0)}}" }.joined(separator: ", ")
        var lines: [String] = []
        for (number, line) in text.components(separatedBy: "\n").enumerated() {
            var out = ""
            var rest = Substring(line)
            while let open = rest.range(of: "{{") {
                out += rest[..<open.lowerBound]
                let after = rest[open.upperBound...]
                guard let close = after.range(of: "}}") else {
                    throw .badTemplate(path: path, reason: "line \(number + 1) opens a placeholder with {{ that is not closed by }} on that line; "
                                       + "placeholders are \(known)")
                }
                let name = after[..<close.lowerBound].trimmingCharacters(in: .whitespaces)
                guard placeholders.contains(name) else {
                    throw .badTemplate(path: path, reason: "line \(number + 1) uses the unknown placeholder {{\(after[..<close.lowerBound])}}; "
                                       + "placeholders are \(known)")
                }
                out += "{{\(name)}}"
                rest = after[close.upperBound...]
            }
            lines.append(out + rest)
        }
        return lines.joined(separator: "\n")
    }
}

/// Worked examples for few-shot prompts, and how they are drawn for each problem.
public struct FewShotExamples: Sendable, Hashable {
    public struct Example: Sendable, Hashable {
        public var id: String
        public var question: String
        public var answer: String

        public init(id: String, question: String, answer: String) {
            self.id = id
            self.question = question
            self.answer = answer
        }
    }

    public var examples: [Example]
    /// Examples per prompt (Large Language Monkeys: 5 for GSM8K).
    public var perPrompt: Int
    public var seed: UInt64

    public init(examples: [Example], perPrompt: Int = 5, seed: UInt64 = 0) {
        self.examples = examples
        self.perPrompt = perPrompt
        self.seed = seed
    }

    /// GSM8K train problems as examples: the worked solution followed by `#### answer`,
    /// the format the math verifier's `####` rule extracts.
    public static func gsm8k(from problems: [Problem], perPrompt: Int = 5, seed: UInt64 = 0) -> FewShotExamples {
        FewShotExamples(examples: problems.compactMap { p in
            guard case .text(let question) = p.prompt, let answer = p.reference.answer else { return nil }
            let solution = p.metadata["solution"]?.stringValue ?? ""
            return Example(id: p.id, question: question, answer: solution.isEmpty ? "#### \(answer)" : "\(solution)\n#### \(answer)")
        }, perPrompt: perPrompt, seed: seed)
    }

    /// The examples for one problem: `perPrompt` distinct examples chosen by a generator
    /// seeded from the seed and the problem id (the same problem always gets the same
    /// examples), never the problem itself.
    public func choose(for problem: Problem) -> [Example] {
        var h = SHA256()
        h.update(Array("\(seed)/\(problem.id)".utf8))
        var generator = SplitMix64(seed: UInt64(h.finalizeHex().prefix(16), radix: 16)!)
        var pool = examples.filter { $0.id != problem.id }
        var chosen: [Example] = []
        while chosen.count < perPrompt, !pool.isEmpty {
            chosen.append(pool.remove(at: Int(generator.next() % UInt64(pool.count))))
        }
        return chosen
    }

    func render(for problem: Problem) -> String {
        choose(for: problem).map { "Question: \($0.question)\nAnswer: \($0.answer)\n\n" }.joined()
    }
}
