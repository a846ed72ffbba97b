import Foundation

/// Runs a command for a test (a Python reference script, sqlite3, sha256sum) and
/// returns what it printed, failing loudly when it cannot run or exits non-zero.
public enum Shell {
    public struct Result: Sendable {
        public let status: Int32
        public let standardOutput: Data
        public let standardError: String

        public var text: String { String(decoding: standardOutput, as: UTF8.self) }
    }

    /// Runs `arguments` (looked up on PATH). Standard error goes to a temporary file,
    /// so a chatty command cannot block on a full pipe while its output is being read.
    public static func run(_ arguments: [String]) throws -> Result {
        let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-stderr-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errorFile) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: errorFile)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errors = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
        return Result(status: process.terminationStatus, standardOutput: data, standardError: errors)
    }

    /// Standard output of a command that must succeed, trimmed.
    public static func output(_ arguments: [String]) throws -> String {
        let result = try run(arguments)
        guard result.status == 0 else {
            throw TestSupportError("`\(arguments.prefix(3).joined(separator: " "))` failed (exit \(result.status)): \(result.standardError.suffix(2000))")
        }
        return result.text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
