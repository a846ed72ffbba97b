import Foundation

/// Why the sandbox could not be set up or could not run a program.
///
/// These are never the sample's fault: a verifier turns them into a
/// `Verdict` with outcome `.sandboxError`, so reports count them apart from failures.
public enum SandboxError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// A tool the sandbox runs (bwrap, setpriv, prlimit, sh, python3) is missing or not executable.
    case toolMissing(tool: String, path: String, hint: String)
    /// A limit or setting is out of range.
    case invalidConfiguration(field: String, value: String, expected: String)
    /// Control groups were required but cannot be used on this machine.
    case controlGroupUnavailable(reason: String)
    /// Creating, limiting or joining a control group failed.
    case controlGroupFailed(path: String, operation: String, errno: Int32)
    /// A system call the parent makes (pipe, spawn, memfd) failed.
    case systemCallFailed(call: String, errno: Int32)
    /// bwrap started but reported no sandboxed child: its own setup failed.
    case sandboxSetupFailed(stderr: String)

    public var description: String {
        switch self {
        case .toolMissing(let tool, let path, let hint):
            "The sandbox needs \(tool) at \(path), which is missing or not executable. \(hint)"
        case .invalidConfiguration(let field, let value, let expected):
            "Sandbox setting \(field) = \(value) is invalid: expected \(expected)."
        case .controlGroupUnavailable(let reason):
            "Control groups are required but unavailable: \(reason). Run as root on a machine with the "
                + "memory and pids controllers mounted (cgroup v1 or v2), or set controlGroups to .ifAvailable."
        case .controlGroupFailed(let path, let operation, let code):
            "Control group \(operation) failed at \(path): \(String(cString: strerror(code))) (errno \(code))."
        case .systemCallFailed(let call, let code):
            "\(call) failed: \(String(cString: strerror(code))) (errno \(code)). The machine may be out of "
                + "processes or file descriptors."
        case .sandboxSetupFailed(let stderr):
            "bubblewrap could not set up the sandbox: \(stderr.isEmpty ? "(no message)" : stderr). Check that "
                + "unprivileged user namespaces are enabled (sysctl user.max_user_namespaces > 0)."
        }
    }

    public var errorDescription: String? { description }
}
