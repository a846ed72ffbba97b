import Foundation

/// Spawning and supervising the launcher process of one sandbox run.
///
/// Runs on a dedicated thread (it blocks in poll and waitpid), never on the
/// cooperative pool. The parent never hangs on a misbehaving child: every pipe is
/// read with a cap, the wall clock is enforced here, and at the deadline the whole
/// process group and control group are killed.
enum SandboxProcess {
    /// What the parent hands the child: file descriptors by their number in the child.
    struct Plan {
        var executable: String
        var arguments: [String]
        var environment: [String]
        /// Parent fd → child fd (0, 1, 2 and the extra channels).
        var descriptors: [(parent: Int32, child: Int32)]
    }

    /// The pipes the parent reads, by role.
    struct Channels {
        var stdout: Int32
        var stderr: Int32
        var result: Int32?
        /// The sandbox's started marker (one byte once bwrap's setup succeeded).
        var status: Int32
    }

    struct Outcome {
        /// `exit` code of the launcher (bwrap passes the sandboxed command's status through,
        /// 128 + n for a command killed by signal n), or nil when the launcher itself was killed.
        var exitCode: Int32?
        var launcherSignal: Int32?
        var stdout: CappedText
        var stderr: CappedText
        var result: CappedText
        var status: CappedText
        var timedOut = false
        var elapsedSeconds: Double = 0
    }

    /// Keeps the first `limit` bytes of a stream (or the last, for `tail`) and counts the rest.
    struct CappedText {
        let limit: Int
        let keepsTail: Bool
        var bytes: [UInt8] = []
        var totalBytes = 0

        init(limit: Int, keepsTail: Bool = false) {
            self.limit = limit
            self.keepsTail = keepsTail
        }

        mutating func append(_ chunk: UnsafeRawBufferPointer) {
            totalBytes += chunk.count
            if keepsTail {
                bytes.append(contentsOf: chunk)
                if bytes.count > limit { bytes.removeFirst(bytes.count - limit) }
            } else if bytes.count < limit {
                bytes.append(contentsOf: chunk.prefix(limit - bytes.count))
            }
        }

        var truncated: Bool { totalBytes > bytes.count }
        var text: String { String(decoding: bytes, as: UTF8.self) }
    }

    // MARK: - libc functions Swift's Glibc module does not import (they need _GNU_SOURCE)

    private typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
    private typealias MemfdCreate = @convention(c) (UnsafePointer<CChar>, UInt32) -> Int32
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    private static func libcSymbol<T>(_ name: String, as type: T.Type) -> T? {
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, name) else { return nil }
        return unsafeBitCast(symbol, to: type)
    }

    private static let pipe2Function = libcSymbol("pipe2", as: Pipe2.self)
    private static let memfdCreateFunction = libcSymbol("memfd_create", as: MemfdCreate.self)
    private static let addCloseFromFunction =
        libcSymbol("posix_spawn_file_actions_addclosefrom_np", as: AddCloseFrom.self)

    /// Serialises pipe creation and spawning when the close-on-exec flag cannot be set
    /// atomically, so one run's pipe never leaks into another run's child.
    private static let spawnLock = NSLock()

    /// The lowest fd number the parent keeps its own ends at, above every child target.
    static let firstFreeDescriptor: Int32 = 16

    /// Moves `fd` to a number at or above `firstFreeDescriptor`, close-on-exec, so the
    /// child's dup2 targets (0...15) can never clobber a source.
    private static func lifted(_ fd: Int32) throws(SandboxError) -> Int32 {
        let high = fcntl(fd, F_DUPFD_CLOEXEC, firstFreeDescriptor)
        let code = errno
        close(fd)
        guard high >= 0 else { throw .systemCallFailed(call: "fcntl(F_DUPFD_CLOEXEC)", errno: code) }
        return high
    }

    /// A close-on-exec pipe: (read end, write end).
    static func makePipe() throws(SandboxError) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        if let pipe2 = pipe2Function {
            guard pipe2(&fds, O_CLOEXEC) == 0 else { throw .systemCallFailed(call: "pipe2", errno: errno) }
        } else {
            spawnLock.lock()
            defer { spawnLock.unlock() }
            guard pipe(&fds) == 0 else { throw .systemCallFailed(call: "pipe", errno: errno) }
        }
        return (try lifted(fds[0]), try lifted(fds[1]))
    }

    /// A read-only view of `bytes` as an fd positioned at 0 (memfd, or an unlinked temp file).
    static func makeDataDescriptor(_ bytes: [UInt8]) throws(SandboxError) -> Int32 {
        var fd: Int32 = -1
        if let memfdCreate = memfdCreateFunction {
            fd = memfdCreate("quorum-sandbox", 1 /* MFD_CLOEXEC */)
        }
        if fd < 0 {
            var template = Array("/tmp/quorum-sandbox-XXXXXX".utf8CString)
            fd = mkstemp(&template)
            guard fd >= 0 else { throw .systemCallFailed(call: "mkstemp", errno: errno) }
            unlink(template)
        }
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            guard written > 0 else {
                let code = errno
                close(fd)
                throw .systemCallFailed(call: "write(data descriptor)", errno: code)
            }
            offset += written
        }
        lseek(fd, 0, SEEK_SET)
        return try lifted(fd)
    }

    static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    /// Spawns `plan` in a new process group with default signal handling.
    static func spawn(_ plan: Plan) throws(SandboxError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (parent, child) in plan.descriptors { posix_spawn_file_actions_adddup2(&actions, parent, child) }
        if let addCloseFrom = addCloseFromFunction { _ = addCloseFrom(&actions, firstFreeDescriptor) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A new process group so a timeout can kill the launcher and anything it left in
        // the group; default signal dispositions (the Swift runtime ignores SIGPIPE).
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        var noSignals = sigset_t(), allSignals = sigset_t()
        sigemptyset(&noSignals)
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)

        let argv = plan.arguments.map { strdup($0) } + [nil]
        let envp = plan.environment.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        if addCloseFromFunction == nil { spawnLock.lock() }
        let code = posix_spawn(&pid, plan.executable, &actions, &attributes, argv, envp)
        if addCloseFromFunction == nil { spawnLock.unlock() }
        guard code == 0 else { throw .systemCallFailed(call: "posix_spawn(\(plan.executable))", errno: code) }
        return pid
    }

    /// Reads the channels until the launcher is reaped and its pipes close, killing it at
    /// `wallClockSeconds`. Output beyond `keptOutputBytes` is read and discarded, so a program
    /// that prints a lot still runs to its end (one that prints forever meets the wall clock).
    static func supervise(pid: pid_t, channels: Channels, wallClockSeconds: Double,
                          keptOutputBytes: Int, kill killEverything: () -> Void) -> Outcome {
        var outcome = Outcome(stdout: CappedText(limit: keptOutputBytes), stderr: CappedText(limit: keptOutputBytes),
                              result: CappedText(limit: 64 << 10, keepsTail: true), status: CappedText(limit: 16 << 10))
        let start = monotonicSeconds()
        let deadline = start + wallClockSeconds
        var open: [Int32] = [channels.stdout, channels.stderr, channels.status] + (channels.result.map { [$0] } ?? [])
        var killedAt: Double?
        var reapedAt: Double?
        var buffer = [UInt8](repeating: 0, count: 64 << 10)

        func killOnce(_ now: Double) {
            guard killedAt == nil else { return }
            killedAt = now
            Glibc.kill(-pid, SIGKILL)
            killEverything()
        }

        while true {
            let now = monotonicSeconds()
            if reapedAt == nil && now >= deadline && killedAt == nil {
                outcome.timedOut = true
                killOnce(now)
            }
            if reapedAt == nil {
                var status: Int32 = 0
                if waitpid(pid, &status, WNOHANG) == pid {
                    reapedAt = now
                    if status & 0x7f == 0 { outcome.exitCode = (status >> 8) & 0xff } else { outcome.launcherSignal = status & 0x7f }
                    // The sandbox's pid namespace died with bwrap; anything outside it that the
                    // run left in its control group goes too.
                    killEverything()
                }
            }
            if let reaped = reapedAt, open.isEmpty || now - reaped > 0.5 { break }

            var pollSet = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let waitMilliseconds = Int32(max(1, min(20, (deadline - now) * 1000)))
            let ready = pollSet.isEmpty ? poll(nil, 0, 5) : poll(&pollSet, nfds_t(pollSet.count), waitMilliseconds)
            guard ready > 0 else { continue }
            for entry in pollSet where entry.revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
                if count <= 0 {
                    if count < 0 && (errno == EINTR || errno == EAGAIN) { continue }
                    close(entry.fd)
                    open.removeAll { $0 == entry.fd }
                    continue
                }
                buffer.withUnsafeBytes { raw in
                    let chunk = UnsafeRawBufferPointer(rebasing: raw[0..<count])
                    switch entry.fd {
                    case channels.stdout: outcome.stdout.append(chunk)
                    case channels.stderr: outcome.stderr.append(chunk)
                    case channels.status: outcome.status.append(chunk)
                    default: outcome.result.append(chunk)
                    }
                }
            }
        }
        for fd in open { close(fd) }
        if reapedAt == nil {
            // Unreachable in practice (the loop breaks only after reaping); never leave a zombie.
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        outcome.elapsedSeconds = monotonicSeconds() - start
        return outcome
    }
}
