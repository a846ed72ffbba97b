import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import ScalingCore

/// Where a catalog file officially comes from, and the checksum it must have.
public struct DatasetSource: Sendable, Hashable {
    /// The official file at a pinned upstream revision.
    public var url: String
    /// Lower-case hex SHA-256 of the file (as `../shared/data/*/PROVENANCE.md` records it).
    public var sha256: String
}

/// What `pull` did.
public enum DatasetPullOutcome: Sendable, Hashable {
    case alreadyPresent(path: String)
    case downloaded(path: String)
}

extension DatasetCatalog {
    /// The official sources, pinned to upstream revisions. ARC-Challenge ships only
    /// inside a 680 MB zip, so it has no entry: pass its path or set QUORUM_DATA.
    public static let sources: [String: DatasetSource] = [
        "gsm8k:test": DatasetSource(
            url: "https://raw.githubusercontent.com/openai/grade-school-math/3101c7d5072418e28b9008a6636bde82a006892c/grade_school_math/data/test.jsonl",
            sha256: "3730d312f6e3440559ace48831e51066acaca737f6eabec99bccb9e4b3c39d14"),
        "gsm8k:train": DatasetSource(
            url: "https://raw.githubusercontent.com/openai/grade-school-math/3101c7d5072418e28b9008a6636bde82a006892c/grade_school_math/data/train.jsonl",
            sha256: "17f347dc51477c50d4efb83959dbb7c56297aba886e5544ee2aaed3024813465"),
        "math500:test": DatasetSource(
            url: "https://huggingface.co/datasets/HuggingFaceH4/MATH-500/resolve/main/test.jsonl",
            sha256: "35dc41080a3680858b27fa7e0533d2d547825316fc5dafe5d316f4ccc5a06132"),
        "humaneval:test": DatasetSource(
            url: "https://raw.githubusercontent.com/openai/human-eval/463c980b59e818ace59f6f9803cd92c749ceae61/data/HumanEval.jsonl.gz",
            sha256: "b796127e635a67f93fb35c04f4cb03cf06f38c8072ee7cee8833d7bee06979ef"),
        "mbpp:full": DatasetSource(
            url: "https://raw.githubusercontent.com/google-research/google-research/041338718b4e8151372fd63677104c65b73a0a4e/mbpp/mbpp.jsonl",
            sha256: "ccf64ceae9c5403bf50a044cb6d505bfd2a2963ee58338ba268fd65beab92a9f"),
        "mbpp:sanitized": DatasetSource(
            url: "https://raw.githubusercontent.com/google-research/google-research/ec7c3d346277b737bc2decffcd1b533d4b7ec105/mbpp/sanitized-mbpp.json",
            sha256: "ca95deaa9a01ef0a6f439f88bcf0dd3db3563d22f22aad6cae04ebb9a8d8c8e9"),
    ]

    /// Where pulled files go, laid out like `shared/data`: `$QUORUM_HOME/data`
    /// (default `~/.cache/quorum/data`). `resolve` looks here after the data root.
    public static var pulledRoot: String {
        QuorumHome.path() + "/data"
    }

    /// Downloads a catalog file and checks its SHA-256; does nothing when a checked copy is there.
    ///
    /// - Parameters:
    ///   - mirror: a base URL serving files laid out like `shared/data`
    ///     (`MIRROR/gsm8k/test.jsonl`), used instead of the official source.
    ///   - destinationRoot: where to save (default `pulledRoot`).
    ///   - timeout: seconds before a stalled download fails.
    public static func pull(_ name: String, mirror: String? = nil, destinationRoot: String? = nil,
                            timeout: TimeInterval = 60) async throws(DatasetError) -> DatasetPullOutcome {
        guard let entry = entry(named: name) else {
            throw .unknownDataset(name: name, reason: "not a known data set name (known: \(names.joined(separator: ", ")))")
        }
        guard let source = sources[entry.name] else {
            throw .noDownloadSource(name: entry.name, reason: "it has no single official file to download (ARC ships inside a 680 MB zip)")
        }
        let root = destinationRoot ?? pulledRoot
        let destination = (root as NSString).appendingPathComponent(entry.relativePath)
        if let existing = FileManager.default.contents(atPath: destination), sha256(existing) == source.sha256 {
            return .alreadyPresent(path: destination)
        }
        let urlString = mirror.map { $0.hasSuffix("/") ? $0 + entry.relativePath : $0 + "/" + entry.relativePath } ?? source.url
        guard let url = URL(string: urlString) else {
            throw .downloadFailed(name: entry.name, url: urlString, reason: "not a valid URL")
        }
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout * 10
        let session = URLSession(configuration: configuration)
        let data: Data
        do {
            let (body, response) = try await session.data(from: url)
            if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) {
                throw DatasetError.downloadFailed(name: entry.name, url: urlString, reason: "HTTP status \(http.statusCode)")
            }
            data = body
        } catch let error as DatasetError {
            throw error
        } catch {
            throw .downloadFailed(name: entry.name, url: urlString, reason: "\(error.localizedDescription) (no connection to the source?)")
        }
        let found = sha256(data)
        guard found == source.sha256 else {
            throw .checksumMismatch(name: entry.name, url: urlString, expected: source.sha256, found: found)
        }
        do {
            try FileManager.default.createDirectory(atPath: (destination as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            // Written whole to a temporary name, then renamed: never a half file under the real name.
            try data.write(to: URL(fileURLWithPath: destination), options: .atomic)
        } catch {
            throw .unreadable(path: destination, reason: "cannot save the download: \(error.localizedDescription)")
        }
        return .downloaded(path: destination)
    }

    private static func sha256(_ data: Data) -> String {
        var h = SHA256()
        data.withUnsafeBytes { h.update($0) }
        return h.finalizeHex()
    }
}
