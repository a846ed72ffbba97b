import Foundation

/// Which control-group support the sandbox found, for reports and docs.
public enum ControlGroupSupport: Sendable, Hashable, CustomStringConvertible {
    /// cgroup v1: per-run groups under the memory and pids hierarchies.
    case version1
    /// cgroup v2: a per-run group with the memory and pids controllers.
    case version2
    /// No usable control groups; only per-process rlimits bound memory and processes.
    case unavailable(reason: String)

    public var isAvailable: Bool {
        if case .unavailable = self { return false }
        return true
    }

    public var description: String {
        switch self {
        case .version1: "cgroup v1 (memory + pids)"
        case .version2: "cgroup v2 (memory + pids)"
        case .unavailable(let reason): "no control groups (\(reason))"
        }
    }
}

/// Where the per-run control groups live: found once from /proc/self/mountinfo and
/// /proc/self/cgroup, so runs nest inside the cgroup this process already belongs to
/// (a container's memory limit keeps applying to everything the sandbox starts).
struct ControlGroupHierarchy: Sendable {
    enum Layout: Sendable {
        case version1(memory: String, pids: String)
        case version2(String)
    }
    let layout: Layout

    var support: ControlGroupSupport {
        switch layout {
        case .version1: .version1
        case .version2: .version2
        }
    }

    /// Finds a writable hierarchy with memory and pids control, or says why there is none.
    static func detect() -> Result<ControlGroupHierarchy, SandboxError> {
        guard geteuid() == 0 else {
            return .failure(.controlGroupUnavailable(reason: "not running as root, so groups cannot be created"))
        }
        guard let mountInfo = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8),
              let membership = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)
        else { return .failure(.controlGroupUnavailable(reason: "cannot read /proc/self/mountinfo or /proc/self/cgroup")) }

        // Own group per hierarchy: "4:memory:/a/b" (v1) or "0::/a/b" (v2).
        var ownPathByController: [String: String] = [:]
        var ownUnifiedPath: String?
        for line in membership.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            if parts[0] == "0" && parts[1].isEmpty { ownUnifiedPath = String(parts[2]); continue }
            for controller in parts[1].split(separator: ",") { ownPathByController[String(controller)] = String(parts[2]) }
        }

        // Mount points: "... <mount point> <options> - <fstype> <source> <super options>".
        var v1MountByController: [String: String] = [:]
        var v2Mount: String?
        for line in mountInfo.split(separator: "\n") {
            let halves = line.components(separatedBy: " - ")
            guard halves.count == 2 else { continue }
            let left = halves[0].split(separator: " "), right = halves[1].split(separator: " ")
            guard left.count >= 5, right.count >= 3 else { continue }
            let mountPoint = String(left[4])
            if right[0] == "cgroup2" { v2Mount = mountPoint }
            if right[0] == "cgroup" {
                for option in right[2].split(separator: ",") where option == "memory" || option == "pids" {
                    v1MountByController[String(option)] = mountPoint
                }
            }
        }

        func directory(mount: String, own: String?) -> String {
            let candidate = mount + (own ?? "/")
            return FileManager.default.fileExists(atPath: candidate) ? candidate : mount
        }

        if let memoryMount = v1MountByController["memory"], let pidsMount = v1MountByController["pids"] {
            let memory = directory(mount: memoryMount, own: ownPathByController["memory"]) + "/quorum-sandbox"
            let pids = directory(mount: pidsMount, own: ownPathByController["pids"]) + "/quorum-sandbox"
            for dir in [memory, pids] where mkdir(dir, 0o755) != 0 && errno != EEXIST {
                return .failure(.controlGroupUnavailable(reason: "cannot create \(dir): \(String(cString: strerror(errno)))"))
            }
            return .success(ControlGroupHierarchy(layout: .version1(memory: memory, pids: pids)))
        }
        if let unified = v2Mount {
            let own = directory(mount: unified, own: ownUnifiedPath)
            let controllers = (try? String(contentsOfFile: own + "/cgroup.controllers", encoding: .utf8)) ?? ""
            let available = Set(controllers.split(whereSeparator: \.isWhitespace).map(String.init))
            guard available.isSuperset(of: ["memory", "pids"]) else {
                return .failure(.controlGroupUnavailable(
                    reason: "cgroup v2 at \(own) offers [\(available.sorted().joined(separator: " "))], not memory and pids"))
            }
            // Delegation: the parent must pass both controllers down. Writing subtree_control fails
            // when this process sits in `own` itself (v2's no-internal-processes rule).
            let subtree = (try? String(contentsOfFile: own + "/cgroup.subtree_control", encoding: .utf8)) ?? ""
            if !Set(subtree.split(whereSeparator: \.isWhitespace).map(String.init)).isSuperset(of: ["memory", "pids"]) {
                let code = ControlGroup.write("+memory +pids", to: own + "/cgroup.subtree_control")
                if code != 0 {
                    return .failure(.controlGroupUnavailable(
                        reason: "cannot enable memory and pids in \(own)/cgroup.subtree_control: \(String(cString: strerror(code)))"))
                }
            }
            let base = own + "/quorum-sandbox"
            if mkdir(base, 0o755) != 0 && errno != EEXIST {
                return .failure(.controlGroupUnavailable(reason: "cannot create \(base): \(String(cString: strerror(errno)))"))
            }
            _ = ControlGroup.write("+memory +pids", to: base + "/cgroup.subtree_control")
            return .success(ControlGroupHierarchy(layout: .version2(base)))
        }
        return .failure(.controlGroupUnavailable(reason: "no memory and pids controllers are mounted"))
    }

    /// mkdir, replacing an empty group of the same name left by a crashed process whose pid
    /// was reused (rmdir of a group still holding processes fails, so a live one is never taken).
    private static func makeDirectory(_ path: String) -> Int32 {
        if mkdir(path, 0o755) == 0 { return 0 }
        guard errno == EEXIST, rmdir(path) == 0, mkdir(path, 0o755) == 0 else { return errno }
        return 0
    }

    /// Creates one run's group with its caps set, ready to be joined.
    func makeGroup(name: String, memoryBytes: Int, processes: Int) throws(SandboxError) -> ControlGroup {
        switch layout {
        case .version1(let memoryBase, let pidsBase):
            let memory = memoryBase + "/" + name, pids = pidsBase + "/" + name
            var created: [String] = []
            for dir in [memory, pids] {
                let code = Self.makeDirectory(dir)
                if code != 0 {
                    ControlGroup(directories: created, version: 1).remove()
                    throw .controlGroupFailed(path: dir, operation: "mkdir", errno: code)
                }
                created.append(dir)
            }
            let group = ControlGroup(directories: created, version: 1)
            var settings = [(memory + "/memory.limit_in_bytes", "\(memoryBytes)"), (pids + "/pids.max", "\(processes)")]
            // With swap accounting, memory+swap gets the same cap so swap cannot stretch it.
            if FileManager.default.fileExists(atPath: memory + "/memory.memsw.limit_in_bytes") {
                settings.append((memory + "/memory.memsw.limit_in_bytes", "\(memoryBytes)"))
            }
            try group.apply(settings)
            return group
        case .version2(let base):
            let dir = base + "/" + name
            let code = Self.makeDirectory(dir)
            guard code == 0 else { throw .controlGroupFailed(path: dir, operation: "mkdir", errno: code) }
            let group = ControlGroup(directories: [dir], version: 2)
            var settings = [(dir + "/memory.max", "\(memoryBytes)"), (dir + "/pids.max", "\(processes)")]
            if FileManager.default.fileExists(atPath: dir + "/memory.swap.max") { settings.append((dir + "/memory.swap.max", "0")) }
            try group.apply(settings)
            return group
        }
    }
}

/// One run's control group(s): joined by the launcher before it execs bwrap, so every
/// process of the run is charged to it; killed and removed when the run ends.
final class ControlGroup: Sendable {
    let directories: [String]
    let version: Int

    init(directories: [String], version: Int) {
        self.directories = directories
        self.version = version
    }

    /// The files a process writes its pid to in order to join.
    var joinFiles: [String] { directories.map { $0 + "/cgroup.procs" } }

    fileprivate func apply(_ settings: [(String, String)]) throws(SandboxError) {
        for (path, value) in settings {
            let code = Self.write(value, to: path)
            if code != 0 {
                remove()
                throw .controlGroupFailed(path: path, operation: "write \(value)", errno: code)
            }
        }
    }

    /// Kills every process in the group, again and again until it is empty (a fork bomb
    /// races the killer, but pids.max bounds how many it can make).
    func killAll() {
        if version == 2, Self.write("1", to: directories[0] + "/cgroup.kill") == 0 {
            for _ in 0..<200 where !isEmpty { usleep(5_000) }
            return
        }
        for _ in 0..<200 {
            let pids = members()
            if pids.isEmpty { return }
            for pid in pids { kill(pid, SIGKILL) }
            usleep(5_000)
        }
    }

    var isEmpty: Bool { members().isEmpty }

    private func members() -> [pid_t] {
        var pids: [pid_t] = []
        for file in joinFiles {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { continue }
            pids += text.split(separator: "\n").compactMap { pid_t($0) }
        }
        return pids
    }

    /// Whether the run hit the group's memory cap (an OOM kill) or its process cap (a refused fork).
    func limitsHit() -> (memory: Bool, processes: Bool) {
        func counter(_ file: String, _ key: String) -> Int? {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
            for line in text.split(separator: "\n") {
                let fields = line.split(separator: " ")
                if fields.count == 2, fields[0] == key { return Int(fields[1]) }
            }
            return nil
        }
        if version == 1 {
            let memory = directories[0], pids = directories[1]
            let oomKills = counter(memory + "/memory.oom_control", "oom_kill")
            let memoryHit = oomKills.map { $0 > 0 } ?? ((Int(Self.read(memory + "/memory.failcnt") ?? "") ?? 0) > 0)
            return (memoryHit, (counter(pids + "/pids.events", "max") ?? 0) > 0)
        }
        let dir = directories[0]
        return ((counter(dir + "/memory.events", "oom_kill") ?? 0) > 0, (counter(dir + "/pids.events", "max") ?? 0) > 0)
    }

    /// Removes the group's directories (after `killAll`); retries while the kernel finishes reaping.
    func remove() {
        for dir in directories.reversed() {
            for _ in 0..<100 {
                if rmdir(dir) == 0 || errno == ENOENT { break }
                usleep(5_000)
            }
        }
    }

    static func read(_ path: String) -> String? {
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Writes a control file in place (cgroup files must not be replaced atomically); returns errno or 0.
    static func write(_ value: String, to path: String) -> Int32 {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return errno }
        defer { close(fd) }
        let bytes = Array(value.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        return written == bytes.count ? 0 : (written < 0 ? errno : EIO)
    }
}
