import ScalingCore

/// One JSON record as read from a file, before any format is applied.
public struct RawRecord: Sendable, Hashable {
    /// Where the record is (1-based line, or 0-based array index).
    public var location: RecordLocation
    /// The record's position among the file's records, counting bad ones too (0-based):
    /// ids built from it (GSM8K's) stay the same when `skipInvalid` drops a record.
    public var ordinal: Int
    /// The parsed JSON value (an object for every valid record).
    public var value: JSONValue
}

/// The records of one file, in file order, each parsed or the record-level error
/// (bad JSON, non-UTF-8 line) that stopped it.
struct RawRecords {
    var container: DatasetContainer
    var compressed: Bool
    var entries: [Result<RawRecord, DatasetError>]
}

/// Turns file bytes into JSON records: gunzips when the gzip magic is there, picks
/// JSONL or JSON array by the first non-space byte, checks UTF-8, parses each record.
enum DatasetReader {
    static func read(bytes input: [UInt8], path: String) throws(DatasetError) -> RawRecords {
        var bytes = input
        let compressed = Gzip.isGzip(bytes)
        if compressed {
            do {
                bytes = try Gzip.decompress(bytes)
            } catch {
                throw .badGzip(path: path, reason: error.reason)
            }
        }
        // A UTF-8 byte-order mark is not part of the JSON text.
        let start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        guard let first = bytes[start...].firstIndex(where: { !isJSONSpace($0) }) else {
            throw .emptyFile(path: path)
        }
        if bytes[first] == UInt8(ascii: "[") {
            return try readArray(bytes, from: start, path: path, compressed: compressed)
        }
        return readLines(bytes, from: start, path: path, compressed: compressed)
    }

    private static func isJSONSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    /// JSONL: each non-blank line is one record, checked and parsed on its own so one
    /// bad line names itself and the rest can still load.
    private static func readLines(_ bytes: [UInt8], from start: Int, path: String, compressed: Bool) -> RawRecords {
        // One check of the whole text is much faster than one per line; lines are
        // only checked one by one when the file has a fault somewhere.
        let allValid = firstInvalidUTF8Offset(bytes[start...]) == nil
        var entries: [Result<RawRecord, DatasetError>] = []
        var lineNumber = 0
        var ordinal = -1
        var lineStart = start
        while lineStart < bytes.count {
            lineNumber += 1
            let lineEnd = bytes[lineStart...].firstIndex(of: 0x0A) ?? bytes.count
            defer { lineStart = lineEnd + 1 }
            let line = bytes[lineStart..<lineEnd]
            if line.allSatisfy(isJSONSpace) { continue }
            ordinal += 1
            let location = RecordLocation.line(lineNumber)
            if !allValid, let bad = firstInvalidUTF8Offset(line) {
                entries.append(.failure(.invalidUTF8(path: path, line: lineNumber, byteOffset: bad)))
                continue
            }
            do {
                let value = try JSONParser.parse(line)
                entries.append(.success(RawRecord(location: location, ordinal: ordinal, value: value)))
            } catch {
                entries.append(.failure(.badJSON(path: path, location: location, reason: "column \(error.offset + 1): \(error.message)")))
            }
        }
        return RawRecords(container: .jsonLines, compressed: compressed, entries: entries)
    }

    /// A JSON array: the whole text must parse (there is no line to skip to), then each
    /// element is a record at its index.
    private static func readArray(_ bytes: [UInt8], from start: Int, path: String, compressed: Bool) throws(DatasetError) -> RawRecords {
        if let bad = firstInvalidUTF8Offset(bytes[start...]) {
            let line = 1 + bytes[..<bad].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            throw .invalidUTF8(path: path, line: line, byteOffset: bad)
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes[start...])
        } catch {
            // The whole file is one value: turn the offset into a line and column.
            let offset = start + error.offset
            let lineStart = bytes[start..<offset].lastIndex(of: 0x0A).map { $0 + 1 } ?? start
            let line = 1 + bytes[..<offset].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            throw .badJSON(path: path, location: .line(line),
                           reason: "column \(offset - lineStart + 1): \(error.message) (the file is one JSON array, so nothing after this loads)")
        }
        guard let elements = value.arrayValue else {
            throw .badJSON(path: path, location: .line(1), reason: "expected a JSON array, found \(value.typeName)")
        }
        let entries = elements.enumerated().map { element -> Result<RawRecord, DatasetError> in
            .success(RawRecord(location: .arrayIndex(element.offset), ordinal: element.offset, value: element.element))
        }
        return RawRecords(container: .jsonArray, compressed: compressed, entries: entries)
    }

    /// The absolute offset of the first byte that breaks UTF-8 in `bytes`, or nil when
    /// all of it is valid. The fast standard-library check runs first; the scalar walk
    /// only runs to locate the fault.
    static func firstInvalidUTF8Offset(_ bytes: ArraySlice<UInt8>) -> Int? {
        let valid = bytes.withUnsafeBufferPointer { String(validating: $0, as: UTF8.self) != nil }
        if valid { return nil }
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = bytes.startIndex
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let scalar): offset += scalar.count
            case .error: return offset
            case .emptyInput: return nil
            }
        }
    }
}
