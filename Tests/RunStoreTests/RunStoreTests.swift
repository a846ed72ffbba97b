import Foundation
import RunStore
import ScalingCore
import TestSupport
import Testing

struct RunStoreTests {
    static func temporaryStorePath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("quorum-store-\(UUID().uuidString)/runs.sqlite").path
    }

    static func configuration(temperature: Double = 0.6, model: String = "smollm2-135m-instruct") -> RunConfiguration {
        RunConfiguration(dataset: "gsm8k:test", datasetSHA256: "abc", model: model, modelSHA256: "def", backend: "embedded",
                         promptTemplate: "gsm8k-chat", promptTemplateSHA256: "123",
                         sampling: SamplingParameters(temperature: temperature, maxTokens: 256), seed: 7, verifier: .math)
    }

    static func record(_ problem: String, _ index: Int, text: String = "The answer is 4.", outcome: Verdict.Outcome = .passed) -> SampleRecord {
        SampleRecord(problemID: problem, sampleIndex: index, seed: UInt64(index) &* 0x9E37_79B9_7F4A_7C15 >> 1,
                     completion: Completion(text: text, finishReason: .stop, promptTokens: 50, completionTokens: 12,
                                            seconds: 0.25, logprobSum: -3.5),
                     verdict: Verdict(outcome, extracted: "4", detail: "boxed"))
    }

    /// Runs SQL through Python's sqlite3 module: an independent reader of the store.
    static func sqlite(_ path: String, _ sql: String) throws -> String {
        try Shell.output(["python3", "-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print('\\n'.join('|'.join(map(str,r)) for r in c.execute(sys.argv[2]))); c.commit()", path, sql])
    }

    @Test func samplesRoundTripAndPythonSeesTheSameRows() throws {
        let path = Self.temporaryStorePath()
        let store = try RunStore(path: path)
        let run = try store.beginRun(Self.configuration())
        let records = [Self.record("p1", 0), Self.record("p1", 1, text: "I think 5", outcome: .failed), Self.record("p2", 0, text: "ünïcödé ✓")]
        for r in records { try store.insert(r, runID: run) }
        var expected = records
        for i in expected.indices { expected[i].completion.seed = expected[i].seed }
        #expect(try store.samples(runID: run) == expected)
        #expect(try store.storedSampleIndices(runID: run) == ["p1": [0, 1], "p2": [0]])
        // Python's sqlite3 reads what we wrote.
        #expect(try Self.sqlite(path, "SELECT problem_id, sample_index, outcome, completion FROM samples ORDER BY 1, 2")
                == "p1|0|passed|The answer is 4.\np1|1|failed|I think 5\np2|0|passed|ünïcödé ✓")
        #expect(try Self.sqlite(path, "PRAGMA journal_mode") == "wal")
        let summary = try #require(try store.runs().first)
        #expect(summary.id == run && summary.sampleCount == 3 && summary.passedCount == 2 && summary.problemCount == 2)
    }

    /// Configurations stored when the verifier was a string (written here by Python's sqlite3,
    /// ids computed by Python's hashlib) read back with the same verifier, canonical JSON and id:
    /// a built-in verifier and a library caller's own.
    @Test(arguments: [("python-tests", VerifierKind.pythonTests, "4dc4d99752ad6693"),
                      ("last-digit", VerifierKind.custom("last-digit"), "c06c81d26a739efc")])
    func storedVerifierNamesReadBackUnchanged(name: String, kind: VerifierKind, id: String) throws {
        let path = Self.temporaryStorePath()
        _ = try RunStore(path: path)
        let json = #"{"backend":"embedded","dataset":"gsm8k:test","datasetSHA256":"abc","model":"smollm2-135m-instruct","modelSHA256":"def","#
            + #""promptTemplate":"gsm8k-chat","promptTemplateSHA256":"123","sampling":{"maxTokens":256,"stop":[],"temperature":0.6},"#
            + #""seed":7,"verifier":"\#(name)"}"#
        _ = try Self.sqlite(path, "INSERT INTO runs (id, configuration, created_at) VALUES ('\(id)', '\(json)', 0)")
        let store = try RunStore(path: path)
        let configuration = try store.configuration(ofRun: id)
        #expect(configuration.verifier == kind)
        #expect(configuration.canonicalJSON == json)
        #expect(configuration.id == id)
        #expect(try store.runs().map(\.id) == [id])
    }

    @Test func runIdentityIgnoresCountButNotConfiguration() throws {
        let a = Self.configuration()
        #expect(a.id == Self.configuration().id)
        #expect(a.id != Self.configuration(temperature: 0.7).id)
        #expect(a.id != Self.configuration(model: "other.gguf").id)
        #expect(a.id.count == 16)
        // The id is the SHA-256 of the canonical JSON, as Python's hashlib computes it.
        let python = try Self.pythonSHA256(a.canonicalJSON)
        #expect(a.id == String(python.prefix(16)))
    }

    static func pythonSHA256(_ text: String) throws -> String {
        try Shell.output(["python3", "-c", "import hashlib,sys; print(hashlib.sha256(sys.argv[1].encode()).hexdigest())", text])
    }

    @Test func sampleSeedsAreStableAndDistinct() {
        let c = Self.configuration()
        let seeds = (0..<1000).map { c.sampleSeed(problemID: "gsm8k/test/3", index: $0) }
        #expect(Set(seeds).count == 1000)
        #expect(seeds[5] == c.sampleSeed(problemID: "gsm8k/test/3", index: 5))
        #expect(seeds[5] != c.sampleSeed(problemID: "gsm8k/test/4", index: 5))
        #expect(seeds.allSatisfy { $0 < 1 << 63 })
    }

    @Test func identicalReinsertIsANoOpAndAConflictKeepsTheStoredSample() throws {
        let store = try RunStore(path: Self.temporaryStorePath())
        let run = try store.beginRun(Self.configuration())
        try store.insert(Self.record("p", 0), runID: run)
        try store.insert(Self.record("p", 0), runID: run)
        #expect(throws: RunStoreError.conflictingSample(runID: run, problemID: "p", sampleIndex: 0)) {
            try store.insert(Self.record("p", 0, text: "something else"), runID: run)
        }
        #expect(try store.samples(runID: run).map(\.completion.text) == ["The answer is 4."])
    }

    @Test func failuresAreCountedAndClearedBySuccess() throws {
        let store = try RunStore(path: Self.temporaryStorePath())
        let run = try store.beginRun(Self.configuration())
        try store.recordFailure(runID: run, problemID: "p", sampleIndex: 3, error: "HTTP 503")
        try store.recordFailure(runID: run, problemID: "p", sampleIndex: 3, error: "timeout")
        let failed = try store.failedRequests(runID: run)
        #expect(failed.count == 1 && failed[0].attempts == 2 && failed[0].error == "timeout")
        #expect(try store.runs().first?.failedRequests == 1)
        try store.insert(Self.record("p", 3), runID: run)
        #expect(try store.failedRequests(runID: run).isEmpty)
    }

    @Test func foreignFilesAreRefusedAndLeftUntouched() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-foreign-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // Not SQLite at all.
        let text = folder.appendingPathComponent("notes.txt")
        try Data("my precious notes\n".utf8).write(to: text)
        #expect(throws: RunStoreError.self) { try RunStore(path: text.path) }
        #expect(try String(contentsOf: text, encoding: .utf8) == "my precious notes\n")
        // Another application's SQLite database.
        let other = folder.appendingPathComponent("other.sqlite").path
        _ = try Self.sqlite(other, "CREATE TABLE contacts (name TEXT)")
        do {
            _ = try RunStore(path: other)
            Issue.record("opened a foreign database")
        } catch {
            #expect(error.description.contains("is not a Quorum run store"))
            #expect(error.description.contains("contacts"))
        }
        #expect(try Self.sqlite(other, "SELECT name FROM sqlite_master") == "contacts")
        // A store from a newer Quorum.
        let newer = folder.appendingPathComponent("newer.sqlite").path
        _ = try Self.sqlite(newer, "PRAGMA user_version = 99")
        #expect(throws: RunStoreError.newerSchema(path: newer, found: 99, supported: RunStore.schemaVersion)) {
            try RunStore(path: newer)
        }
    }

    @Test func concurrentWritersLoseNothing() async throws {
        let path = Self.temporaryStorePath()
        let store = try RunStore(path: path)
        let run = try store.beginRun(Self.configuration())
        try await withThrowingTaskGroup(of: Void.self) { group in
            for p in 0..<8 {
                group.addTask {
                    for i in 0..<25 { try store.insert(Self.record("p\(p)", i), runID: run) }
                }
            }
            try await group.waitForAll()
        }
        #expect(try store.samples(runID: run).count == 200)
        // A second connection (another process would be the same) sees every row.
        #expect(try RunStore(path: path).samples(runID: run).count == 200)
        #expect(try Self.sqlite(path, "SELECT COUNT(*) FROM samples") == "200")
    }
}
