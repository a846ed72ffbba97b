import Datasets
import Foundation
import ScalingCore
import TestSupport
import Verifiers

/// Sandboxes and data shared by the code-verifier tests.
///
/// Control groups are required here: the tests prove the whole-run memory and process
/// caps, so a machine without them fails loudly instead of passing on weaker protection.
enum CodeTestSupport {
    /// The benchmark sandbox: default limits, as users get them.
    static let sandboxResult: Result<Sandbox, SandboxError> = {
        do throws(SandboxError) {
            return .success(try Sandbox(configuration: SandboxConfiguration(controlGroups: .required)))
        } catch { return .failure(error) }
    }()

    /// Tight limits so the hostile corpus runs in seconds; its own uid range, so the host
    /// check can look for leftovers of exactly these runs.
    static let hostileLimits = SandboxLimits(
        wallClockSeconds: 4, cpuSeconds: 2, addressSpaceBytes: 512 << 20, memoryBytes: 256 << 20, processes: 16,
        fileSizeBytes: 16 << 20, openFiles: 64, temporaryBytes: 32 << 20, sharedMemoryBytes: 8 << 20,
        keptOutputBytes: 16 << 10)
    static let hostileUserBase: UInt32 = 1_900_100_000
    static let hostileSlots = 2
    static let hostileSandboxResult: Result<Sandbox, SandboxError> = {
        do throws(SandboxError) {
            return .success(try Sandbox(configuration: SandboxConfiguration(
                limits: hostileLimits, maxConcurrentRuns: hostileSlots, controlGroups: .required,
                sandboxUserBase: hostileUserBase)))
        } catch { return .failure(error) }
    }()

    /// For the other small tests (command verifier, output caps): hostile limits, a third uid
    /// range, so they never show up in the hostile suite's host check.
    static let unitSandboxResult: Result<Sandbox, SandboxError> = {
        do throws(SandboxError) {
            return .success(try Sandbox(configuration: SandboxConfiguration(
                limits: hostileLimits, maxConcurrentRuns: 2, controlGroups: .required, sandboxUserBase: 1_900_200_000)))
        } catch { return .failure(error) }
    }()

    static func sandbox() throws -> Sandbox { try sandboxResult.get() }
    static func unitSandbox() throws -> Sandbox { try unitSandboxResult.get() }
    static func hostileSandbox() throws -> Sandbox { try hostileSandboxResult.get() }

    static func humanEval() throws -> [Problem] {
        let url = try TestPaths.sharedDataFile("humaneval/HumanEval.jsonl.gz")
        return try Dataset.load(path: url.path, format: .humaneval).problems
    }

    static func mbpp(sanitized: Bool) throws -> [Problem] {
        let url = try TestPaths.sharedDataFile(sanitized ? "mbpp/sanitized-mbpp.json" : "mbpp/mbpp.jsonl")
        return try Dataset.load(path: url.path, format: sanitized ? .mbppSanitized : .mbpp).problems
    }

    /// Verifies every (completion, problem) pair concurrently; the sandbox bounds how many run at once.
    static func verifyAll(_ verifier: some Verifier, _ pairs: [(String, Problem)]) async -> [Verdict] {
        await withTaskGroup(of: (Int, Verdict).self) { group in
            for (index, (completion, problem)) in pairs.enumerated() {
                group.addTask { (index, await verifier.verify(completion, for: problem)) }
            }
            var verdicts = [Verdict](repeating: Verdict(.unknown), count: pairs.count)
            for await (index, verdict) in group { verdicts[index] = verdict }
            return verdicts
        }
    }

    /// Live host processes whose real uid lies in [base, base + count): what a run left behind.
    /// Zombies are not counted: bwrap's pid 1 exits after the outer bwrap and is reaped by the
    /// host's init a moment later; it holds no memory and runs nothing.
    static func hostProcesses(uidBase: UInt32, count: Int) -> [String] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        var found: [String] = []
        for entry in entries where Int(entry) != nil {
            guard let status = try? String(contentsOfFile: "/proc/\(entry)/status", encoding: .utf8) else { continue }
            if status.contains("State:\tZ") { continue }
            for line in status.split(separator: "\n") where line.hasPrefix("Uid:") {
                if let uid = line.split(whereSeparator: \.isWhitespace).dropFirst().first.flatMap({ UInt32($0) }),
                   uid >= uidBase, uid < uidBase + UInt32(count) {
                    let name = status.split(separator: "\n").first ?? ""
                    found.append("pid \(entry) \(name)")
                }
            }
        }
        return found
    }
}
