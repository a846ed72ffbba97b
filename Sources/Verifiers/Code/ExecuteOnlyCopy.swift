import Foundation
import Synchronization

/// An execute-only copy of the sandbox's interpreter, bound over the interpreter inside.
///
/// The kernel marks a process non-dumpable when it execs a file it may not read. Then no
/// other process of the same uid may read or write its memory (/proc/PID/mem,
/// process_vm_readv, ptrace) or open its file descriptors through /proc/PID/fd. This is what
/// keeps the harness's keeper (which holds the nonce) and the interpreter (whose audit hook
/// guards the proof) out of reach of the processes a program starts, without loading ctypes
/// into either. The copy is made once per interpreter file and process user, in a directory
/// only that user may write, and reused.
enum ExecuteOnlyCopy {
    private static let made = Mutex<[String: String]>([:])

    /// The copy of `interpreter`'s real file and the path it replaces inside, or nil when the
    /// interpreter does not live under a path the sandbox shows (then it cannot run inside anyway).
    static func of(_ interpreter: String, visibleUnder roots: [String]) throws(SandboxError) -> (source: String, target: String)? {
        guard let resolved = realpath(interpreter, nil) else { return nil }
        let target = String(cString: resolved)
        free(resolved)
        guard roots.contains(where: { target.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }) else { return nil }
        if let source = made.withLock({ $0[target] }) { return (source, target) }
        let source = try copy(target)
        made.withLock { $0[target] = source }
        return (source, target)
    }

    private static func copy(_ target: String) throws(SandboxError) -> String {
        var original = stat()
        guard stat(target, &original) == 0 else { throw .systemCallFailed(call: "stat(\(target))", errno: errno) }
        let directory = "/tmp/quorum-execute-only-\(geteuid())"
        if mkdir(directory, 0o711) != 0 && errno != EEXIST {
            throw .systemCallFailed(call: "mkdir(\(directory))", errno: errno)
        }
        var folder = stat()
        guard lstat(directory, &folder) == 0 else { throw .systemCallFailed(call: "lstat(\(directory))", errno: errno) }
        guard folder.st_mode & S_IFMT == S_IFDIR, folder.st_uid == geteuid(), folder.st_mode & 0o022 == 0 else {
            throw .invalidConfiguration(field: "pythonPath", value: directory,
                                        expected: "a directory owned by uid \(geteuid()) that no one else may write "
                                            + "(it holds the interpreter's execute-only copy; remove it and run again)")
        }
        let name = "\(directory)/\((target as NSString).lastPathComponent)-\(original.st_dev)-\(original.st_ino)-"
            + "\(original.st_size)-\(original.st_mtim.tv_sec)"
        var existing = stat()
        if lstat(name, &existing) == 0, existing.st_mode & S_IFMT == S_IFREG, existing.st_uid == geteuid(),
           existing.st_mode & 0o7777 == 0o111, existing.st_size == original.st_size {
            return name
        }
        let input = open(target, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw .systemCallFailed(call: "open(\(target))", errno: errno) }
        defer { close(input) }
        let temporary = "\(name).\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let output = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard output >= 0 else { throw .systemCallFailed(call: "open(\(temporary))", errno: errno) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if count == 0 { break }
            guard count > 0 else {
                let code = errno
                close(output)
                unlink(temporary)
                throw .systemCallFailed(call: "read(\(target))", errno: code)
            }
            var offset = 0
            while offset < count {
                let written = buffer[offset..<count].withUnsafeBytes { write(output, $0.baseAddress, $0.count) }
                guard written > 0 else {
                    let code = errno
                    close(output)
                    unlink(temporary)
                    throw .systemCallFailed(call: "write(\(temporary))", errno: code)
                }
                offset += written
            }
        }
        let executeOnly = fchmod(output, 0o111) == 0
        guard close(output) == 0, executeOnly, rename(temporary, name) == 0 else {
            let code = errno
            unlink(temporary)
            throw .systemCallFailed(call: "making \(name)", errno: code)
        }
        return name
    }
}
