import Foundation
import ModelHub

/// Where tests find the repository's fixtures, the shared benchmark data and the
/// default model.
///
/// Tests never skip because something is missing: they fail with a message that says
/// how to install it (the README's test command installs everything first).
public enum TestPaths {
    /// The package root, found from this source file's location.
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `Tests/Fixtures`: small committed files.
    public static let fixtures: URL = packageRoot.appendingPathComponent("Tests/Fixtures")

    /// The benchmark data folder: `QUORUM_DATA`, else `../shared/data` beside the repository.
    public static var sharedData: URL {
        if let env = ProcessInfo.processInfo.environment["QUORUM_DATA"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data")
    }

    /// A file under the benchmark data folder, failing loudly when it is absent.
    public static func sharedDataFile(_ relativePath: String) throws -> URL {
        let url = sharedData.appendingPathComponent(relativePath)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw TestSupportError("Benchmark data file \(url.path) is missing. Set QUORUM_DATA to a folder laid out like ../shared/data.")
        }
        return url
    }

    /// The `quorum` executable built beside the running test bundle (`swift test` builds it
    /// with the tests), for tests that must run the real command (kill it, read its output).
    public static func quorumBinary() throws -> String {
        let folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let path = [folder, folder.deletingLastPathComponent()].map { $0.appendingPathComponent("quorum").path }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let path else {
            throw TestSupportError("No `quorum` executable beside \(folder.path); build it with `swift build -c release` (scripts/test does).")
        }
        return path
    }

    /// The default model (SmolLM2-135M-Instruct Q4_1) in the cache.
    public static func defaultModel() throws -> URL {
        do {
            return try ModelCache().resolve(ModelCatalog.defaultModel.name)
        } catch {
            throw TestSupportError("\(error.description) The test command (scripts/test) runs scripts/setup, which installs it.")
        }
    }
}

/// A test precondition that does not hold, with what to do about it.
public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
