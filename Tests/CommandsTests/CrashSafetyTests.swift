import Foundation
import RunStore
import ScalingCore
import TestSupport
import Testing

/// `quorum run` on the real default model, killed with SIGKILL at random moments and
/// resumed, must end with exactly the samples of an uninterrupted run, in a store that
/// passes SQLite's integrity check. Also: extending a run from n = 3 to n = 6 equals
/// running n = 6 at once.
@Suite(.serialized)
struct CrashSafetyTests {
    static func arguments(store: String, n: Int) -> [String] {
        ["run", "--dataset", try! TestPaths.sharedDataFile("gsm8k/test.jsonl").path, "--limit", "3", "-n", "\(n)",
         "--max-tokens", "24", "--samples-per-request", "2", "--store", store, "--quiet", "--seed", "11"]
    }

    static func launch(_ arguments: [String]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try TestPaths.quorumBinary())
        p.arguments = arguments
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    static func runToEnd(_ arguments: [String]) throws {
        let p = try launch(arguments)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw TestSupportError("quorum \(arguments.joined(separator: " ")) exited with \(p.terminationStatus)")
        }
    }

    /// (problem, index, seed, text, verdict) of every stored sample.
    static func contents(_ path: String) throws -> [String] {
        let store = try RunStore(path: path)
        let ids = try store.runIDs()
        #expect(ids.count == 1)
        return try store.samples(runID: ids[0]).map {
            "\($0.problemID)#\($0.sampleIndex)#\($0.seed)#\($0.verdict.outcome.rawValue)#\($0.completion.text)"
        }
    }

    static func integrity(_ path: String) throws -> String {
        try Shell.output(["python3", "-c", "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('PRAGMA integrity_check').fetchone()[0])", path])
    }

    @Test func killedAndResumedRunEqualsAnUninterruptedOne() throws {
        _ = try TestPaths.defaultModel()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-crash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let reference = folder.appendingPathComponent("reference.sqlite").path
        let crashed = folder.appendingPathComponent("crashed.sqlite").path

        // Reference: n = 3, then extended to n = 6. The first run's duration scales the kill moments
        // below: fixed moments either never kill a fast run on a quiet machine or only ever hit model
        // loading on a slow one.
        let started = Date()
        try Self.runToEnd(Self.arguments(store: reference, n: 3))
        let firstRunSeconds = Date().timeIntervalSince(started)
        let firstHalf = try Self.contents(reference)
        #expect(firstHalf.count == 9)
        try Self.runToEnd(Self.arguments(store: reference, n: 6))
        let expected = try Self.contents(reference)
        #expect(expected.count == 18)
        #expect(expected.filter { line in firstHalf.contains(line) }.count == 9, "extension changed existing samples")

        // Crashed: kill -9 at random moments until a run completes by itself (at most 12 kills). A run
        // from scratch to n = 6 does at least the first reference run's work, so the first launch is
        // killed before it can finish; resumed launches have less left and may finish on their own.
        var kills = 0
        var rng = SystemRandomNumberGenerator()
        while kills < 12 {
            let p = try Self.launch(Self.arguments(store: crashed, n: 6))
            Thread.sleep(forTimeInterval: firstRunSeconds * Double.random(in: 0.05...0.6, using: &rng))
            if !p.isRunning { break }
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            kills += 1
            #expect(try Self.integrity(crashed) == "ok")
        }
        try Self.runToEnd(Self.arguments(store: crashed, n: 6))
        #expect(kills >= 1, "the run finished before it could be killed once")
        #expect(try Self.integrity(crashed) == "ok")
        #expect(try Self.contents(crashed) == expected)
    }
}
