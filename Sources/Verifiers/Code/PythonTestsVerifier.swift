import Foundation
import ScalingCore

/// Runs a generated Python program against a problem's tests in the sandbox
/// (HumanEval's `check(candidate)`, MBPP's asserts).
///
/// The program is `solutionPrefix + code`, then `setup`, then `tests`, where `code` is
/// the completion, or the Python block of a fenced completion. When the code defines
/// the entry point itself, the prefix is left out (the model rewrote the function) but
/// the prefix's import lines are kept, since the rewrite relies on them.
///
/// Verdicts follow the reference protocol of HumanEval and EvalPlus: the program runs as a
/// script (`__name__ == "__main__"`) in its interpreter's main thread with stdin from
/// /dev/null. `.passed` only with the keeper's proof that the program and its tests
/// returned (see Sandbox.swift), and only when every value a program function returned to
/// the tests was a plain value and the program took no raw access to the interpreter;
/// `.failed` with the failing assertion (and the test case, when the data set lists
/// them), the exception (resource limits Python reports as exceptions included: memory,
/// file size, processes, open files, threads), a refused result, or an early exit;
/// `.timeout` for the wall clock or the CPU limit; `.crashed` for death by a signal
/// (a segfault, the memory control group's kill); `.sandboxError` when the sandbox or
/// interpreter could not start. Output beyond what is kept is read and discarded.
public struct PythonTestsVerifier: Verifier {
    public let name = VerifierKind.pythonTests.name
    public let sandbox: Sandbox

    public init(sandbox: Sandbox) {
        self.sandbox = sandbox
    }

    public func verify(_ completion: String, for problem: Problem) async -> Verdict {
        guard let tests = problem.reference.tests else {
            return Verdict(.unknown, detail: "problem \(problem.id) has no tests to run")
        }
        guard tests.language.lowercased() == "python" else {
            return Verdict(.unknown, detail: "tests in \(tests.language) cannot be run; only python is supported")
        }
        let extracted = CodeExtraction.python(from: completion, entryPoint: tests.entryPoint)
        let assembled = Self.assemble(code: extracted.code, tests: tests)
        let request = SandboxRequest(
            command: [sandbox.configuration.pythonPath, "-I", "-B", "/sandbox/" + PythonTestHarness.harnessFileName,
                      String(assembled.testsLine)],
            files: [PythonTestHarness.harnessFileName: PythonTestHarness.source,
                    PythonTestHarness.programFileName: assembled.program],
            providesCompletionToken: true, runsAsNamespaceInit: true)
        do {
            let result = try await sandbox.run(request)
            var verdict = Self.verdict(for: result, tests: tests, limits: sandbox.configuration.limits)
            verdict.extracted = extracted.code
            return verdict
        } catch {
            return Verdict(.sandboxError, extracted: extracted.code, detail: error.description)
        }
    }

    /// The full program the sandbox runs for `code` (the extracted completion).
    public static func program(code: String, tests: CodeTests) -> String {
        assemble(code: code, tests: tests).program
    }

    /// The program and the line its tests start on (the harness guards the values program
    /// functions return to the statements from there on).
    static func assemble(code: String, tests: CodeTests) -> (program: String, testsLine: Int) {
        var head: String
        if let entryPoint = tests.entryPoint, CodeExtraction.defines(entryPoint, in: code) {
            head = CodeExtraction.importLines(of: tests.solutionPrefix).joined(separator: "\n")
            if !head.isEmpty { head += "\n\n" }
            head += code
        } else {
            head = tests.solutionPrefix + code
        }
        let before = [head, tests.setup].filter { !$0.isEmpty }
        let prefix = before.isEmpty ? "" : before.joined(separator: "\n\n") + "\n\n"
        let program = (before + [tests.tests]).filter { !$0.isEmpty }.joined(separator: "\n\n") + "\n"
        return (program, prefix.utf8.reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 })
    }

    /// Reads a sandbox result as a verdict (without `extracted`).
    public static func verdict(for result: SandboxResult, tests: CodeTests, limits: SandboxLimits) -> Verdict {
        let channel = PythonTestHarness.read(channel: result.resultChannel, token: result.completionToken)
        if channel.proven && result.exitCode == 0 && !result.timedOut {
            if let route = channel.native.first {
                return Verdict(.failed, detail: "the keeper saw a completion, but the program took raw access to its "
                               + "interpreter (\(route)), so the harness cannot prove the tests returned; a pass needs a "
                               + "program that does without")
            }
            if let reason = channel.refused.first {
                return Verdict(.failed, detail: "a function \(reason)")
            }
            return Verdict(.passed)
        }
        if !result.started {
            return Verdict(.sandboxError, detail: "the sandbox did not start: " + Self.tail(result.standardError))
        }
        if result.timedOut {
            return Verdict(.timeout, detail: "wall-clock limit of \(Self.seconds(limits.wallClockSeconds)) s reached; the run was killed")
        }
        if result.memoryLimitHit {
            return Verdict(.crashed, detail: "memory limit: the run exceeded \(limits.memoryBytes) bytes and was killed")
        }
        if let signal = result.signal {
            if signal == SIGXCPU {
                return Verdict(.timeout, detail: "CPU time limit of \(limits.cpuSeconds) s reached (SIGXCPU)")
            }
            return Verdict(.crashed, detail: "killed by signal \(Self.signalName(signal))")
        }
        if let report = channel.report {
            return verdict(for: report, result: result, tests: tests, limits: limits)
        }
        if let reason = channel.refused.first {
            return Verdict(.failed, detail: "a function \(reason)")
        }
        if !channel.ready {
            return Verdict(.sandboxError, detail: "the test harness did not start: " + Self.tail(result.standardError))
        }
        let status = result.exitCode.map(String.init) ?? "unknown"
        return Verdict(.failed, detail: "the program exited with status \(status) before the tests finished (no completion proof)")
    }

    /// A report of the interpreter. Limits that Python reports as exceptions fail the test, as
    /// they do under the reference protocol; the detail names the limit.
    private static func verdict(for report: PythonTestHarness.Report, result: SandboxResult, tests: CodeTests,
                                limits: SandboxLimits) -> Verdict {
        let location = report.line.map { line in " at line \(line)" + ((report.code ?? "").isEmpty ? "" : ": \(report.code!)") } ?? ""
        let message = (report.message ?? "").isEmpty ? "" : " (\(report.message!))"
        switch report.kind {
        case "limit":
            return Verdict(.failed, detail: "memory limit: \(report.type ?? "MemoryError")\(location)")
        case "syntax":
            return Verdict(.failed, detail: "the program does not compile: \(report.type ?? "SyntaxError")\(message)\(location)")
        case "exit":
            return Verdict(.failed, detail: "the program called exit\(message) before the tests finished\(location)")
        case "refused":
            return Verdict(.failed, detail: "a function \(report.message ?? "returned a value that is not plain")\(location)")
        case "assertion":
            let code = (report.code ?? "").trimmingCharacters(in: .whitespaces)
            if !code.isEmpty, let index = tests.testCases.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == code }) {
                return Verdict(.failed, detail: "test case \(index + 1) of \(tests.testCases.count) failed: \(code)\(message)")
            }
            return Verdict(.failed, detail: "assertion failed\(location)\(message)")
        default:
            let limit: String? = switch report.errno.map(Int32.init) {
            case EAGAIN? where result.processLimitHit || report.type == "BlockingIOError":
                "process limit: a fork was refused at \(limits.processes) processes"
            case EFBIG?: "file size limit of \(limits.fileSizeBytes) bytes"
            case ENOSPC?: "disk space limit: a private tmpfs is full (/tmp holds \(limits.temporaryBytes) bytes, "
                + "/dev/shm \(limits.sharedMemoryBytes))"
            case EMFILE?, ENFILE?: "open files limit of \(limits.openFiles)"
            default: report.type == "RuntimeError" && (report.message ?? "").contains("can't start new thread")
                ? "thread limit: a thread could not start (processes are capped at \(limits.processes))" : nil
            }
            if let limit {
                return Verdict(.failed, detail: "\(limit): \(report.type ?? "OSError")\(message)\(location)")
            }
            return Verdict(.failed, detail: "\(report.type ?? "exception")\(message)\(location)")
        }
    }

    static func tail(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? "(no message)" : String(trimmed.suffix(500))
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }

    static func signalName(_ signal: Int32) -> String {
        let names: [Int32: String] = [SIGSEGV: "SIGSEGV", SIGKILL: "SIGKILL", SIGABRT: "SIGABRT", SIGBUS: "SIGBUS",
                                      SIGFPE: "SIGFPE", SIGILL: "SIGILL", SIGTERM: "SIGTERM", SIGXFSZ: "SIGXFSZ",
                                      SIGPIPE: "SIGPIPE", SIGXCPU: "SIGXCPU", SIGTRAP: "SIGTRAP", SIGSYS: "SIGSYS"]
        return names[signal].map { "\($0) (\(signal))" } ?? "\(signal)"
    }
}
