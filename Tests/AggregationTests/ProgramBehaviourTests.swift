import Aggregation
import ScalingCore
import Testing
import Verifiers

/// Code votes: programs are grouped by their outputs on the examples the prompt shows.
struct ProgramBehaviourTests {
    static let mbppLike = Problem(
        id: "add", prompt: .text("Write add(a, b).\nassert add(1, 2) == 3\nassert add(2, 2) == 4"),
        reference: ProblemReference(tests: CodeTests(tests: "assert add(1, 2) == 3\nassert add(2, 2) == 4\nassert add(5, 5) == 10",
                                                     testCases: ["assert add(1, 2) == 3", "assert add(2, 2) == 4", "assert add(5, 5) == 10"])))
    static let humanEvalLike: Problem = {
        let header = "def double(x):\n    \"\"\"Twice x.\n    >>> double(2)\n    4\n    >>> double(-1)\n    -2\n    \"\"\"\n"
        return Problem(id: "double", prompt: .text(header),
                       reference: ProblemReference(tests: CodeTests(solutionPrefix: header, tests: "assert double(3) == 6", entryPoint: "double")))
    }()

    @Test func examplesAreTheCallsThePromptShows() {
        // The third MBPP test is not in the prompt, so it is not used.
        #expect(ProgramBehaviour.examples(for: Self.mbppLike) == ["assert add(1, 2) == 3", "assert add(2, 2) == 4"])
        #expect(ProgramBehaviour.examples(for: Self.humanEvalLike) == ["double(2)", "double(-1)"])
        #expect(ProgramBehaviour.examples(for: Problem(id: "x", prompt: .text("no examples"), reference: ProblemReference())) == [])
    }

    @Test func programsThatAgreeOnTheExamplesShareAClass() async throws {
        let behaviour = ProgramBehaviour(sandbox: try Sandbox())
        func key(_ code: String, _ problem: Problem) async -> String? { await behaviour.key(of: code, for: problem) }
        let plus = await key("```python\ndef add(a, b):\n    return a + b\n```", Self.mbppLike)
        let swapped = await key("def add(x, y):\n    total = y + x\n    return total\n", Self.mbppLike)
        // Right on the shown examples, wrong on the hidden one: still the same behaviour.
        let hiddenBug = await key("def add(a, b):\n    return 0 if a == 5 else a + b\n", Self.mbppLike)
        let minus = await key("def add(a, b):\n    return a - b\n", Self.mbppLike)
        let raises = await key("def add(a, b):\n    raise ValueError('no')\n", Self.mbppLike)
        let broken = await key("def add(a, b) return a + b", Self.mbppLike)
        #expect(plus != nil && plus == swapped && plus == hiddenBug)
        #expect(minus != nil && minus != plus)
        #expect(raises != nil && raises != plus && raises != minus)
        #expect(broken == nil)   // a program that does not define does not vote

        // What the program prints itself (a demo call at the top, a trace inside) is not its behaviour.
        let chatty = await key("def add(a, b):\n    print('adding', a, b)\n    return a + b\nprint(add(7, 8))\n", Self.mbppLike)
        #expect(chatty == plus)

        let times = await key("    return x * 2\n", Self.humanEvalLike)
        let sum = await key("    return x + x\n", Self.humanEvalLike)
        let cube = await key("    return x ** 3\n", Self.humanEvalLike)
        #expect(times != nil && times == sum && cube != times)
    }

    @Test func aSetOfStringsHasOneBehaviourInEveryProcess() async throws {
        // String hashing is randomised per process unless the hash seed is fixed: without it the
        // same program would print this set in different orders and split its own class.
        let behaviour = ProgramBehaviour(sandbox: try Sandbox())
        let program = "def add(a, b):\n    return {'alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', str(a + b)}\n"
        var keys: [String?] = []
        for _ in 0..<3 { keys.append(await behaviour.key(of: program, for: Self.mbppLike)) }
        #expect(keys[0] != nil && Set(keys).count == 1)
    }
}
