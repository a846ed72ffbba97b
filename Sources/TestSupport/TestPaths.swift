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

    /// The benchmark data folder, as the README says: `QUORUM_DATA` when set, else
    /// `../shared/data` beside the repository. A git worktree's repository is also looked
    /// beside its main checkout (`.git` names it), so worktrees anywhere find the same data.
    /// Throws, saying what to set, when there is no such folder: tests never skip.
    public static func sharedData() throws -> URL {
        if let env = ProcessInfo.processInfo.environment["QUORUM_DATA"], !env.isEmpty {
            let url = URL(fileURLWithPath: env)
            guard isFolder(url) else {
                throw TestSupportError("QUORUM_DATA is \(env), which is not a folder. Set QUORUM_DATA to a folder laid out like ../shared/data (gsm8k/, math500/, humaneval/, mbpp/, ...).")
            }
            return url
        }
        let candidates = sharedFolderCandidates.map { $0.appendingPathComponent("data") }
        guard let found = candidates.first(where: isFolder) else {
            throw TestSupportError("No benchmark data: QUORUM_DATA is unset and \(candidates.map(\.path).joined(separator: " and ")) do not exist. Set QUORUM_DATA to a folder laid out like ../shared/data.")
        }
        return found
    }

    /// A file under the benchmark data folder, failing loudly when it is absent.
    public static func sharedDataFile(_ relativePath: String) throws -> URL {
        let url = try sharedData().appendingPathComponent(relativePath)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw TestSupportError("Benchmark data file \(url.path) is missing. Set QUORUM_DATA to a folder laid out like ../shared/data.")
        }
        return url
    }

    /// A document of the shared folder (`METHODS.md`, `BASELINE.md`, ...): in `docs/` beside
    /// the data folder, else in `../shared/docs` beside the repository. Throws when absent.
    public static func sharedDocument(_ name: String) throws -> URL {
        var folders: [URL] = []
        if let data = try? sharedData() { folders.append(data.deletingLastPathComponent().appendingPathComponent("docs")) }
        folders += sharedFolderCandidates.map { $0.appendingPathComponent("docs") }
        let candidates = folders.map { $0.appendingPathComponent(name) }
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }) else {
            throw TestSupportError("Shared document \(name) is missing: looked for \(candidates.map(\.path).joined(separator: " and ")). Set QUORUM_DATA to the data folder of a shared folder whose docs/ holds it.")
        }
        return found
    }

    /// `../shared` beside this checkout and, for a git worktree, beside its main checkout.
    static var sharedFolderCandidates: [URL] {
        var roots = [packageRoot]
        // A worktree's `.git` is a file: `gitdir: MAIN/.git/worktrees/NAME`.
        if let link = try? String(contentsOf: packageRoot.appendingPathComponent(".git"), encoding: .utf8),
           link.hasPrefix("gitdir: ") {
            let gitDirectory = URL(fileURLWithPath: link.dropFirst("gitdir: ".count).trimmingCharacters(in: .whitespacesAndNewlines))
            let parts = gitDirectory.pathComponents
            if parts.count >= 3, parts[parts.count - 2] == "worktrees", parts[parts.count - 3] == ".git" {
                roots.append(gitDirectory.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent())
            }
        }
        return roots.map { $0.deletingLastPathComponent().appendingPathComponent("shared").standardizedFileURL }
    }

    private static func isFolder(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
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
