import Foundation
import ScalingCore
import Testing
import Verifiers

/// Code extraction, the generic verifiers and the command verifier.
@Suite struct CodeExtractionTests {
    @Test func bareCompletionIsTakenAsIs() {
        let extracted = CodeExtraction.python(from: "    return a + b\n", entryPoint: "add")
        #expect(extracted == .init(code: "    return a + b\n", fromFence: false))
    }

    @Test func fencedBlockDefiningTheEntryPointWins() {
        let completion = """
            First a helper:
            ```python
            def helper(x):
                return x
            ```
            Then the answer:
            ```py
            def add(a, b):
                return a + b
            ```
            """
        let extracted = CodeExtraction.python(from: completion, entryPoint: "add")
        #expect(extracted.code == "def add(a, b):\n    return a + b")
        #expect(extracted.fromFence)
        #expect(CodeExtraction.python(from: completion).code == "def helper(x):\n    return x")
    }

    @Test func otherLanguagesAreSkippedAndUnclosedFencesRead() {
        let mixed = "```bash\npip install x\n```\n```\nprint(1)\n```\n"
        #expect(CodeExtraction.python(from: mixed).code == "print(1)")
        let unclosed = "Sure!\n```python\ndef add(a, b):\n    return a + b"
        #expect(CodeExtraction.python(from: unclosed).code == "def add(a, b):\n    return a + b")
    }

    @Test func definesFindsTopLevelFunctionsOnly() {
        #expect(CodeExtraction.defines("add", in: "def add (a, b):\n    pass"))
        #expect(CodeExtraction.defines("add", in: "async def add(a):\n    pass"))
        #expect(!CodeExtraction.defines("add", in: "    def add(a):\n        pass"))
        #expect(!CodeExtraction.defines("add", in: "def adder(a):\n    pass"))
    }

    @Test func programKeepsThePrefixImportsWhenTheCompletionRedefinesTheFunction() {
        let tests = CodeTests(solutionPrefix: "from typing import List\n\n\ndef total(xs: List[int]) -> int:\n    \"\"\"Sum.\"\"\"\n",
                              tests: "assert total([1, 2]) == 3\n", entryPoint: "total")
        #expect(PythonTestsVerifier.program(code: "    return sum(xs)\n", tests: tests)
            == tests.solutionPrefix + "    return sum(xs)\n" + "\n\n" + tests.tests + "\n")
        let rewritten = "def total(xs: List[int]) -> int:\n    return sum(xs)"
        #expect(PythonTestsVerifier.program(code: rewritten, tests: tests)
            == "from typing import List\n\n" + rewritten + "\n\n" + tests.tests + "\n")
    }
}

@Suite struct GenericVerifierTests {
    static func problem(answer: String?) -> Problem {
        Problem(id: "generic/1", prompt: .text("?"), reference: ProblemReference(answer: answer))
    }

    @Test func exactMatchNormalisesOnlyWhatItIsTold() async {
        let problem = Self.problem(answer: "Paris")
        #expect(await ExactMatchVerifier().verify("  Paris\n", for: problem).outcome == .passed)
        #expect(await ExactMatchVerifier().verify("paris", for: problem).outcome == .failed)
        #expect(await ExactMatchVerifier(ignoresCase: true).verify("paris", for: problem).outcome == .passed)
        #expect(await ExactMatchVerifier(collapsesWhitespace: true).verify("New \n York", for: Self.problem(answer: "New York")).outcome == .passed)
        #expect(await ExactMatchVerifier().verify("Paris", for: Self.problem(answer: nil)).outcome == .unknown)
    }

    @Test func regexExtractsTheLastCaptureAndCompares() async throws {
        let verifier = try RegexVerifier(pattern: #"[Aa]nswer:\s*(\S+)"#)
        let verdict = await verifier.verify("Answer: 12 ... wait, answer: 42", for: Self.problem(answer: "42"))
        #expect(verdict.outcome == .passed)
        #expect(verdict.extracted == "42")
        #expect(await verifier.verify("answer: 41", for: Self.problem(answer: "42")).outcome == .failed)
        #expect(await verifier.verify("no idea", for: Self.problem(answer: "42")).outcome == .unknown)
    }

    @Test func regexMustMatchMode() async throws {
        let verifier = try RegexVerifier(pattern: #"^\d{3}-\d{4}$"#, mode: .mustMatch)
        #expect(await verifier.verify("555-1234", for: Self.problem(answer: nil)).outcome == .passed)
        #expect(await verifier.verify("5551234", for: Self.problem(answer: nil)).outcome == .failed)
        #expect(throws: (any Error).self) { try RegexVerifier(pattern: "(unclosed") }
    }

    @Test func commandVerifierExitCodeDecides() async throws {
        let source = """
            import os, sys
            sample = sys.stdin.read().strip()
            sys.exit(0 if sample == os.environ.get("QUORUM_REFERENCE_ANSWER") else 3)
            """
        let verifier = CommandVerifier(sandbox: try CodeTestSupport.unitSandbox(), source: source,
                                       interpreter: ["/usr/bin/python3"])
        let problem = Self.problem(answer: "42")
        #expect(await verifier.verify("42\n", for: problem).outcome == .passed)
        let wrong = await verifier.verify("41", for: problem)
        #expect(wrong.outcome == .failed)
        #expect(wrong.detail == "the command exited with status 3")
    }

    @Test func commandVerifierRunsScriptsByTheirShebangAndContainsThem() async throws {
        let sandbox = try CodeTestSupport.unitSandbox()
        let shell = CommandVerifier(sandbox: sandbox, source: "#!/bin/sh\ngrep -q yes\n")
        #expect(await shell.verify("yes please", for: Self.problem(answer: nil)).outcome == .passed)
        #expect(await shell.verify("no", for: Self.problem(answer: nil)).outcome == .failed)
        let sleeper = CommandVerifier(sandbox: sandbox, source: "#!/bin/sh\nsleep 60\n")
        #expect(await sleeper.verify("", for: Self.problem(answer: nil)).outcome == .timeout)
        let crasher = CommandVerifier(sandbox: sandbox, source: "#!/bin/sh\nkill -SEGV $$\n")
        let crashed = await crasher.verify("", for: Self.problem(answer: nil))
        #expect(crashed.outcome == .crashed)
        #expect(crashed.detail == "killed by signal SIGSEGV (11)")
        let snoop = CommandVerifier(sandbox: sandbox, source: "#!/bin/sh\ntest ! -e /work && test ! -e /root && test \"$(id -u)\" = 65534\n")
        #expect(await snoop.verify("", for: Self.problem(answer: nil)).outcome == .passed)
    }
}

@Suite struct SandboxSetupTests {
    @Test func controlGroupsAreUsedOnThisMachine() throws {
        let sandbox = try CodeTestSupport.sandbox()
        #expect(sandbox.controlGroupSupport.isAvailable, "\(sandbox.controlGroupSupport)")
    }

    @Test func missingToolsAndBadLimitsAreReportedWithAHint() {
        #expect(throws: SandboxError.toolMissing(tool: "bubblewrap", path: "/nonexistent/bwrap",
                                                 hint: "Install it: apt-get install bubblewrap (0.8 or newer).")) {
            try Sandbox(configuration: SandboxConfiguration(bubblewrapPath: "/nonexistent/bwrap"))
        }
        #expect(throws: SandboxError.self) {
            try Sandbox(configuration: SandboxConfiguration(limits: SandboxLimits(wallClockSeconds: 0)))
        }
    }

    @Test func sandboxErrorIsNotBlamedOnTheSample() async throws {
        // An interpreter that exists on the host but not inside (the sandbox's /tmp is private):
        // the harness never starts, which is the sandbox's failure, not the sample's.
        let hostOnly = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-host-only-python-\(getpid())")
        try "#!/bin/sh\nexit 0\n".write(to: hostOnly, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: hostOnly) }
        chmod(hostOnly.path, 0o755)
        let sandbox = try Sandbox(configuration: SandboxConfiguration(
            limits: CodeTestSupport.hostileLimits, maxConcurrentRuns: 1, pythonPath: hostOnly.path))
        let verdict = await PythonTestsVerifier(sandbox: sandbox).verify("def add(a, b):\n    return a + b\n", for: CodeHostileTests.problem)
        #expect(verdict.outcome == .sandboxError, "\(verdict.detail ?? "")")
        #expect(verdict.detail?.contains("did not start") == true, "\(verdict.detail ?? "")")
    }

    @Test func bubblewrapSetupFailureIsASandboxError() async throws {
        let sandbox = try Sandbox(configuration: SandboxConfiguration(
            limits: CodeTestSupport.hostileLimits, maxConcurrentRuns: 1, extraReadOnlyPaths: ["/nonexistent-quorum-path"]))
        let result = try await sandbox.run(SandboxRequest(command: ["/usr/bin/true"]))
        #expect(!result.started)
        let verdict = await PythonTestsVerifier(sandbox: sandbox).verify("def add(a, b):\n    return a + b\n", for: CodeHostileTests.problem)
        #expect(verdict.outcome == .sandboxError)
        #expect(verdict.detail?.contains("nonexistent-quorum-path") == true, "\(verdict.detail ?? "")")
    }

    @Test func outputIsCappedAndStderrKept() async throws {
        let sandbox = try CodeTestSupport.unitSandbox()
        let result = try await sandbox.run(SandboxRequest(
            command: ["/usr/bin/python3", "-c", "import sys; sys.stdout.write('x' * 100000); sys.stderr.write('done')"]))
        #expect(result.exitCode == 0)
        #expect(result.started)
        #expect(result.standardOutput.count == CodeTestSupport.hostileLimits.keptOutputBytes)
        #expect(result.standardOutputTruncated)
        #expect(result.standardError == "done")
    }
}
