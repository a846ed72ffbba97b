import Foundation

/// Errors of the run store; none of them deletes or rewrites stored samples.
public enum RunStoreError: Error, LocalizedError, CustomStringConvertible, Equatable {
    case cannotOpen(path: String, reason: String)
    case notAStore(path: String, reason: String)
    case newerSchema(path: String, found: Int, supported: Int)
    case sqlite(path: String, operation: String, message: String)
    case unknownRun(path: String, id: String, known: [String])
    case conflictingSample(runID: String, problemID: String, sampleIndex: Int)
    /// SQLite found the file corrupt.
    case damaged(path: String, detail: String)
    /// A read-only store of an older schema, which only a writable open can upgrade.
    case needsUpgrade(path: String, found: Int, supported: Int)
    /// A write to a store opened for reading only.
    case readOnly(path: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            "Cannot open the run store '\(path)': \(reason). Check that the folder exists and is writable, or pass --store PATH."
        case .notAStore(let path, let reason):
            "'\(path)' is not a Quorum run store (\(reason)). It was left untouched; pass another --store PATH."
        case .newerSchema(let path, let found, let supported):
            "The run store '\(path)' has schema version \(found); this Quorum reads up to \(supported). Upgrade Quorum; the store was left untouched."
        case .sqlite(let path, let operation, let message):
            "SQLite error in '\(path)' during \(operation): \(message)."
        case .unknownRun(let path, let id, let known):
            "No run '\(id)' in '\(path)'. Runs there: \(known.isEmpty ? "none" : known.joined(separator: ", ")). `quorum runs` lists them."
        case .damaged(let path, let detail):
            "The run store '\(path)' is damaged (SQLite: \(detail)). It was left untouched. Check it with "
                + "`sqlite3 '\(path)' 'PRAGMA integrity_check'`; restore it from a backup, or pass --store NEW_PATH to start a new store."
        case .needsUpgrade(let path, let found, let supported):
            "The run store '\(path)' has schema version \(found) and this Quorum needs \(supported); it upgrades the store (keeping every row) "
                + "when it can write to it. Open it once as a user who can write its folder (e.g. `quorum runs --store '\(path)'`), or copy it to a writable folder."
        case .readOnly(let path):
            "The run store '\(path)' was opened for reading only; nothing was written."
        case .conflictingSample(let run, let problem, let index):
            "Run \(run) already stores a different sample \(index) of problem '\(problem)'; the stored one was kept."
        }
    }

    public var errorDescription: String? { description }
}
