import Foundation
import ScalingCore

/// Runs a user's checking program in the sandbox with the sample on stdin; its exit
/// code decides (0 passed, anything else failed).
///
/// The program is copied read-only to /sandbox/check and run as `interpreter +
/// [/sandbox/check] + arguments` (an empty interpreter runs it directly, by its `#!`
/// line, which must name an interpreter under /usr). It sees the problem as
/// `QUORUM_PROBLEM_ID` and, when the problem has one, `QUORUM_REFERENCE_ANSWER`.
/// Exit codes above 128 read as "killed by signal code - 128" (bwrap's convention).
///
/// ```swift
/// let verifier = CommandVerifier(sandbox: sandbox, source: "import sys\nsys.exit(0 if sys.stdin.read().strip() == '42' else 1)\n",
///                                interpreter: ["/usr/bin/python3"])
/// ```
public struct CommandVerifier: Verifier {
    public let name: String
    public let sandbox: Sandbox
    public let source: String
    public let interpreter: [String]
    public let arguments: [String]

    public init(name: String = "command", sandbox: Sandbox, source: String, interpreter: [String] = [],
                arguments: [String] = []) {
        self.name = name
        self.sandbox = sandbox
        self.source = source
        self.interpreter = interpreter
        self.arguments = arguments
    }

    /// Reads the checking program from `path` on the host (only its content enters the sandbox).
    public init(name: String = "command", sandbox: Sandbox, programPath: String, interpreter: [String] = [],
                arguments: [String] = []) throws {
        self.init(name: name, sandbox: sandbox, source: try String(contentsOfFile: programPath, encoding: .utf8),
                  interpreter: interpreter, arguments: arguments)
    }

    public func verify(_ completion: String, for problem: Problem) async -> Verdict {
        var environment = ["QUORUM_PROBLEM_ID": problem.id]
        if let answer = problem.reference.answer { environment["QUORUM_REFERENCE_ANSWER"] = answer }
        let request = SandboxRequest(command: interpreter + ["/sandbox/check"] + arguments, files: ["check": source],
                                     executableFiles: ["check"], standardInput: completion, environment: environment)
        let limits = sandbox.configuration.limits
        let result: SandboxResult
        do {
            result = try await sandbox.run(request)
        } catch {
            return Verdict(.sandboxError, extracted: completion, detail: error.description)
        }
        var verdict: Verdict
        if !result.started {
            verdict = Verdict(.sandboxError, detail: "the sandbox did not start: " + PythonTestsVerifier.tail(result.standardError))
        } else if result.timedOut {
            verdict = Verdict(.timeout, detail: "wall-clock limit of \(PythonTestsVerifier.seconds(limits.wallClockSeconds)) s reached; the run was killed")
        } else if result.memoryLimitHit {
            verdict = Verdict(.crashed, detail: "memory limit: the run exceeded \(limits.memoryBytes) bytes and was killed")
        } else if let signal = result.signal {
            verdict = signal == SIGXCPU
                ? Verdict(.timeout, detail: "CPU time limit of \(limits.cpuSeconds) s reached (SIGXCPU)")
                : Verdict(.crashed, detail: "killed by signal \(PythonTestsVerifier.signalName(signal))")
        } else if result.exitCode == 0 {
            verdict = Verdict(.passed, detail: "the command exited with status 0")
        } else {
            let status = result.exitCode.map(String.init) ?? "unknown"
            let message = result.standardError.trimmingCharacters(in: .whitespacesAndNewlines)
            verdict = Verdict(.failed, detail: "the command exited with status \(status)" + (message.isEmpty ? "" : ": " + String(message.suffix(500))))
        }
        verdict.extracted = completion
        return verdict
    }
}
