// The sandbox that runs untrusted generated programs.
//
// THREAT MODEL
//
// The programs are written by a language model: mostly harmless, sometimes broken
// (infinite loops, runaway memory, huge output), occasionally hostile by accident or
// by "reward hacking" (exit(0) before the tests, printing "All tests passed",
// patching the test harness, returning an object whose __eq__ always answers True). They must not harm the host, read the user's files or
// environment, reach the network, outlive their run, or earn a "passed" they did not earn.
//
// Every run goes through this chain, each link exec'ing the next:
//   /bin/sh       (as root) writes its own pid into the run's control groups, so the
//                 whole run is charged to them, changes to /, then execs
//   env -i        which starts the rest from an empty environment (PATH, LANG only)
//   prlimit       sets per-process rlimits: CPU seconds (soft: SIGXCPU, hard: SIGKILL),
//                 address space, processes of the user, file size, open files, no core
//   setpriv       (only when started as root) drops to an unprivileged host uid that is
//                 unique per worker slot (so rlimits on processes are not shared between
//                 concurrent runs), clears groups, drops every capability from the
//                 inheritable and bounding sets, sets no_new_privs
//   bwrap         (unprivileged, 0.8 or newer) unshares every namespace (user, mount, pid,
//                 net, ipc, uts, cgroup) and forbids nested user namespaces; the program
//                 runs as uid/gid 65534 inside with no capabilities, in a new session
//                 (no terminal injection), and dies with its parent.
//   /bin/sh       (inside) writes one byte on fd 5, the proof that bwrap's setup
//                 succeeded, closes it and execs the command.
//
// What the program sees: /usr read-only (with /usr/local hidden) and the /bin, /lib,
// /lib64, /sbin links; a fresh /proc of its own pid namespace (so no host process, and
// no host environment: every process of the chain gets an explicit minimal environment,
// so even /proc/1/environ holds only PATH); a minimal /dev (null, zero, full, random,
// urandom, tty) remounted read-only; a size-capped private /tmp and /dev/shm; its own
// files under /sandbox, read-only; the interpreter as an execute-only copy (it runs, it
// cannot be read). The root is remounted read-only. Nothing of /root,
// /home, /work, the data sets or the user's files is mounted. The network namespace has
// only a loopback interface with nothing listening.
//
// Caps for the whole run (not only per process) come from a control group: memory
// (RAM + swap where swap is accounted, including tmpfs pages) and the number of
// processes. cgroup v1 (memory and pids hierarchies) and v2 are supported; the groups
// nest inside the one this process already belongs to. The wall-clock timeout is
// enforced by the parent, which then kills the launcher's process group; bwrap's death
// kills the sandbox's pid 1 and with it every process in the pid namespace, and the
// control group is swept with SIGKILL until empty. Stdout and stderr are read to their
// end with a cap on what is kept: output beyond it is discarded, never a reason to kill.
//
// THE PROOF OF A PASS (PythonTestHarness)
//
// The protocol is HumanEval's and EvalPlus's: the program (prompt + completion + test +
// `check(entry_point)`) runs as a script, `__name__ == "__main__"`, in the main thread of its
// interpreter (so `signal.signal` works), stdin from /dev/null; a pass needs the tests to
// return and a fresh nonce, unknown to the program, written after that. Exit status 0,
// printed markers or a record written on the result channel prove nothing.
//
// The nonce never enters the program's process. Two processes run the harness:
//   keeper       pid 1 of the sandbox (bwrap --as-pid-1, so nothing inside can kill it).
//                It forks the interpreter before anything else, holds the nonce on fd 3
//                unread, and writes it to the result channel only after the interpreter
//                proved completion, then exits (which ends every process of the run).
//   interpreter  closes fd 3, installs an audit hook, runs the program. When the program
//                and its tests returned, the harness's own frame connects to the keeper's
//                socket; the keeper takes the connection as proof only when the kernel
//                says (SO_PEERCRED, fixed at connect) that it came from the interpreter's pid.
// How a program could learn the nonce, and why it cannot: the interpreter's memory, frames,
// gc, fds and /proc/self hold no nonce (it is not there before the proof, and the process
// ends just after); the keeper's memory and fds (/proc/1/mem, /proc/1/fd/3, ptrace,
// process_vm_readv) are closed to every process of the run because the keeper is
// non-dumpable: the interpreter binary inside is an execute-only copy (ExecuteOnlyCopy), and
// the kernel marks a process that execs a file it cannot read non-dumpable (the forked
// interpreter inherits it, so its memory is closed to the processes it starts as well).
// How a program could get the keeper to write the nonce early: by connecting itself. The audit
// hook refuses a connection to the keeper's address from any frame but the harness's, and a
// process the program starts (which has no hook) is not the interpreter's pid.
// What could subvert the hook from inside: raw memory (ctypes, the C test extensions,
// subinterpreters, /proc/self/mem), tracing and profiling (they can rewrite frames and jump
// past a failure), code objects built by hand, and exec'ing a new image in the interpreter's
// own process (it keeps the pid the keeper trusts, without the hook). None is refused, so programs that
// use them keep their failures, crashes and timeouts (a null read through ctypes is a
// SIGSEGV, `crashed`); the hook records each on the result channel before it takes effect
// (checking the channel is still the pipe it was), and a marked run is never `passed`. The
// hook also refuses changes to the harness's own functions; what the harness relies on after
// the program ran lives in locals and default arguments, not in globals the program can reach.
//
// A pass is also refused when the tests compare something the program controls. The test
// statements' references to the program's top-level functions are compiled into calls of a
// check that makes every value they return plain: built-in values, and subclasses of them read
// through the built-in type's methods, are copied into exact built-in types (an int subclass
// whose `__eq__` always answers True becomes its int); values of types implemented in C, which
// no program can have written or changed (a regex match, a Decimal, a date), are kept, and
// iterators among them yield plain items; fractions are kept; any other object (a class of the
// program's own, `mock.ANY`) is refused, recorded at once so catching the error changes
// nothing. The check verifies after each call and after the tests that its name still names it.
// The tests' comparisons then run on values only built-in code decides.
//
// WHAT REMAINS UNPROTECTED
// - Kernel attack surface: there is no seccomp filter; a kernel exploit reachable from
//   an unprivileged user namespace would escape. Keep the kernel patched.
// - CPU: RLIMIT_CPU caps each process, and the wall clock caps the run, but a run may
//   use every core until then (no cpu controller quota).
// - Without control groups (not root, or no memory/pids controllers): memory is capped
//   only per process (RLIMIT_AS) and processes only per sandbox uid (RLIMIT_NPROC); a
//   run of several processes can use processes x address-space bytes together, and
//   when not root, concurrent runs share one uid and so one process budget.
//   `Sandbox.controlGroupSupport` says which case holds.
// - Disk I/O bandwidth is not limited (only sizes are).
// - The completion proof rests on the interpreter's integrity: a program that corrupts it
//   without one of the recorded routes (a memory-safety bug in CPython or a C extension,
//   or crafted bytecode loaded through marshal from a .pyc it wrote: marshal cannot be
//   recorded, imports need it) could forge the connection.
// - The plain-value check covers what program functions return to the test statements. A
//   program can still defeat the tests by other means: rebinding a name the tests use from
//   a thread or a function the tests call, redefining a helper of the prompt the tests rely
//   on, or reading the tests from /sandbox/program.py and answering them. A program that
//   digs out the harness's own functions (frames and gc are open) and rebuilds them can
//   dodge the plain-value check, but not forge the proof.
// - A program that legitimately uses ctypes, tracing or hand-built code objects cannot pass.
// - bwrap's pid 1 (for commands that are not the namespace's init) exits just after the
//   outer bwrap and stays a zombie until the host's init reaps it.
// - cgroup v2 support follows the kernel documentation but was only exercised on a
//   cgroup v1 machine (this project's machines mount v1 controllers).
// - /usr is visible: anything installed there can be read (it is not the user's data,
//   but a machine that keeps secrets under /usr would expose them).

import Foundation
import Synchronization

/// Resource limits of one sandbox run. Sizes in bytes, times in seconds.
public struct SandboxLimits: Sendable, Hashable {
    /// Wall-clock time from launch to kill, enforced by the parent. The default is six times
    /// the CPU budget: CPU time is what bounds computation and does not depend on how loaded
    /// the machine is, while the wall clock only has to catch programs that wait (sleep, stdin,
    /// locks). At 10 s, a 2.2 s MBPP reference timed out on a 2-core CI machine running other
    /// tests beside it, so a verdict depended on the machine's load.
    public var wallClockSeconds: Double
    /// CPU seconds per process (RLIMIT_CPU); SIGXCPU at the limit, SIGKILL one second later.
    public var cpuSeconds: Int
    /// Virtual address space per process (RLIMIT_AS).
    public var addressSpaceBytes: Int
    /// Memory of the whole run, all processes and tmpfs pages together (control group).
    public var memoryBytes: Int
    /// Processes the program may have at once, for the whole run (control group) and per uid (RLIMIT_NPROC).
    public var processes: Int
    /// Largest file a process may write (RLIMIT_FSIZE).
    public var fileSizeBytes: Int
    /// Open file descriptors per process (RLIMIT_NOFILE).
    public var openFiles: Int
    /// Size of the private /tmp.
    public var temporaryBytes: Int
    /// Size of the private /dev/shm.
    public var sharedMemoryBytes: Int
    /// How much of stdout and of stderr is kept for the result; the rest is read and discarded
    /// (a program that prints without end meets the wall clock).
    public var keptOutputBytes: Int

    public init(wallClockSeconds: Double = 60, cpuSeconds: Int = 10, addressSpaceBytes: Int = 1 << 30,
                memoryBytes: Int = 1 << 30, processes: Int = 32, fileSizeBytes: Int = 16 << 20,
                openFiles: Int = 64, temporaryBytes: Int = 64 << 20, sharedMemoryBytes: Int = 16 << 20,
                keptOutputBytes: Int = 64 << 10) {
        self.wallClockSeconds = wallClockSeconds
        self.cpuSeconds = cpuSeconds
        self.addressSpaceBytes = addressSpaceBytes
        self.memoryBytes = memoryBytes
        self.processes = processes
        self.fileSizeBytes = fileSizeBytes
        self.openFiles = openFiles
        self.temporaryBytes = temporaryBytes
        self.sharedMemoryBytes = sharedMemoryBytes
        self.keptOutputBytes = keptOutputBytes
    }

    func validate() throws(SandboxError) {
        let checks: [(String, Double, Double)] = [
            ("wallClockSeconds", wallClockSeconds, 0.1), ("cpuSeconds", Double(cpuSeconds), 1),
            ("addressSpaceBytes", Double(addressSpaceBytes), Double(64 << 20)),
            ("memoryBytes", Double(memoryBytes), Double(32 << 20)), ("processes", Double(processes), 1),
            ("fileSizeBytes", Double(fileSizeBytes), 4096), ("openFiles", Double(openFiles), 16),
            ("temporaryBytes", Double(temporaryBytes), 4096), ("sharedMemoryBytes", Double(sharedMemoryBytes), 4096),
            ("keptOutputBytes", Double(keptOutputBytes), 256),
        ]
        for (field, value, minimum) in checks where !(value >= minimum) {
            throw .invalidConfiguration(field: field, value: "\(value)", expected: "at least \(minimum)")
        }
    }
}

/// How the sandbox is put together on this machine.
public struct SandboxConfiguration: Sendable, Hashable {
    /// Whether runs must have control groups (refuse to start without) or use them when present.
    public enum ControlGroupPolicy: Sendable, Hashable {
        case required
        case ifAvailable
        case disabled
    }

    public var limits: SandboxLimits
    /// Runs at once; further runs wait for a free slot.
    public var maxConcurrentRuns: Int
    public var controlGroups: ControlGroupPolicy
    /// The Python that runs programs, as seen inside the sandbox (it must live under a
    /// read-only path). Debian's /usr/bin/python3, not a pyenv under /root.
    public var pythonPath: String
    /// Host directories bound read-only at the same path inside (beside /usr and the /bin, /lib links).
    public var extraReadOnlyPaths: [String]
    /// Host uid (and gid) of worker slot 0 when started as root; slot n runs as base + n.
    public var sandboxUserBase: UInt32
    public var bubblewrapPath: String
    public var setprivPath: String
    public var prlimitPath: String
    public var shellPath: String
    /// coreutils' env, which starts the rest of the chain from an empty environment.
    public var environmentPath: String

    public init(limits: SandboxLimits = SandboxLimits(),
                maxConcurrentRuns: Int = ProcessInfo.processInfo.activeProcessorCount,
                controlGroups: ControlGroupPolicy = .ifAvailable,
                pythonPath: String = "/usr/bin/python3", extraReadOnlyPaths: [String] = [],
                sandboxUserBase: UInt32 = 1_900_000_000,
                bubblewrapPath: String = "/usr/bin/bwrap", setprivPath: String = "/usr/bin/setpriv",
                prlimitPath: String = "/usr/bin/prlimit", shellPath: String = "/bin/sh",
                environmentPath: String = "/usr/bin/env") {
        self.limits = limits
        self.maxConcurrentRuns = maxConcurrentRuns
        self.controlGroups = controlGroups
        self.pythonPath = pythonPath
        self.extraReadOnlyPaths = extraReadOnlyPaths
        self.sandboxUserBase = sandboxUserBase
        self.bubblewrapPath = bubblewrapPath
        self.setprivPath = setprivPath
        self.prlimitPath = prlimitPath
        self.shellPath = shellPath
        self.environmentPath = environmentPath
    }
}

/// One program to run in the sandbox.
public struct SandboxRequest: Sendable {
    /// The command inside the sandbox (`/usr/bin/python3 /sandbox/main.py`).
    public var command: [String]
    /// Files placed read-only under /sandbox: name (no slashes) → content.
    public var files: [String: String]
    /// Names in `files` that are made executable.
    public var executableFiles: Set<String>
    /// Bytes on the program's stdin; nil gives /dev/null.
    public var standardInput: String?
    /// Extra environment variables inside (the sandbox starts from an empty environment).
    public var environment: [String: String]
    /// Give the program a random token on fd 3 and a result pipe on fd 4 (the harness's proof channel).
    public var providesCompletionToken: Bool
    /// Run the command as pid 1 of the sandbox's pid namespace (bwrap's `--as-pid-1`): nothing
    /// inside can kill it, it must reap orphans, and its exit ends every process inside. The
    /// Python harness's keeper runs so; a plain command (which may signal itself) does not.
    public var runsAsNamespaceInit: Bool
    /// Limits for this run; nil uses the sandbox's.
    public var limits: SandboxLimits?

    public init(command: [String], files: [String: String] = [:], executableFiles: Set<String> = [],
                standardInput: String? = nil, environment: [String: String] = [:],
                providesCompletionToken: Bool = false, runsAsNamespaceInit: Bool = false, limits: SandboxLimits? = nil) {
        self.command = command
        self.files = files
        self.executableFiles = executableFiles
        self.standardInput = standardInput
        self.environment = environment
        self.providesCompletionToken = providesCompletionToken
        self.runsAsNamespaceInit = runsAsNamespaceInit
        self.limits = limits
    }
}

/// What happened to one sandboxed run, as the parent observed it.
public struct SandboxResult: Sendable, Hashable {
    /// The sandboxed command's exit code (128 + n when signal n killed it); nil when the run was killed from outside.
    public var exitCode: Int32?
    /// True when the wall clock ran out and the run was killed.
    public var timedOut: Bool
    /// True when the control group's memory cap was hit (an OOM kill).
    public var memoryLimitHit: Bool
    /// True when the control group refused a fork (the process cap was hit).
    public var processLimitHit: Bool
    /// True when the sandbox was set up and the command was about to be exec'd (false means
    /// bwrap itself failed: a missing path, no user namespaces).
    public var started: Bool
    /// The head of stdout (up to `keptOutputBytes`), and whether more was discarded.
    public var standardOutput: String
    public var standardOutputTruncated: Bool
    public var standardError: String
    public var standardErrorTruncated: Bool
    /// The tail of the result channel (fd 4), when a completion token was provided.
    public var resultChannel: String
    /// The token given on fd 3, so the caller can look for it in `resultChannel`.
    public var completionToken: String?
    public var elapsedSeconds: Double

    /// The signal that killed the sandboxed command, read from bwrap's 128 + n convention.
    public var signal: Int32? {
        guard let code = exitCode, code > 128, code < 128 + 65 else { return nil }
        return code - 128
    }
}

/// Runs untrusted programs under bubblewrap with rlimits, control groups and a wall clock.
/// See the threat model at the top of this file.
///
/// ```swift
/// let sandbox = try Sandbox()
/// let result = try await sandbox.run(SandboxRequest(command: ["/usr/bin/python3", "-c", "print(1)"]))
/// ```
/// Runs are bounded by `maxConcurrentRuns`: call `run` from as many tasks as you like.
public final class Sandbox: Sendable {
    public let configuration: SandboxConfiguration
    /// Which control groups the runs get here (or why none).
    public let controlGroupSupport: ControlGroupSupport
    private let hierarchy: ControlGroupHierarchy?
    private let slots: SandboxSlots
    private let runCounter = Atomic<Int>(0)
    /// Tells the control groups of several sandboxes in one process apart.
    private let instanceNumber = Sandbox.instanceCounter.wrappingAdd(1, ordering: .relaxed).newValue
    private static let instanceCounter = Atomic<Int>(0)
    private let dropsPrivileges: Bool
    /// Host paths that are symlinks into /usr on a merged-/usr system (path → link target).
    private let systemLinks: [(String, String)]
    private let systemDirectories: [String]
    /// An execute-only copy of the interpreter and the path inside it replaces (see `ExecuteOnlyCopy`).
    private let interpreterCopy: (source: String, target: String)?

    /// Checks the tools and finds the control groups.
    /// - Throws: `SandboxError.toolMissing` (install bubblewrap / util-linux),
    ///   `.controlGroupUnavailable` when the policy is `.required`, `.invalidConfiguration`.
    public init(configuration: SandboxConfiguration = SandboxConfiguration()) throws(SandboxError) {
        try configuration.limits.validate()
        guard configuration.maxConcurrentRuns >= 1 else {
            throw .invalidConfiguration(field: "maxConcurrentRuns", value: "\(configuration.maxConcurrentRuns)",
                                        expected: "at least 1")
        }
        dropsPrivileges = geteuid() == 0
        let tools: [(String, String, String)] = [
            ("bubblewrap", configuration.bubblewrapPath, "Install it: apt-get install bubblewrap (0.8 or newer)."),
            ("prlimit", configuration.prlimitPath, "Install util-linux."),
            ("sh", configuration.shellPath, "Install dash or another POSIX shell."),
            ("env", configuration.environmentPath, "Install coreutils."),
        ] + (dropsPrivileges ? [("setpriv", configuration.setprivPath, "Install util-linux (setpriv).")] : [])
        for (tool, path, hint) in tools where access(path, X_OK) != 0 {
            throw .toolMissing(tool: tool, path: path, hint: hint)
        }
        if access(configuration.pythonPath, X_OK) != 0 {
            throw .toolMissing(tool: "python3", path: configuration.pythonPath,
                               hint: "Install Debian's python3 (apt-get install python3) or set pythonPath.")
        }
        self.configuration = configuration
        switch configuration.controlGroups {
        case .disabled:
            hierarchy = nil
            controlGroupSupport = .unavailable(reason: "disabled by configuration")
        case .required, .ifAvailable:
            switch ControlGroupHierarchy.detect() {
            case .success(let found):
                hierarchy = found
                controlGroupSupport = found.support
            case .failure(let error):
                if configuration.controlGroups == .required { throw error }
                hierarchy = nil
                if case .controlGroupUnavailable(let reason) = error {
                    controlGroupSupport = .unavailable(reason: reason)
                } else {
                    controlGroupSupport = .unavailable(reason: error.description)
                }
            }
        }
        slots = SandboxSlots(count: configuration.maxConcurrentRuns)
        interpreterCopy = try ExecuteOnlyCopy.of(configuration.pythonPath,
                                                 visibleUnder: ["/usr"] + configuration.extraReadOnlyPaths)
        var links: [(String, String)] = [], directories: [String] = []
        for path in ["/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32"] {
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            if info.st_mode & S_IFMT == S_IFLNK, let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) {
                links.append((target, path))
            } else if info.st_mode & S_IFMT == S_IFDIR {
                directories.append(path)
            }
        }
        systemLinks = links
        systemDirectories = directories
    }

    /// Runs one program; waits for a free slot first.
    /// - Throws: `SandboxError` when the sandbox itself cannot run it (never for what the program does).
    public func run(_ request: SandboxRequest) async throws(SandboxError) -> SandboxResult {
        let slot = await slots.acquire()
        defer { slots.release(slot) }
        let result: Result<SandboxResult, SandboxError> = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                do throws(SandboxError) {
                    continuation.resume(returning: .success(try self.runBlocking(request, slot: slot)))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
                // bwrap's pid 1 lingers as a zombie until the host's init reaps it, and it still
                // counts against the slot uid's RLIMIT_NPROC: the next run on this slot could then
                // fail to fork ("Resource temporarily unavailable"). Wait until the uid is idle.
                if self.dropsPrivileges {
                    Self.waitUntilIdle(uid: self.configuration.sandboxUserBase + UInt32(slot), timeoutSeconds: 3)
                }
            }
        }
        return try result.get()
    }

    /// Polls /proc until no process (zombies included) runs as `uid`, or the timeout passes.
    static func waitUntilIdle(uid: UInt32, timeoutSeconds: Double) {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while Date() < deadline {
            let busy = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).contains { name in
                guard name.first?.isNumber == true,
                      let status = try? String(contentsOfFile: "/proc/\(name)/status", encoding: .utf8),
                      let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") }) else { return false }
                return line.split(whereSeparator: \.isWhitespace).dropFirst().first == Substring(String(uid))
            }
            if !busy { return }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    private func runBlocking(_ request: SandboxRequest, slot: Int) throws(SandboxError) -> SandboxResult {
        let limits = request.limits ?? configuration.limits
        try limits.validate()
        for name in request.files.keys where name.isEmpty || name.contains("/") || name.hasPrefix(".") {
            throw .invalidConfiguration(field: "files", value: name, expected: "a plain file name without slashes")
        }
        // The sandbox's own processes: bwrap outside, bwrap's pid 1 inside, the command.
        let sandboxOverhead = 3
        let runNumber = runCounter.wrappingAdd(1, ordering: .relaxed).newValue
        let group = try hierarchy?.makeGroup(name: "\(getpid())-\(instanceNumber)-\(slot)-\(runNumber)", memoryBytes: limits.memoryBytes,
                                             processes: limits.processes + sandboxOverhead)
        var parentEnds: [Int32] = []      // closed once the child has them
        var keptEnds: [Int32] = []        // read by supervise (it closes them)
        defer {
            parentEnds.forEach { close($0) }
            group?.killAll()
            group?.remove()
        }
        do throws(SandboxError) {
            let stdout = try SandboxProcess.makePipe(), stderr = try SandboxProcess.makePipe()
            let status = try SandboxProcess.makePipe()
            parentEnds += [stdout.write, stderr.write, status.write]
            keptEnds += [stdout.read, stderr.read, status.read]
            let stdin: Int32
            if let input = request.standardInput {
                stdin = try SandboxProcess.makeDataDescriptor(Array(input.utf8))
            } else {
                let devNull = open("/dev/null", O_RDONLY | O_CLOEXEC)
                guard devNull >= 0 else { throw .systemCallFailed(call: "open(/dev/null)", errno: errno) }
                stdin = devNull
            }
            parentEnds.append(stdin)
            var descriptors: [(parent: Int32, child: Int32)] = [(stdin, 0), (stdout.write, 1), (stderr.write, 2), (status.write, 5)]

            var token: String?
            var result: (read: Int32, write: Int32)?
            if request.providesCompletionToken {
                var generator = SystemRandomNumberGenerator()
                let value = (0..<4).map { _ in String(generator.next() as UInt64, radix: 16) }.joined(separator: "-")
                token = value
                let tokenPipe = try SandboxProcess.makePipe()
                parentEnds += [tokenPipe.read, tokenPipe.write]
                let bytes = Array((value + "\n").utf8)
                _ = bytes.withUnsafeBytes { Glibc.write(tokenPipe.write, $0.baseAddress, $0.count) }
                close(tokenPipe.write)
                parentEnds.removeLast()
                let resultPipe = try SandboxProcess.makePipe()
                result = resultPipe
                parentEnds.append(resultPipe.write)
                keptEnds.append(resultPipe.read)
                descriptors += [(tokenPipe.read, 3), (resultPipe.write, 4)]
            }

            var fileArguments: [String] = []
            var nextChildDescriptor: Int32 = 6
            for (name, content) in request.files.sorted(by: { $0.key < $1.key }) {
                guard nextChildDescriptor < SandboxProcess.firstFreeDescriptor else {
                    throw .invalidConfiguration(field: "files", value: "\(request.files.count) files",
                                                expected: "at most \(SandboxProcess.firstFreeDescriptor - 6)")
                }
                let fd = try SandboxProcess.makeDataDescriptor(Array(content.utf8))
                parentEnds.append(fd)
                descriptors.append((fd, nextChildDescriptor))
                fileArguments += ["--perms", request.executableFiles.contains(name) ? "0555" : "0444",
                                  "--ro-bind-data", "\(nextChildDescriptor)", "/sandbox/\(name)"]
                nextChildDescriptor += 1
            }

            let plan = SandboxProcess.Plan(
                executable: configuration.shellPath,
                arguments: launcherArguments(limits: limits, slot: slot, group: group, fileArguments: fileArguments,
                                             request: request, sandboxOverhead: sandboxOverhead),
                environment: ["PATH=/usr/bin:/bin", "LANG=C.UTF-8"],
                descriptors: descriptors)
            let pid = try SandboxProcess.spawn(plan)
            parentEnds.forEach { close($0) }
            parentEnds.removeAll()
            let outcome = SandboxProcess.supervise(
                pid: pid,
                channels: .init(stdout: stdout.read, stderr: stderr.read, result: result?.read, status: status.read),
                wallClockSeconds: limits.wallClockSeconds, keptOutputBytes: limits.keptOutputBytes, kill: { group?.killAll() })
            keptEnds.removeAll()
            let hits = group?.limitsHit() ?? (memory: false, processes: false)
            return SandboxResult(
                exitCode: outcome.launcherSignal == nil ? outcome.exitCode : nil,
                timedOut: outcome.timedOut,
                memoryLimitHit: hits.memory, processLimitHit: hits.processes,
                started: outcome.status.text.hasPrefix("S"),
                standardOutput: outcome.stdout.text, standardOutputTruncated: outcome.stdout.truncated,
                standardError: outcome.stderr.text, standardErrorTruncated: outcome.stderr.truncated,
                resultChannel: outcome.result.text, completionToken: token, elapsedSeconds: outcome.elapsedSeconds)
        } catch {
            keptEnds.forEach { close($0) }
            throw error
        }
    }

    /// sh (join groups) → prlimit → setpriv (as root) → bwrap → command.
    private func launcherArguments(limits: SandboxLimits, slot: Int, group: ControlGroup?, fileArguments: [String],
                                   request: SandboxRequest, sandboxOverhead: Int) -> [String] {
        let joinFiles = group?.joinFiles ?? []
        // Exit 125 if joining fails: bwrap then never reports a child, so this reads as a sandbox error.
        // `cd /` and `env -i`: the shell would otherwise export the parent's working
        // directory as PWD, and bwrap's pid 1 keeps its initial environment in /proc/1/environ.
        let script = #"n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n-1)); done; "#
            + #"cd / || exit 125; exec "$@""#
        var arguments = [configuration.shellPath, "-c", script, "sh", "\(joinFiles.count)"] + joinFiles
        arguments += [configuration.environmentPath, "-i", "PATH=/usr/bin:/bin", "LANG=C.UTF-8"]
        arguments += [configuration.prlimitPath,
                      "--cpu=\(limits.cpuSeconds):\(limits.cpuSeconds + 1)",
                      "--as=\(limits.addressSpaceBytes)",
                      // Above the control group's cap, so where both exist the group refuses first
                      // and says so in pids.events.
                      "--nproc=\(limits.processes + sandboxOverhead + 2)",
                      "--fsize=\(limits.fileSizeBytes)",
                      "--nofile=\(limits.openFiles)",
                      "--core=0", "--"]
        if dropsPrivileges {
            let uid = configuration.sandboxUserBase + UInt32(slot)
            arguments += [configuration.setprivPath, "--reuid=\(uid)", "--regid=\(uid)", "--clear-groups",
                          "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
        }
        arguments += [configuration.bubblewrapPath,
                      "--unshare-all", "--unshare-user", "--disable-userns",
                      "--die-with-parent", "--new-session"]
        if request.runsAsNamespaceInit { arguments.append("--as-pid-1") }
        arguments += ["--uid", "65534", "--gid", "65534", "--hostname", "sandbox",
                      "--clearenv", "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", "/tmp",
                      "--setenv", "TMPDIR", "/tmp", "--setenv", "LANG", "C.UTF-8"]
        for (name, value) in request.environment.sorted(by: { $0.key < $1.key }) {
            arguments += ["--setenv", name, value]
        }
        arguments += ["--ro-bind", "/usr", "/usr"]
        for (target, path) in systemLinks { arguments += ["--symlink", target, path] }
        for path in systemDirectories { arguments += ["--ro-bind", path, path] }
        for path in configuration.extraReadOnlyPaths { arguments += ["--ro-bind", path, path] }
        if let copy = interpreterCopy { arguments += ["--ro-bind", copy.source, copy.target] }
        let hidesUsrLocal = FileManager.default.fileExists(atPath: "/usr/local")
        if hidesUsrLocal { arguments += ["--size", "4096", "--tmpfs", "/usr/local"] }
        arguments += ["--proc", "/proc", "--dev", "/dev",
                      "--size", "\(limits.sharedMemoryBytes)", "--tmpfs", "/dev/shm",
                      "--size", "\(limits.temporaryBytes)", "--tmpfs", "/tmp"]
        arguments += fileArguments
        arguments += ["--chdir", "/tmp"]
        if hidesUsrLocal { arguments += ["--remount-ro", "/usr/local"] }
        // Inside, a shell writes one byte on fd 5 and closes it before exec'ing the command:
        // that byte proves bwrap's setup succeeded (its own errors also exit with status 1).
        let startedScript = #"printf S >&5 && exec 5>&- && exec "$@""#
        arguments += ["--remount-ro", "/dev", "--remount-ro", "/", "--", "/bin/sh", "-c", startedScript, "sh"]
            + request.command
        return arguments
    }
}

/// A fixed set of worker slots; `acquire` waits (without blocking a thread) until one is free.
/// Each slot has its own sandbox uid, so concurrent runs never share a process budget.
final class SandboxSlots: Sendable {
    private struct State {
        var free: [Int]
        var waiters: [CheckedContinuation<Int, Never>] = []
    }
    private let state: Mutex<State>

    init(count: Int) {
        state = Mutex(State(free: Array((0..<count).reversed())))
    }

    func acquire() async -> Int {
        await withCheckedContinuation { (continuation: CheckedContinuation<Int, Never>) in
            let slot: Int? = state.withLock { state in
                if let slot = state.free.popLast() { return slot }
                state.waiters.append(continuation)
                return nil
            }
            if let slot { continuation.resume(returning: slot) }
        }
    }

    func release(_ slot: Int) {
        let waiter: CheckedContinuation<Int, Never>? = state.withLock { state in
            if state.waiters.isEmpty {
                state.free.append(slot)
                return nil
            }
            return state.waiters.removeFirst()
        }
        waiter?.resume(returning: slot)
    }
}
