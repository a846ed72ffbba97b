import Foundation
import ScalingCore

/// A loaded data set: its problems, how the file was read, and what was skipped.
///
/// ```swift
/// let gsm8k = try Dataset.load(path: "data/gsm8k/test.jsonl")
/// print(gsm8k.format, gsm8k.problems.count)        // gsm8k 1319
/// ```
public struct Dataset: Sendable {
    /// The path (or name) the data came from, as given; errors name it.
    public var source: String
    /// The record format, detected or forced.
    public var format: DatasetFormat
    /// JSONL or one JSON array.
    public var container: DatasetContainer
    /// True when the file was gzip-compressed.
    public var compressed: Bool
    /// One problem per valid record, in file order.
    public var problems: [Problem]
    /// The errors of the records skipped with `skipInvalid` (empty otherwise), in file order.
    public var skipped: [DatasetError]
    /// The top-level field names seen in the records, sorted.
    public var fieldNames: [String]
    /// The raw record behind `problems.first`, for inspection.
    public var firstRecord: RawRecord?

    /// Loads the data set at `path`.
    ///
    /// - Parameters:
    ///   - format: the record format; nil detects it from the first record's fields.
    ///   - skipInvalid: skip records that fail (listing them in `skipped`) instead of
    ///     throwing the first failure.
    /// - Throws: `DatasetError`, naming the file, the record's line and the field.
    public static func load(path: String, format: DatasetFormat? = nil, skipInvalid: Bool = false) throws(DatasetError) -> Dataset {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .fileNotFound(path: path)
        }
        guard !isDirectory.boolValue else { throw .unreadable(path: path, reason: "it is a directory") }
        // A device or pipe (/dev/zero) would be read forever.
        if let type = try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType, type != .typeRegular {
            throw .unreadable(path: path, reason: "it is not a regular file (a device, pipe or socket)")
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadable(path: path, reason: error.localizedDescription)
        }
        return try load(bytes: [UInt8](data), source: path, format: format, skipInvalid: skipInvalid)
    }

    /// Loads a data set from bytes in memory (a file's contents, gzipped or not);
    /// `source` names it in errors and in GSM8K-style ids (its file stem).
    public static func load(bytes: [UInt8], source: String, format: DatasetFormat? = nil, skipInvalid: Bool = false) throws(DatasetError) -> Dataset {
        let raw = try DatasetReader.read(bytes: bytes, path: source)
        guard !raw.entries.isEmpty else { throw .emptyFile(path: source) }
        let stem = fileStem(source)
        var chosenFormat = format
        var problems: [Problem] = []
        problems.reserveCapacity(raw.entries.count)
        var skipped: [DatasetError] = []
        var fields: Set<String> = []
        var firstRecord: RawRecord?
        var seenIDs: [String: RecordLocation] = [:]

        for entry in raw.entries {
            do throws(DatasetError) {
                let record = try entry.get()
                guard let object = record.value.objectValue else {
                    throw .notAnObject(path: source, location: record.location, found: record.value.typeName)
                }
                let recordFormat: DatasetFormat
                if let known = chosenFormat {
                    recordFormat = known
                } else {
                    // Detection looks at the first object only; a wrong guess is not a
                    // record's fault, so it stops the load even with skipInvalid.
                    guard let detected = DatasetFormat.detect(fields: Set(object.keys)) else {
                        throw .unknownFormat(path: source, location: record.location, fields: object.keys.sorted())
                    }
                    recordFormat = detected
                    chosenFormat = detected
                }
                let problem = try mapRecord(record, format: recordFormat, path: source, stem: stem)
                if let first = seenIDs[problem.id] {
                    throw .duplicateID(path: source, location: record.location, id: problem.id, first: first)
                }
                seenIDs[problem.id] = record.location
                fields.formUnion(object.keys)
                if firstRecord == nil { firstRecord = record }
                problems.append(problem)
            } catch {
                guard skipInvalid, error.isRecordLevel else { throw error }
                skipped.append(error)
            }
        }
        guard let finalFormat = chosenFormat, !problems.isEmpty else {
            throw .noValidRecords(path: source, skipped: skipped.count, first: skipped.first?.message ?? "none")
        }
        return Dataset(
            source: source, format: finalFormat, container: raw.container, compressed: raw.compressed,
            problems: problems, skipped: skipped, fieldNames: fields.sorted(), firstRecord: firstRecord)
    }

    /// The mapping of one record under `format`.
    static func mapRecord(_ record: RawRecord, format: DatasetFormat, path: String, stem: String) throws(DatasetError) -> Problem {
        let fields = try RecordFields(record, path: path, format: format)
        switch format {
        case .gsm8k: return try UpstreamFormats.gsm8k(fields, ordinal: record.ordinal, stem: stem)
        case .math: return try UpstreamFormats.math(fields)
        case .humaneval: return try UpstreamFormats.humaneval(fields)
        case .mbpp: return try UpstreamFormats.mbpp(fields)
        case .mbppSanitized: return try UpstreamFormats.mbppSanitized(fields)
        case .arc: return try UpstreamFormats.arc(fields)
        case .quorum: return try QuorumTaskFormat.problem(fields)
        }
    }

    /// The file name without directories and data extensions: `gsm8k/test.jsonl` → `test`.
    static func fileStem(_ path: String) -> String {
        var name = (path as NSString).lastPathComponent
        for suffix in [".gz", ".jsonl", ".json"] where name.hasSuffix(suffix) && name.count > suffix.count {
            name.removeLast(suffix.count)
        }
        return name
    }
}
