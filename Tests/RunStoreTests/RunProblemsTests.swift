import Foundation
import RunStore
import ScalingCore
import TestSupport
import Testing

/// Schema 3: the problems a run was asked for, problems without samples, permanent failures,
/// and the migration of a version-2 store.
struct RunProblemsTests {
    @Test func problemsWithoutSamplesAreListedWithTheirLastFailure() throws {
        let store = try RunStore(path: RunStoreTests.temporaryStorePath())
        let run = try store.beginRun(RunStoreTests.configuration())
        try store.registerProblems(runID: run, problemIDs: ["p1", "p2", "p3", "p4"])
        try store.registerProblems(runID: run, problemIDs: ["p1"])   // idempotent
        try store.insert(RunStoreTests.record("p1", 0), runID: run)
        try store.recordFailure(runID: run, problemID: "p2", sampleIndex: 0, error: "timed out")
        try store.recordFailure(runID: run, problemID: "p3", sampleIndex: 0, error: "prompt too long", permanent: true)
        try store.recordFailure(runID: run, problemID: "p3", sampleIndex: 1, error: "timed out")
        #expect(try store.problemIDs(runID: run) == ["p1", "p2", "p3", "p4"])
        #expect(try store.unsampledProblems(runID: run) == [
            UnsampledProblem(problemID: "p2", error: "timed out", permanent: false),
            UnsampledProblem(problemID: "p3", error: "prompt too long", permanent: true),   // the permanent reason first
            UnsampledProblem(problemID: "p4", error: nil, permanent: false),
        ])
        let failures = try store.failedRequests(runID: run)
        #expect(failures.map(\.permanent) == [false, true, false])
        let summary = try #require(try store.runs().first)
        #expect(summary.problemCount == 4 && summary.unsampledProblemCount == 3 && summary.sampleCount == 1)
        // Python's sqlite3 sees the same: an independent reader of the file.
        #expect(try RunStoreTests.sqlite(store.path, "SELECT problem_id, permanent FROM failed_requests ORDER BY 1, sample_index")
                == "p2|0\np3|1\np3|0")
    }

    @Test func aVersion2StoreIsMigratedKeepingEveryRow() throws {
        let path = RunStoreTests.temporaryStorePath()
        let run: String
        do {
            let store = try RunStore(path: path)
            run = try store.beginRun(RunStoreTests.configuration())
            try store.insert(RunStoreTests.record("p1", 0), runID: run)
            try store.insert(RunStoreTests.record("p1", 1, outcome: .failed), runID: run)
            try store.recordFailure(runID: run, problemID: "p2", sampleIndex: 0, error: "timed out")
        }
        // Turn it into the version-2 store an older Quorum wrote: no run_problems, no sample_claims, no permanent column.
        _ = try RunStoreTests.sqlite(path, "DROP TABLE run_problems")
        _ = try RunStoreTests.sqlite(path, "DROP TABLE sample_claims")
        _ = try RunStoreTests.sqlite(path, "ALTER TABLE failed_requests DROP COLUMN permanent")
        _ = try RunStoreTests.sqlite(path, "PRAGMA user_version = 2")
        #expect(try RunStoreTests.sqlite(path, "PRAGMA user_version") == "2")

        let store = try RunStore(path: path)
        #expect(try RunStoreTests.sqlite(path, "PRAGMA user_version") == "3")
        #expect(try store.samples(runID: run).count == 2)
        // The problems the old store knew of (from samples and failures) belong to the run.
        #expect(try store.problemIDs(runID: run) == ["p1", "p2"])
        #expect(try store.unsampledProblems(runID: run) == [UnsampledProblem(problemID: "p2", error: "timed out", permanent: false)])
        let failures = try store.failedRequests(runID: run)
        #expect(failures.count == 1 && failures[0].attempts == 1 && !failures[0].permanent)
        #expect(try RunStoreTests.sqlite(path, "PRAGMA integrity_check") == "ok")
    }
}

/// Issue 20, finding 6: reading a store must not need write access, and a damaged store is
/// named as damaged with what to do.
struct StoreAccessTests {
    @Test func aStoreOpenedForReadingIsReadAndNeverWritten() throws {
        let path = RunStoreTests.temporaryStorePath()
        let run: String
        do {
            let store = try RunStore(path: path)
            run = try store.beginRun(RunStoreTests.configuration())
            try store.registerProblems(runID: run, problemIDs: ["p1", "p2"])
            try store.insert(RunStoreTests.record("p1", 0), runID: run)
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let reader = try RunStore(path: path, readOnly: true)
        #expect(reader.isReadOnly)
        #expect(try reader.samples(runID: run).count == 1)
        #expect(try reader.runs().first?.unsampledProblemCount == 1)
        #expect(throws: RunStoreError.readOnly(path: path)) { try reader.insert(RunStoreTests.record("p2", 0), runID: run) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        // The writable check picks read-write here (root, or a writable temporary folder).
        #expect(try RunStore.forReading(path: path).isReadOnly == (access(path, W_OK) != 0))
    }

    @Test func aDamagedStoreSaysSoAndWhatToDo() throws {
        let path = RunStoreTests.temporaryStorePath()
        do {
            let store = try RunStore(path: path)
            let run = try store.beginRun(RunStoreTests.configuration())
            for i in 0..<200 { try store.insert(RunStoreTests.record("p\(i)", 0, text: String(repeating: "x", count: 500)), runID: run) }
            _ = try RunStoreTests.sqlite(path, "PRAGMA wal_checkpoint(TRUNCATE)")
        }
        // Keep the first page (the header and the schema), overwrite the rest with garbage.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let pageSize = 4096
        #expect(bytes.count > 4 * pageSize)
        bytes.replaceSubrange(pageSize..<bytes.count, with: Data(repeating: 0xA5, count: bytes.count - pageSize))
        try bytes.write(to: URL(fileURLWithPath: path))
        do {
            let store = try RunStore(path: path)
            _ = try store.runs()
            _ = try store.samples(runID: try store.runIDs().first ?? "")
            Issue.record("the damaged store was read without an error")
        } catch {
            #expect("\(error)".contains("is damaged") && "\(error)".contains(path) && "\(error)".contains("integrity_check")
                    && "\(error)".contains("--store"), "\(error)")
        }
    }
}
