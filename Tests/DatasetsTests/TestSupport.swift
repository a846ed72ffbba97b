import Foundation
import Testing

/// Where tests find things: the shared benchmark data and this target's fixtures.
enum TestSupport {
    /// The package root, from this file's path (Tests/DatasetsTests/TestSupport.swift).
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `QUORUM_DATA`, else `<package root>/../shared/data`.
    static var dataRoot: String {
        if let root = ProcessInfo.processInfo.environment["QUORUM_DATA"], !root.isEmpty { return root }
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data").path
    }

    /// The data root, checked to hold the benchmark data; records an issue naming
    /// where it looked when it does not, so a missing data folder fails loudly.
    static func requireDataRoot() throws -> String {
        let root = dataRoot
        let probe = (root as NSString).appendingPathComponent("gsm8k/test.jsonl")
        try #require(FileManager.default.fileExists(atPath: probe),
                     "benchmark data not found at \(root); set QUORUM_DATA to the shared/data folder")
        return root
    }

    /// A committed fixture under Tests/Fixtures/datasets.
    static func fixture(_ name: String) -> String {
        packageRoot.appendingPathComponent("Tests/Fixtures/datasets").appendingPathComponent(name).path
    }

    /// Bytes of a string, for building small malformed files in memory.
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
}
