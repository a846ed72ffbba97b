import ScalingCore

/// Typed access to one record's fields, throwing errors that name the file, the
/// record's location and the field.
struct RecordFields {
    let object: [String: JSONValue]
    let path: String
    let location: RecordLocation
    let format: DatasetFormat

    init(_ record: RawRecord, path: String, format: DatasetFormat) throws(DatasetError) {
        guard let object = record.value.objectValue else {
            throw .notAnObject(path: path, location: record.location, found: record.value.typeName)
        }
        self.object = object
        self.path = path
        self.location = record.location
        self.format = format
    }

    /// True when `field` is present and not null.
    func has(_ field: String) -> Bool {
        if let value = object[field], value != .null { return true }
        return false
    }

    /// A required field of any type.
    func value(_ field: String) throws(DatasetError) -> JSONValue {
        guard let value = object[field], value != .null else {
            throw .missingField(path: path, location: location, field: field, format: format)
        }
        return value
    }

    /// A required string field.
    func string(_ field: String) throws(DatasetError) -> String {
        let value = try value(field)
        guard let string = value.stringValue else { throw wrongType(field, "a string", value) }
        return string
    }

    /// An optional string field: absent or null gives nil, another type is an error.
    func optionalString(_ field: String) throws(DatasetError) -> String? {
        has(field) ? try string(field) : nil
    }

    /// A required string-or-integer field, as a string (ids: MBPP's `task_id` is a number).
    func identifier(_ field: String) throws(DatasetError) -> String {
        let value = try value(field)
        switch value {
        case .string(let s):
            return s
        case .number(let n) where n == n.rounded() && abs(n) < 1e15:
            return String(Int64(n))
        default:
            throw wrongType(field, "a string or an integer", value)
        }
    }

    /// A required array of strings.
    func strings(_ field: String) throws(DatasetError) -> [String] {
        let value = try value(field)
        guard let elements = value.arrayValue else { throw wrongType(field, "an array of strings", value) }
        var result: [String] = []
        result.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            guard let string = element.stringValue else {
                throw wrongType("\(field)[\(index)]", "a string", element)
            }
            result.append(string)
        }
        return result
    }

    /// An optional array of strings: absent or null gives an empty array.
    func optionalStrings(_ field: String) throws(DatasetError) -> [String] {
        has(field) ? try strings(field) : []
    }

    /// A wrong-type error for `field`.
    func wrongType(_ field: String, _ expected: String, _ found: JSONValue) -> DatasetError {
        .wrongType(path: path, location: location, field: field, expected: expected, found: found.typeName)
    }

    /// An invalid-value error for `field`.
    func invalid(_ field: String, _ reason: String) -> DatasetError {
        .invalidValue(path: path, location: location, field: field, reason: reason)
    }
}
