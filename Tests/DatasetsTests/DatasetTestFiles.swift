import Foundation
import Testing
import TestSupport

/// Where these tests find the shared benchmark data and their own fixtures.
enum DatasetTestFiles {
    /// The benchmark data root (`QUORUM_DATA`, else `../shared/data`), checked to hold
    /// the data, so a missing data folder fails loudly instead of skipping.
    static func requireDataRoot() throws -> String {
        _ = try TestPaths.sharedDataFile("gsm8k/test.jsonl")
        return try TestPaths.sharedData().path
    }

    /// A committed fixture under Tests/Fixtures/datasets.
    static func fixture(_ name: String) -> String {
        TestPaths.fixtures.appendingPathComponent("datasets").appendingPathComponent(name).path
    }

    /// Bytes of a string, for building small malformed files in memory.
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
}
