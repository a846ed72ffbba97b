import CSQLite
import Foundation
import ScalingCore

/// One stored sample: the completion, its cost and its verdict.
public struct SampleRecord: Codable, Sendable, Hashable {
    public var problemID: String
    public var sampleIndex: Int
    public var seed: UInt64
    public var completion: Completion
    public var verdict: Verdict

    public init(problemID: String, sampleIndex: Int, seed: UInt64, completion: Completion, verdict: Verdict) {
        self.problemID = problemID
        self.sampleIndex = sampleIndex
        self.seed = seed
        self.completion = completion
        self.verdict = verdict
    }
}

/// A run as `quorum runs` lists it.
public struct RunSummary: Sendable, Hashable {
    public var id: String
    public var configuration: RunConfiguration
    public var createdAt: Date
    public var problemCount: Int
    public var sampleCount: Int
    public var passedCount: Int
    public var failedRequests: Int
}

/// The SQLite store of runs and samples.
///
/// Every sample is written in its own transaction the moment it is verified, in WAL
/// mode, so `kill -9` loses at most the samples in flight and never corrupts the file;
/// a resumed run asks `storedSampleIndices` what is there and does only the rest.
/// Samples are keyed by (run, problem, sample index) and carry their seed.
///
/// Thread-safe: calls are serialised on one connection (SQLite writes are serial anyway).
///
/// Schema versions: 1 has runs, samples and failed requests; 2 adds the strategy tables
/// (`RunStore+Strategies.swift`). Opening a version-1 store adds them and keeps every row.
public final class RunStore: @unchecked Sendable {
    public static let schemaVersion = 2
    public let path: String
    let connection: SQLiteConnection
    private let lock = NSLock()

    /// The default store: `$QUORUM_HOME/runs.sqlite`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        QuorumHome.path(environment: environment) + "/runs.sqlite"
    }

    /// Opens (creating if needed) a store. A file that is not a Quorum store, or one
    /// written by a newer Quorum, is refused and left untouched.
    public init(path: String) throws(RunStoreError) {
        self.path = path
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        connection = try SQLiteConnection(path: path)
        do {
            let version = try connection.prepare("PRAGMA user_version").rows().first?.int(0) ?? 0
            if version > Self.schemaVersion {
                throw RunStoreError.newerSchema(path: path, found: version, supported: Self.schemaVersion)
            }
            let tables = try connection.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").rows().compactMap { $0.text(0) }
            if version == 0 && !tables.isEmpty {
                throw RunStoreError.notAStore(path: path, reason: "it has tables \(tables.joined(separator: ", ")) but no Quorum schema version")
            }
            try connection.execute("PRAGMA journal_mode = WAL")
            // NORMAL with WAL: a process crash loses nothing committed; a power cut may lose the last commits.
            try connection.execute("PRAGMA synchronous = NORMAL")
            if version == 0 { try createSchema() }
            if version < 2 { try addStrategyTables() }
        } catch let error as RunStoreError {
            if case .sqlite(_, _, let message) = error, message.contains("not a database") {
                throw .notAStore(path: path, reason: message)
            }
            throw error
        } catch {
            throw .cannotOpen(path: path, reason: "\(error)")
        }
    }

    private func createSchema() throws(RunStoreError) {
        try connection.transaction { () throws(RunStoreError) in
            try connection.execute("""
                CREATE TABLE runs (
                    id TEXT PRIMARY KEY,
                    configuration TEXT NOT NULL,
                    created_at REAL NOT NULL
                );
                CREATE TABLE samples (
                    run_id TEXT NOT NULL REFERENCES runs(id),
                    problem_id TEXT NOT NULL,
                    sample_index INTEGER NOT NULL,
                    seed INTEGER NOT NULL,
                    completion TEXT NOT NULL,
                    finish_reason TEXT NOT NULL,
                    prompt_tokens INTEGER NOT NULL,
                    completion_tokens INTEGER NOT NULL,
                    seconds REAL NOT NULL,
                    logprob_sum REAL,
                    outcome TEXT NOT NULL,
                    extracted TEXT,
                    detail TEXT,
                    created_at REAL NOT NULL,
                    PRIMARY KEY (run_id, problem_id, sample_index)
                );
                CREATE TABLE failed_requests (
                    run_id TEXT NOT NULL REFERENCES runs(id),
                    problem_id TEXT NOT NULL,
                    sample_index INTEGER NOT NULL,
                    error TEXT NOT NULL,
                    attempts INTEGER NOT NULL,
                    last_attempt_at REAL NOT NULL,
                    PRIMARY KEY (run_id, problem_id, sample_index)
                );
                PRAGMA user_version = 1;
                """)
        }
    }

    func locked<T>(_ body: () throws(RunStoreError) -> T) throws(RunStoreError) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// Registers a run (idempotent) and returns its id.
    @discardableResult
    public func beginRun(_ configuration: RunConfiguration, at date: Date = Date()) throws(RunStoreError) -> String {
        let id = configuration.id
        try locked { () throws(RunStoreError) in
            try connection.prepare("INSERT OR IGNORE INTO runs (id, configuration, created_at) VALUES (?, ?, ?)")
                .run([.text(id), .text(configuration.canonicalJSON), .real(date.timeIntervalSince1970)])
        }
        return id
    }

    /// The configuration of a stored run.
    public func configuration(ofRun id: String) throws(RunStoreError) -> RunConfiguration {
        let rows = try locked { () throws(RunStoreError) in
            try connection.prepare("SELECT configuration FROM runs WHERE id = ?").rows([.text(id)])
        }
        guard let json = rows.first?.text(0) else {
            throw .unknownRun(path: path, id: id, known: (try? runIDs()) ?? [])
        }
        do {
            return try JSONDecoder().decode(RunConfiguration.self, from: Data(json.utf8))
        } catch {
            throw .notAStore(path: path, reason: "run \(id) has an unreadable configuration: \(error)")
        }
    }

    public func runIDs() throws(RunStoreError) -> [String] {
        try locked { () throws(RunStoreError) in
            try connection.prepare("SELECT id FROM runs ORDER BY created_at").rows().compactMap { $0.text(0) }
        }
    }

    /// Stores one sample in its own transaction and clears any failure recorded for it.
    ///
    /// - Throws: `.conflictingSample` when a different sample is already stored under the
    ///   same key (the stored one is kept). Storing the identical sample again is a no-op.
    public func insert(_ record: SampleRecord, runID: String, at date: Date = Date()) throws(RunStoreError) {
        try locked { () throws(RunStoreError) in
            try connection.transaction { () throws(RunStoreError) in
                let c = record.completion
                try connection.prepare("""
                    INSERT OR IGNORE INTO samples (run_id, problem_id, sample_index, seed, completion, finish_reason,
                        prompt_tokens, completion_tokens, seconds, logprob_sum, outcome, extracted, detail, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """).run([
                    .text(runID), .text(record.problemID), .integer(Int64(record.sampleIndex)),
                    .integer(Int64(bitPattern: record.seed)), .text(c.text), .text(c.finishReason.rawValue),
                    .integer(Int64(c.promptTokens)), .integer(Int64(c.completionTokens)), .real(c.seconds),
                    .optional(c.logprobSum), .text(record.verdict.outcome.rawValue),
                    .optional(record.verdict.extracted), .optional(record.verdict.detail), .real(date.timeIntervalSince1970),
                ])
                if connection.changes == 0 {
                    let stored = try connection.prepare("SELECT seed, completion FROM samples WHERE run_id = ? AND problem_id = ? AND sample_index = ?")
                        .rows([.text(runID), .text(record.problemID), .integer(Int64(record.sampleIndex))])
                    if let row = stored.first, row.text(1) != c.text || UInt64(bitPattern: Int64(row.int(0))) != record.seed {
                        throw RunStoreError.conflictingSample(runID: runID, problemID: record.problemID, sampleIndex: record.sampleIndex)
                    }
                }
                try connection.prepare("DELETE FROM failed_requests WHERE run_id = ? AND problem_id = ? AND sample_index = ?")
                    .run([.text(runID), .text(record.problemID), .integer(Int64(record.sampleIndex))])
            }
        }
    }

    /// Records that producing a sample failed (after the backend's own retries), so it
    /// is reported and a resumed run tries it again.
    public func recordFailure(runID: String, problemID: String, sampleIndex: Int, error: String,
                              at date: Date = Date()) throws(RunStoreError) {
        try locked { () throws(RunStoreError) in
            try connection.prepare("""
                INSERT INTO failed_requests (run_id, problem_id, sample_index, error, attempts, last_attempt_at)
                VALUES (?, ?, ?, ?, 1, ?)
                ON CONFLICT (run_id, problem_id, sample_index) DO UPDATE SET
                    error = excluded.error, attempts = attempts + 1, last_attempt_at = excluded.last_attempt_at
                """).run([.text(runID), .text(problemID), .integer(Int64(sampleIndex)), .text(error), .real(date.timeIntervalSince1970)])
        }
    }

    /// Failed requests still outstanding: (problem id, sample index, error, attempts).
    public func failedRequests(runID: String) throws(RunStoreError) -> [(problemID: String, sampleIndex: Int, error: String, attempts: Int)] {
        try locked { () throws(RunStoreError) in
            try connection.prepare("SELECT problem_id, sample_index, error, attempts FROM failed_requests WHERE run_id = ? ORDER BY problem_id, sample_index")
                .rows([.text(runID)]).map { ($0.text(0) ?? "", $0.int(1), $0.text(2) ?? "", $0.int(3)) }
        }
    }

    /// Which sample indices each problem already has.
    public func storedSampleIndices(runID: String) throws(RunStoreError) -> [String: Set<Int>] {
        let rows = try locked { () throws(RunStoreError) in
            try connection.prepare("SELECT problem_id, sample_index FROM samples WHERE run_id = ?").rows([.text(runID)])
        }
        var out: [String: Set<Int>] = [:]
        for row in rows { out[row.text(0) ?? "", default: []].insert(row.int(1)) }
        return out
    }

    /// All samples of a run, ordered by problem id and sample index.
    public func samples(runID: String) throws(RunStoreError) -> [SampleRecord] {
        let rows = try locked { () throws(RunStoreError) in
            try connection.prepare("""
                SELECT problem_id, sample_index, seed, completion, finish_reason, prompt_tokens, completion_tokens,
                       seconds, logprob_sum, outcome, extracted, detail
                FROM samples WHERE run_id = ? ORDER BY problem_id, sample_index
                """).rows([.text(runID)])
        }
        return rows.map { row in
            let seed = UInt64(bitPattern: Int64(row.int(2)))
            return SampleRecord(
                problemID: row.text(0) ?? "", sampleIndex: row.int(1), seed: seed,
                completion: Completion(text: row.text(3) ?? "", finishReason: FinishReason(rawValue: row.text(4) ?? "") ?? .error,
                                       seed: seed, promptTokens: row.int(5), completionTokens: row.int(6),
                                       seconds: row.double(7) ?? 0, logprobSum: row.double(8)),
                verdict: Verdict(Verdict.Outcome(rawValue: row.text(9) ?? "") ?? .unknown, extracted: row.text(10), detail: row.text(11)))
        }
    }

    /// Every run with its progress, oldest first.
    public func runs() throws(RunStoreError) -> [RunSummary] {
        let rows = try locked { () throws(RunStoreError) in
            try connection.prepare("""
                SELECT r.id, r.configuration, r.created_at,
                       (SELECT COUNT(DISTINCT problem_id) FROM samples s WHERE s.run_id = r.id),
                       (SELECT COUNT(*) FROM samples s WHERE s.run_id = r.id),
                       (SELECT COUNT(*) FROM samples s WHERE s.run_id = r.id AND s.outcome = 'passed'),
                       (SELECT COUNT(*) FROM failed_requests f WHERE f.run_id = r.id)
                FROM runs r ORDER BY r.created_at
                """).rows()
        }
        return rows.compactMap { row in
            guard let id = row.text(0), let json = row.text(1),
                  let configuration = try? JSONDecoder().decode(RunConfiguration.self, from: Data(json.utf8)) else { return nil }
            return RunSummary(id: id, configuration: configuration, createdAt: Date(timeIntervalSince1970: row.double(2) ?? 0),
                              problemCount: row.int(3), sampleCount: row.int(4), passedCount: row.int(5), failedRequests: row.int(6))
        }
    }
}
