import Foundation
import ScalingCore
import Verifiers

/// Answer classes for code: programs that print the same values on the prompt's example
/// inputs vote together (the clustering of AlphaCode, Li et al. 2022, on the examples a
/// problem statement shows rather than generated inputs).
///
/// The examples are the calls the prompt itself shows, so no hidden test leaks into the
/// vote: MBPP's asserts (`assert f(x) == y`: the call `f(x)` is evaluated, its expected
/// value is not used) and HumanEval's doctest lines (`>>> f(x)`). Each program runs once in
/// the sandbox with every example; its behaviour is one line per example, the `repr` of
/// the value or `raised <ExceptionType>`, and the class key is that text's SHA-256.
public struct ProgramBehaviour: Sendable {
    public let sandbox: Sandbox

    public init(sandbox: Sandbox) {
        self.sandbox = sandbox
    }

    /// The example calls of a problem: MBPP's listed test cases when the prompt shows them,
    /// else the `>>>` lines of the prompt. Empty when the problem shows none.
    public static func examples(for problem: Problem) -> [String] {
        let promptText: String
        switch problem.prompt {
        case .text(let text): promptText = text
        case .messages(let messages): promptText = messages.map(\.content).joined(separator: "\n")
        }
        if let cases = problem.reference.tests?.testCases {
            let shown = cases.filter { promptText.contains($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            if !shown.isEmpty { return shown }
        }
        return promptText.split(separator: "\n").compactMap { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix(">>>") else { return nil }
            let call = trimmed.dropFirst(3).trimmingCharacters(in: .whitespaces)
            return call.isEmpty ? nil : call
        }
    }

    /// The behaviour key of one completion: the SHA-256 of its outputs on the examples, or
    /// nil when the problem has no tests or examples, the program could not be defined, or
    /// the sandbox did not finish (such a sample does not vote).
    public func key(of completion: String, for problem: Problem) async -> String? {
        guard let tests = problem.reference.tests, tests.language.lowercased() == "python" else { return nil }
        let examples = Self.examples(for: problem)
        guard !examples.isEmpty else { return nil }
        let code = CodeExtraction.python(from: completion, entryPoint: tests.entryPoint).code
        var definitionOnly = tests
        definitionOnly.tests = ""
        let program = PythonTestsVerifier.program(code: code, tests: definitionOnly)
        guard let data = try? JSONSerialization.data(withJSONObject: ["program": program, "examples": examples]) else { return nil }
        // A fixed hash seed: `-I` would ignore PYTHONHASHSEED, and with per-process random
        // string hashing two copies of one program that prints a set of strings (or iterates
        // one) would print different orders and land in different classes. `-s` and the empty
        // sandbox environment keep the rest of what `-I` isolates.
        let request = SandboxRequest(
            command: [sandbox.configuration.pythonPath, "-s", "-B", "/sandbox/behaviour.py"],
            files: ["behaviour.py": Self.script, "examples.json": String(decoding: data, as: UTF8.self)],
            environment: ["PYTHONHASHSEED": "0"])
        guard let result = try? await sandbox.run(request), result.started, !result.timedOut, result.exitCode == 0,
              !result.standardOutputTruncated, !result.standardOutput.hasPrefix("definition failed") else { return nil }
        var hasher = SHA256()
        hasher.update(Array(result.standardOutput.utf8))
        return hasher.finalizeHex()
    }

    /// Defines the program, then evaluates each example: the left side of an `==` assert, the
    /// whole test of another assert, or an expression; prints `repr` or the exception's name.
    /// What the program itself prints goes to /dev/null: a behaviour is the values on the
    /// examples, so a demo `print` at the top of a program does not split its class.
    static let script = """
        import ast, json, os, sys
        results = sys.stdout
        sys.stdout = open(os.devnull, 'w')
        data = json.load(open('/sandbox/examples.json'))
        namespace = {'__name__': 'program'}
        try:
            exec(compile(data['program'], 'program', 'exec'), namespace)
        except BaseException as error:
            results.write('definition failed ' + type(error).__name__ + '\\n')
            results.flush()
            os._exit(0)
        for source in data['examples']:
            try:
                statement = ast.parse(source.strip()).body[0]
                if isinstance(statement, ast.Assert):
                    test = statement.test
                    expression = test.left if isinstance(test, ast.Compare) and isinstance(test.ops[0], ast.Eq) else test
                elif isinstance(statement, ast.Expr):
                    expression = statement.value
                else:
                    expression = None
                if expression is None:
                    line = 'not an expression'
                else:
                    line = repr(eval(compile(ast.Expression(expression), 'example', 'eval'), namespace))
            except BaseException as error:
                line = 'raised ' + type(error).__name__
            results.write(line + '\\n')
        results.flush()
        os._exit(0)
        """
}
