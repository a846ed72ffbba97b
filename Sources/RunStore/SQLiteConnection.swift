import CSQLite
import Foundation

/// A thin wrapper over one SQLite connection: open, execute, prepared statements.
/// Not thread-safe by itself; `RunStore` serialises access.
final class SQLiteConnection {
    let path: String
    private var handle: OpaquePointer?

    /// - Parameter readOnly: open for reading only, as an immutable file (SQLite then needs no
    ///   `-shm` or `-wal` file, so a store in a folder the user cannot write can be read; it
    ///   must not be written meanwhile, which such a folder ensures for this user).
    init(path: String, readOnly: Bool = false) throws(RunStoreError) {
        self.path = path
        var db: OpaquePointer?
        let rc: Int32
        if readOnly {
            var allowed = CharacterSet.urlPathAllowed
            allowed.remove(charactersIn: "?#%")
            let escaped = path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path
            rc = sqlite3_open_v2("file:\(escaped)?immutable=1", &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nil)
        } else {
            rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil)
        }
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(db)
            throw .cannotOpen(path: path, reason: message)
        }
        handle = db
        // Another process (a second `quorum run` on the same store) may hold the write
        // lock briefly; wait for it instead of failing at once.
        sqlite3_busy_timeout(db, 10_000)
    }

    deinit { sqlite3_close(handle) }

    var errorMessage: String { String(cString: sqlite3_errmsg(handle)) }

    /// The error for a failed `operation`: `.damaged` when SQLite says the file is corrupt.
    func failure(_ operation: String, message: String? = nil) -> RunStoreError {
        let code = sqlite3_errcode(handle) & 0xFF
        let text = message ?? errorMessage
        if code == SQLITE_CORRUPT || code == SQLITE_NOTADB || text.contains("malformed") {
            return .damaged(path: path, detail: text)
        }
        return .sqlite(path: path, operation: operation, message: text)
    }

    /// Runs one or more statements that return no rows.
    func execute(_ sql: String) throws(RunStoreError) {
        var error: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(handle, sql, nil, nil, &error) == SQLITE_OK else {
            let message = error.map { String(cString: $0) } ?? errorMessage
            sqlite3_free(error)
            throw failure(String(sql.prefix(60)), message: message)
        }
    }

    func prepare(_ sql: String) throws(RunStoreError) -> Statement {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw failure(String(sql.prefix(60)))
        }
        return Statement(statement: statement, connection: self, sql: sql)
    }

    /// Runs `body` in one transaction: all of it is stored, or none.
    func transaction<T>(_ body: () throws(RunStoreError) -> T) throws(RunStoreError) -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    var changes: Int { Int(sqlite3_changes(handle)) }
}

/// A prepared statement; bind by 1-based index, step, read columns by 0-based index.
final class Statement {
    private let statement: OpaquePointer
    private let connection: SQLiteConnection
    private let sql: String

    fileprivate init(statement: OpaquePointer, connection: SQLiteConnection, sql: String) {
        self.statement = statement
        self.connection = connection
        self.sql = sql
    }

    deinit { sqlite3_finalize(statement) }

    /// SQLite's marker that bound text must be copied (the Swift string is temporary).
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    func bind(_ values: [SQLiteValue]) throws(RunStoreError) {
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
        for (i, value) in values.enumerated() {
            let index = Int32(i + 1)
            let rc: Int32
            switch value {
            case .null: rc = sqlite3_bind_null(statement, index)
            case .integer(let v): rc = sqlite3_bind_int64(statement, index, v)
            case .real(let v): rc = sqlite3_bind_double(statement, index, v)
            case .text(let v): rc = sqlite3_bind_text(statement, index, v, -1, Self.transient)
            }
            guard rc == SQLITE_OK else {
                throw .sqlite(path: connection.path, operation: "bind \(index) of \(sql.prefix(40))", message: connection.errorMessage)
            }
        }
    }

    /// Steps once: true when a row is available.
    func step() throws(RunStoreError) -> Bool {
        switch sqlite3_step(statement) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            throw connection.failure(String(sql.prefix(60)))
        }
    }

    /// Binds, runs to completion, and returns every row.
    func rows(_ values: [SQLiteValue] = []) throws(RunStoreError) -> [Row] {
        try bind(values)
        var out: [Row] = []
        while try step() { out.append(Row(statement: statement)) }
        return out
    }

    /// Binds and runs a statement that returns no rows.
    func run(_ values: [SQLiteValue] = []) throws(RunStoreError) {
        try bind(values)
        while try step() {}
    }
}

/// One result row, copied out of the statement.
struct Row {
    private var values: [SQLiteValue] = []

    fileprivate init(statement: OpaquePointer) {
        for i in 0..<sqlite3_column_count(statement) {
            switch sqlite3_column_type(statement, i) {
            case SQLITE_INTEGER: values.append(.integer(sqlite3_column_int64(statement, i)))
            case SQLITE_FLOAT: values.append(.real(sqlite3_column_double(statement, i)))
            case SQLITE_NULL: values.append(.null)
            default: values.append(.text(String(cString: sqlite3_column_text(statement, i))))
            }
        }
    }

    func int(_ i: Int) -> Int {
        switch values[i] {
        case .integer(let v): Int(v)
        case .real(let v): Int(v)
        default: 0
        }
    }

    func double(_ i: Int) -> Double? {
        switch values[i] {
        case .integer(let v): Double(v)
        case .real(let v): v
        default: nil
        }
    }

    func text(_ i: Int) -> String? {
        if case .text(let s) = values[i] { return s }
        return nil
    }
}

enum SQLiteValue {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)

    static func optional(_ s: String?) -> SQLiteValue { s.map { .text($0) } ?? .null }
    static func optional(_ d: Double?) -> SQLiteValue { d.map { .real($0) } ?? .null }
}
