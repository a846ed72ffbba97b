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
    /// Problems of the run with no stored sample (`RunStore.unsampledProblems` says why).
    public var unsampledProblemCount: Int = 0
}

/// A problem of a run that has no stored sample: why (the last failure recorded for it,
/// nil when none was: the run was stopped before reaching it) and whether a retry can help.
public struct UnsampledProblem: Sendable, Hashable {
    public var problemID: String
    public var error: String?
    /// A failure no retry can fix (the prompt is longer than the context, ...); a resumed run skips it.
    public var permanent: Bool

    public init(problemID: String, error: String?, permanent: Bool) {
        self.problemID = problemID
        self.error = error
        self.permanent = permanent
    }
}

/// Who holds a sample claim: this host, this process, one invocation of a run.
public struct ClaimOwner: Sendable, Hashable {
    /// `host/pid/uuid`.
    public let id: String

    /// This machine's name, read once.
    static let host = ProcessInfo.processInfo.hostName

    /// A new owner for an invocation of this process.
    public init() {
        id = "\(Self.host)/\(getpid())/\(UUID().uuidString)"
    }

    /// An owner by its id (`host/pid/uuid`), as stored.
    public init(id: String) {
        self.id = id
    }

    /// Whether the process behind `id` may still be working: on this host, whether it
    /// exists; another host's process is assumed alive.
    static func isAlive(_ id: String) -> Bool {
        let parts = id.split(separator: "/")
        guard parts.count == 3, let pid = Int32(parts[1]) else { return false }
        guard parts[0] == host else { return true }
        return kill(pid, 0) == 0 || errno == EPERM
    }
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
/// (`RunStore+Strategies.swift`); 3 adds the problems each run was asked for
/// (`run_problems`, so a problem without any sample still counts) and marks permanent
/// failures. Opening an older store adds what is missing and keeps every row.
public final class RunStore: @unchecked Sendable {
    public static let schemaVersion = 3
    public let path: String
    let connection: SQLiteConnection
    private let lock = NSLock()

    /// The default store: `$QUORUM_HOME/runs.sqlite`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        QuorumHome.path(environment: environment) + "/runs.sqlite"
    }

    /// Whether the store was opened for reading only (`readOnly:`, `forReading`).
    public let isReadOnly: Bool

    /// Opens (creating if needed) a store. A file that is not a Quorum store, or one
    /// written by a newer Quorum, is refused and left untouched.
    ///
    /// - Parameter readOnly: open an existing store for reading only (nothing is created,
    ///   migrated or written; a write throws `.readOnly`).
    public init(path: String, readOnly: Bool = false) throws(RunStoreError) {
        self.path = path
        isReadOnly = readOnly
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty && !readOnly {
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        connection = try SQLiteConnection(path: path, readOnly: readOnly)
        do {
            let version = try connection.prepare("PRAGMA user_version").rows().first?.int(0) ?? 0
            if version > Self.schemaVersion {
                throw RunStoreError.newerSchema(path: path, found: version, supported: Self.schemaVersion)
            }
            let tables = try connection.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").rows().compactMap { $0.text(0) }
            if version == 0 && !tables.isEmpty {
                throw RunStoreError.notAStore(path: path, reason: "it has tables \(tables.joined(separator: ", ")) but no Quorum schema version")
            }
            if readOnly {
                guard version == Self.schemaVersion else {
                    throw version == 0 ? RunStoreError.notAStore(path: path, reason: "it holds no Quorum store")
                        : RunStoreError.needsUpgrade(path: path, found: version, supported: Self.schemaVersion)
                }
                return
            }
            try connection.execute("PRAGMA journal_mode = WAL")
            // NORMAL with WAL: a process crash loses nothing committed; a power cut may lose the last commits.
            try connection.execute("PRAGMA synchronous = NORMAL")
            if version == 0 { try createSchema() }
            if version < 2 { try addStrategyTables() }
            if version < 3 { try addRunProblems() }
        } catch let error as RunStoreError {
            if case .sqlite(_, _, let message) = error, message.contains("not a database") {
                throw .notAStore(path: path, reason: message)
            }
            if case .damaged(_, let message) = error, message.contains("not a database") {
                throw .notAStore(path: path, reason: message)
            }
            throw error
        } catch {
            throw .cannotOpen(path: path, reason: "\(error)")
        }
    }

    /// Opens an existing store to read it: as usual (upgrading an older schema) when the
    /// user can write the file and its folder, else read-only, so a store in a folder the
    /// user cannot write can still be listed and reported.
    public static func forReading(path: String) throws(RunStoreError) -> RunStore {
        let folder = (path as NSString).deletingLastPathComponent
        let writable = access(path, W_OK) == 0 && access(folder.isEmpty ? "." : folder, W_OK) == 0
        return try RunStore(path: path, readOnly: !writable)
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

    /// Schema version 3: `run_problems` (the problems a run was asked to sample),
    /// `failed_requests.permanent` and `sample_claims` (samples an invocation is producing). A store's existing runs get the problems their samples and
    /// failures name (the best an older store knows); no row is changed or dropped.
    private func addRunProblems() throws(RunStoreError) {
        try connection.transaction { () throws(RunStoreError) in
            try connection.execute("""
                CREATE TABLE IF NOT EXISTS run_problems (
                    run_id TEXT NOT NULL REFERENCES runs(id),
                    problem_id TEXT NOT NULL,
                    PRIMARY KEY (run_id, problem_id)
                );
                INSERT OR IGNORE INTO run_problems (run_id, problem_id)
                    SELECT run_id, problem_id FROM samples UNION SELECT run_id, problem_id FROM failed_requests;
                ALTER TABLE failed_requests ADD COLUMN permanent INTEGER NOT NULL DEFAULT 0;
                CREATE TABLE IF NOT EXISTS sample_claims (
                    run_id TEXT NOT NULL REFERENCES runs(id),
                    problem_id TEXT NOT NULL,
                    sample_index INTEGER NOT NULL,
                    owner TEXT NOT NULL,
                    claimed_at REAL NOT NULL,
                    PRIMARY KEY (run_id, problem_id, sample_index)
                );
                PRAGMA user_version = 3;
                """)
        }
    }

    func locked<T>(_ body: () throws(RunStoreError) -> T) throws(RunStoreError) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// Refuses a write to a store opened for reading.
    func ensureWritable() throws(RunStoreError) {
        if isReadOnly { throw .readOnly(path: path) }
    }

    /// Registers a run (idempotent) and returns its id.
    @discardableResult
    public func beginRun(_ configuration: RunConfiguration, at date: Date = Date()) throws(RunStoreError) -> String {
        try ensureWritable()
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
    /// - Returns: whether the sample was new (false: the identical sample was already stored).
    /// - Throws: `.conflictingSample` when a different sample is already stored under the
    ///   same key (the stored one is kept). Storing the identical sample again is a no-op.
    @discardableResult
    public func insert(_ record: SampleRecord, runID: String, at date: Date = Date()) throws(RunStoreError) -> Bool {
        try ensureWritable()
        return try locked { () throws(RunStoreError) -> Bool in
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
                let new = connection.changes > 0
                if !new {
                    let stored = try connection.prepare("SELECT seed, completion FROM samples WHERE run_id = ? AND problem_id = ? AND sample_index = ?")
                        .rows([.text(runID), .text(record.problemID), .integer(Int64(record.sampleIndex))])
                    if let row = stored.first, row.text(1) != c.text || UInt64(bitPattern: Int64(row.int(0))) != record.seed {
                        throw RunStoreError.conflictingSample(runID: runID, problemID: record.problemID, sampleIndex: record.sampleIndex)
                    }
                }
                try connection.prepare("DELETE FROM failed_requests WHERE run_id = ? AND problem_id = ? AND sample_index = ?")
                    .run([.text(runID), .text(record.problemID), .integer(Int64(record.sampleIndex))])
                return new
            }
        }
    }

    /// Claims the samples `indices` of a problem for `owner` (one invocation of a run), so a
    /// second invocation of the same run on the same store does not compute them too. Returns
    /// the indices claimed: those not stored yet and not claimed by another live owner (a
    /// claim whose owner process has ended, `kill -9` included, is taken over).
    public func claim(runID: String, problemID: String, indices: [Int], owner: ClaimOwner,
                      at date: Date = Date()) throws(RunStoreError) -> [Int] {
        try ensureWritable()
        return try locked { () throws(RunStoreError) -> [Int] in
            try connection.transaction { () throws(RunStoreError) -> [Int] in
                let stored = Set(try connection.prepare("SELECT sample_index FROM samples WHERE run_id = ? AND problem_id = ?")
                    .rows([.text(runID), .text(problemID)]).map { $0.int(0) })
                var holders: [Int: String] = [:]
                for row in try connection.prepare("SELECT sample_index, owner FROM sample_claims WHERE run_id = ? AND problem_id = ?")
                    .rows([.text(runID), .text(problemID)]) {
                    holders[row.int(0)] = row.text(1)
                }
                let upsert = try connection.prepare("INSERT OR REPLACE INTO sample_claims (run_id, problem_id, sample_index, owner, claimed_at) VALUES (?, ?, ?, ?, ?)")
                var claimed: [Int] = []
                for index in indices where !stored.contains(index) {
                    if let holder = holders[index], holder != owner.id, ClaimOwner.isAlive(holder) { continue }
                    try upsert.run([.text(runID), .text(problemID), .integer(Int64(index)), .text(owner.id), .real(date.timeIntervalSince1970)])
                    claimed.append(index)
                }
                return claimed
            }
        }
    }

    /// Gives back `owner`'s claims on a problem's samples (stored or failed, they are done).
    public func releaseClaims(runID: String, problemID: String, indices: [Int], owner: ClaimOwner) throws(RunStoreError) {
        try ensureWritable()
        try locked { () throws(RunStoreError) in
            try connection.transaction { () throws(RunStoreError) in
                let delete = try connection.prepare("DELETE FROM sample_claims WHERE run_id = ? AND problem_id = ? AND sample_index = ? AND owner = ?")
                for index in indices { try delete.run([.text(runID), .text(problemID), .integer(Int64(index)), .text(owner.id)]) }
            }
        }
    }

    /// Records that producing a sample failed (after the backend's own retries), so it
    /// is reported and a resumed run tries it again, unless the failure is `permanent`
    /// (no retry can fix it: the prompt is longer than the context).
    public func recordFailure(runID: String, problemID: String, sampleIndex: Int, error: String, permanent: Bool = false,
                              at date: Date = Date()) throws(RunStoreError) {
        try ensureWritable()
        try locked { () throws(RunStoreError) in
            try connection.prepare("""
                INSERT INTO failed_requests (run_id, problem_id, sample_index, error, attempts, last_attempt_at, permanent)
                VALUES (?, ?, ?, ?, 1, ?, ?)
                ON CONFLICT (run_id, problem_id, sample_index) DO UPDATE SET
                    error = excluded.error, attempts = attempts + 1, last_attempt_at = excluded.last_attempt_at,
                    permanent = excluded.permanent
                """).run([.text(runID), .text(problemID), .integer(Int64(sampleIndex)), .text(error), .real(date.timeIntervalSince1970),
                          .integer(permanent ? 1 : 0)])
        }
    }

    /// Failed requests still outstanding: (problem id, sample index, error, attempts, permanent).
    public func failedRequests(runID: String) throws(RunStoreError)
        -> [(problemID: String, sampleIndex: Int, error: String, attempts: Int, permanent: Bool)] {
        try locked { () throws(RunStoreError) in
            try connection.prepare("""
                SELECT problem_id, sample_index, error, attempts, permanent FROM failed_requests WHERE run_id = ?
                ORDER BY problem_id, sample_index
                """).rows([.text(runID)]).map { ($0.text(0) ?? "", $0.int(1), $0.text(2) ?? "", $0.int(3), $0.int(4) != 0) }
        }
    }

    /// Records the problems a run is asked to sample (idempotent), so each counts in the run's
    /// scores even when none of its samples can be drawn.
    public func registerProblems(runID: String, problemIDs: [String]) throws(RunStoreError) {
        try ensureWritable()
        try locked { () throws(RunStoreError) in
            try connection.transaction { () throws(RunStoreError) in
                let insert = try connection.prepare("INSERT OR IGNORE INTO run_problems (run_id, problem_id) VALUES (?, ?)")
                for id in problemIDs { try insert.run([.text(runID), .text(id)]) }
            }
        }
    }

    /// Every problem of a run: those it was asked to sample and any its samples name, sorted.
    public func problemIDs(runID: String) throws(RunStoreError) -> [String] {
        try locked { () throws(RunStoreError) in
            try connection.prepare("""
                SELECT problem_id FROM run_problems WHERE run_id = ?1 UNION SELECT problem_id FROM samples WHERE run_id = ?1
                ORDER BY 1
                """).rows([.text(runID)]).compactMap { $0.text(0) }
        }
    }

    /// The run's problems that have no stored sample, sorted by id, each with its last
    /// recorded failure and whether any of its failures is permanent.
    public func unsampledProblems(runID: String) throws(RunStoreError) -> [UnsampledProblem] {
        try locked { () throws(RunStoreError) in
            try connection.prepare("""
                SELECT p.problem_id,
                       (SELECT error FROM failed_requests f WHERE f.run_id = p.run_id AND f.problem_id = p.problem_id
                        ORDER BY f.permanent DESC, f.last_attempt_at DESC LIMIT 1),
                       (SELECT COALESCE(MAX(permanent), 0) FROM failed_requests f WHERE f.run_id = p.run_id AND f.problem_id = p.problem_id)
                FROM run_problems p
                WHERE p.run_id = ? AND NOT EXISTS (SELECT 1 FROM samples s WHERE s.run_id = p.run_id AND s.problem_id = p.problem_id)
                ORDER BY p.problem_id
                """).rows([.text(runID)]).map { UnsampledProblem(problemID: $0.text(0) ?? "", error: $0.text(1), permanent: $0.int(2) != 0) }
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
                       (SELECT COUNT(*) FROM (SELECT problem_id FROM run_problems p WHERE p.run_id = r.id
                                              UNION SELECT problem_id FROM samples s WHERE s.run_id = r.id)),
                       (SELECT COUNT(*) FROM samples s WHERE s.run_id = r.id),
                       (SELECT COUNT(*) FROM samples s WHERE s.run_id = r.id AND s.outcome = 'passed'),
                       (SELECT COUNT(*) FROM failed_requests f WHERE f.run_id = r.id),
                       (SELECT COUNT(*) FROM run_problems p WHERE p.run_id = r.id
                        AND NOT EXISTS (SELECT 1 FROM samples s WHERE s.run_id = p.run_id AND s.problem_id = p.problem_id))
                FROM runs r ORDER BY r.created_at
                """).rows()
        }
        return rows.compactMap { row in
            guard let id = row.text(0), let json = row.text(1),
                  let configuration = try? JSONDecoder().decode(RunConfiguration.self, from: Data(json.utf8)) else { return nil }
            return RunSummary(id: id, configuration: configuration, createdAt: Date(timeIntervalSince1970: row.double(2) ?? 0),
                              problemCount: row.int(3), sampleCount: row.int(4), passedCount: row.int(5), failedRequests: row.int(6),
                              unsampledProblemCount: row.int(7))
        }
    }
}
