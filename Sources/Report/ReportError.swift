import Foundation

/// What can go wrong reading or writing a report's files.
public enum ReportError: Error, CustomStringConvertible, LocalizedError {
    /// The report input could not be encoded as JSON.
    case encodingFailed(reason: String)
    /// A JSON file is not a report input; `path` is the file or "<data>".
    case decodingFailed(path: String, reason: String)
    /// A file or folder could not be written.
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .encodingFailed(let reason):
            "Could not encode the report as JSON: \(reason)."
        case .decodingFailed(let path, let reason):
            "\(path) is not a Quorum report JSON (\(reason)). Pass a report.json written by `quorum report`."
        case .writeFailed(let path, let reason):
            "Could not write \(path): \(reason). Check the folder exists and is writable, or choose another output folder."
        }
    }

    public var errorDescription: String? { description }
}
