import Foundation

/// Where a record sits in its file, for error messages.
public enum RecordLocation: Sendable, Hashable, CustomStringConvertible {
    /// A 1-based line of a JSONL file.
    case line(Int)
    /// A 0-based element of a file holding one JSON array.
    case arrayIndex(Int)

    public var description: String {
        switch self {
        case .line(let n): "line \(n)"
        case .arrayIndex(let i): "array index \(i)"
        }
    }
}

/// Everything that can go wrong while finding, reading or mapping a data set.
///
/// Every case names the file (or data set name) it is about; record-level cases also
/// name the record's location and the field. `description` reads as one CLI message
/// with a hint line saying what to do.
public enum DatasetError: Error, Sendable, Hashable {
    /// The path does not exist or is not a regular file.
    case fileNotFound(path: String)
    /// The file exists but could not be read.
    case unreadable(path: String, reason: String)
    /// The file has no records (zero bytes, or only blank lines / an empty array).
    case emptyFile(path: String)
    /// The file starts with the gzip magic bytes but does not decompress.
    case badGzip(path: String, reason: String)
    /// The bytes are not UTF-8. `byteOffset` counts from the start of the (decompressed) file.
    case invalidUTF8(path: String, line: Int, byteOffset: Int)
    /// A record (or the whole file, for a JSON array) is not valid JSON.
    case badJSON(path: String, location: RecordLocation, reason: String)
    /// A record is valid JSON but not an object.
    case notAnObject(path: String, location: RecordLocation, found: String)
    /// A field the format needs is absent (or null).
    case missingField(path: String, location: RecordLocation, field: String, format: DatasetFormat)
    /// A field has the wrong JSON type.
    case wrongType(path: String, location: RecordLocation, field: String, expected: String, found: String)
    /// A field has the right type but a value the format does not allow.
    case invalidValue(path: String, location: RecordLocation, field: String, reason: String)
    /// A field Quorum's own format does not define (a likely typo).
    case unknownField(path: String, location: RecordLocation, field: String)
    /// Two records share an id; later stages key samples by id.
    case duplicateID(path: String, location: RecordLocation, id: String, first: RecordLocation)
    /// `skipInvalid` skipped every record; `first` is the first one's error.
    case noValidRecords(path: String, skipped: Int, first: String)
    /// The first record matches none of the known formats.
    case unknownFormat(path: String, location: RecordLocation, fields: [String])
    /// A data set name (`gsm8k:train`) that the catalog does not know or cannot find on disk.
    case unknownDataset(name: String, reason: String)
    /// `quorum data pull` could not fetch the file (no connection, HTTP error).
    case downloadFailed(name: String, url: String, reason: String)
    /// The fetched file is not the published one.
    case checksumMismatch(name: String, url: String, expected: String, found: String)
    /// The data set has no single official file to fetch.
    case noDownloadSource(name: String, reason: String)
}

extension DatasetError: CustomStringConvertible, LocalizedError {
    /// The message and its hint, as printed by the CLI.
    public var description: String {
        "\(message)\n  hint: \(hint)"
    }

    public var errorDescription: String? { description }

    /// The first line of `description`: what is wrong and where.
    public var message: String {
        switch self {
        case .fileNotFound(let path):
            "\(path): no such file"
        case .unreadable(let path, let reason):
            "\(path): cannot read the file: \(reason)"
        case .emptyFile(let path):
            "\(path): the file is empty (no records)"
        case .badGzip(let path, let reason):
            "\(path): starts like gzip but does not decompress: \(reason)"
        case .invalidUTF8(let path, let line, let offset):
            "\(path):\(RecordLocation.line(line)): bytes are not valid UTF-8 (first bad byte at byte offset \(offset))"
        case .badJSON(let path, let location, let reason):
            "\(path):\(location): not valid JSON: \(reason)"
        case .notAnObject(let path, let location, let found):
            "\(path):\(location): expected a JSON object, found \(found)"
        case .missingField(let path, let location, let field, let format):
            "\(path):\(location): field `\(field)` is missing (needed by the \(format.name) format)"
        case .wrongType(let path, let location, let field, let expected, let found):
            "\(path):\(location): field `\(field)` should be \(expected), found \(found)"
        case .invalidValue(let path, let location, let field, let reason):
            "\(path):\(location): field `\(field)`: \(reason)"
        case .unknownField(let path, let location, let field):
            "\(path):\(location): unknown field `\(field)` in a Quorum task record"
        case .duplicateID(let path, let location, let id, let first):
            "\(path):\(location): id `\(id)` already used at \(first)"
        case .unknownFormat(let path, let location, let fields):
            "\(path):\(location): records with fields \(fields.map { "`\($0)`" }.joined(separator: ", ")) match no known format"
        case .unknownDataset(let name, let reason):
            "`\(name)`: \(reason)"
        case .noValidRecords(let path, let skipped, let first):
            "\(path): all \(skipped) records are invalid; the first: \(first)"
        case .downloadFailed(let name, let url, let reason):
            "cannot download `\(name)` from \(url): \(reason)"
        case .checksumMismatch(let name, let url, let expected, let found):
            "the file downloaded for `\(name)` from \(url) has SHA-256 \(found), expected \(expected); it was not saved"
        case .noDownloadSource(let name, let reason):
            "`\(name)` cannot be pulled: \(reason)"
        }
    }

    /// What the user can do about it.
    public var hint: String {
        switch self {
        case .fileNotFound:
            "check the path, or name a catalog data set (\(DatasetCatalog.names.joined(separator: ", "))) with QUORUM_DATA set"
        case .unreadable:
            "give a regular file you can read (check its permissions)"
        case .emptyFile:
            "the file needs at least one record; see docs/DATA_FORMAT.md"
        case .badGzip:
            "the download may be truncated; re-fetch it or check it with `gzip -t`"
        case .invalidUTF8:
            "re-save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`), or pass --skip-invalid to skip bad records"
        case .badJSON, .notAnObject, .missingField, .wrongType, .invalidValue, .duplicateID:
            "fix the record, or pass --skip-invalid to skip bad records"
        case .unknownField:
            "Quorum task records take only \(QuorumTaskFormat.topLevelFields.joined(separator: ", ")); put free fields under `metadata`, or pass --skip-invalid"
        case .unknownFormat:
            "pass --format NAME; known formats and the fields each needs: "
                + DatasetFormat.allCases.map { "\($0.name) (\($0.signature))" }.joined(separator: "; ")
        case .noValidRecords:
            "check that this is the file you meant, and its format (--format NAME)"
        case .unknownDataset:
            "set QUORUM_DATA to a folder laid out like shared/data (\(DatasetCatalog.layoutSummary)), run `quorum data pull NAME`, or pass a file path"
        case .downloadFailed, .noDownloadSource:
            "the other two ways: pass the file's path, or set QUORUM_DATA to a folder laid out like shared/data (\(DatasetCatalog.layoutSummary))"
        case .checksumMismatch:
            "the source or a proxy changed the file; use --mirror with a trusted copy, or pass a file path"
        }
    }

    /// True for errors about one record, which `skipInvalid` steps over.
    public var isRecordLevel: Bool {
        switch self {
        case .invalidUTF8, .badJSON, .notAnObject, .missingField, .wrongType, .invalidValue,
             .unknownField, .duplicateID:
            true
        case .fileNotFound, .unreadable, .emptyFile, .badGzip, .unknownFormat, .unknownDataset, .noValidRecords,
             .downloadFailed, .checksumMismatch, .noDownloadSource:
            false
        }
    }
}
