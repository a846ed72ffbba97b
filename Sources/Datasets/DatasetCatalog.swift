import Foundation

/// The standard benchmark files under a data root laid out like `shared/data`, so a
/// user can name `gsm8k` or `gsm8k:train` instead of a path.
///
/// The root is `QUORUM_DATA` unless given, else `../shared/data` from the current directory. Names are `SET` (its default split) or
/// `SET:SPLIT`.
public enum DatasetCatalog {
    /// One known file: where it lives under the root and its format.
    public struct Entry: Sendable, Hashable {
        /// `gsm8k:train`.
        public var name: String
        /// Path relative to the data root.
        public var relativePath: String
        public var format: DatasetFormat
    }

    /// Every catalog entry; the first entry of a set is its default split.
    public static let entries: [Entry] = [
        Entry(name: "gsm8k:test", relativePath: "gsm8k/test.jsonl", format: .gsm8k),
        Entry(name: "gsm8k:train", relativePath: "gsm8k/train.jsonl", format: .gsm8k),
        Entry(name: "math500:test", relativePath: "math500/test.jsonl", format: .math),
        Entry(name: "humaneval:test", relativePath: "humaneval/HumanEval.jsonl.gz", format: .humaneval),
        Entry(name: "mbpp:full", relativePath: "mbpp/mbpp.jsonl", format: .mbpp),
        Entry(name: "mbpp:sanitized", relativePath: "mbpp/sanitized-mbpp.json", format: .mbppSanitized),
        Entry(name: "arc-challenge:test", relativePath: "arc-challenge/ARC-Challenge-Test.jsonl", format: .arc),
        Entry(name: "arc-challenge:train", relativePath: "arc-challenge/ARC-Challenge-Train.jsonl", format: .arc),
        Entry(name: "arc-challenge:dev", relativePath: "arc-challenge/ARC-Challenge-Dev.jsonl", format: .arc),
    ]

    /// The names a user can give: each set alone and each `set:split`.
    public static var names: [String] {
        var result: [String] = []
        for entry in entries {
            let set = setName(entry.name)
            if !result.contains(set) { result.append(set) }
            result.append(entry.name)
        }
        return result
    }

    /// The expected layout, for hints: `gsm8k/test.jsonl, ...`.
    public static var layoutSummary: String {
        entries.map(\.relativePath).joined(separator: ", ")
    }

    /// Other spellings users reach for.
    static let aliases = ["arc": "arc-challenge", "math": "math500", "mbpp-sanitized": "mbpp:sanitized",
                          "arc:test": "arc-challenge:test", "arc:train": "arc-challenge:train", "arc:dev": "arc-challenge:dev"]

    /// The catalog entry for `name` (`gsm8k` → its default split), or nil.
    public static func entry(named name: String) -> Entry? {
        let lowered = aliases[name.lowercased()] ?? name.lowercased()
        return entries.first { $0.name == lowered } ?? entries.first { setName($0.name) == lowered }
    }

    /// Where the data root is looked for when `QUORUM_DATA` is unset: `../shared/data`
    /// from the current directory (the repository root in the README's layout).
    public static let defaultRelativeRoot = "../shared/data"

    /// The data root: `QUORUM_DATA` when set, else `../shared/data` when that folder
    /// exists, else nil.
    public static var defaultRoot: String? {
        if let root = ProcessInfo.processInfo.environment["QUORUM_DATA"], !root.isEmpty { return root }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: defaultRelativeRoot, isDirectory: &isDirectory), isDirectory.boolValue {
            return defaultRelativeRoot
        }
        return nil
    }

    /// The file behind a catalog name, checked to exist.
    ///
    /// - Parameter root: the data root; nil uses `defaultRoot` (`QUORUM_DATA` or `../shared/data`).
    /// - Throws: `DatasetError.unknownDataset` saying which name or file was looked for.
    public static func resolve(_ name: String, root: String? = nil) throws(DatasetError) -> (path: String, entry: Entry) {
        guard let entry = entry(named: name) else {
            throw .unknownDataset(name: name, reason: "not a file, and not a known data set name (known: \(names.joined(separator: ", ")))")
        }
        // The given or default root first, then what `quorum data pull` installed.
        let roots = [root ?? defaultRoot, pulledRoot].compactMap { $0 }
        let candidates = roots.map { ($0 as NSString).appendingPathComponent(entry.relativePath) }
        if let path = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) {
            return (path, entry)
        }
        let here = FileManager.default.currentDirectoryPath
        let rootNote = root ?? defaultRoot == nil ? "QUORUM_DATA is not set and \(defaultRelativeRoot) (from \(here)) does not exist; " : ""
        throw .unknownDataset(name: name, reason: "\(rootNote)looked for \(candidates.joined(separator: " and ")), which do not exist")
    }

    /// Loads `nameOrPath`: an existing file, else a catalog name under `root` (or
    /// `defaultRoot`). A catalog name uses its entry's format unless `format` is given.
    public static func load(_ nameOrPath: String, root: String? = nil, format: DatasetFormat? = nil,
                            skipInvalid: Bool = false) throws(DatasetError) -> Dataset {
        if FileManager.default.fileExists(atPath: nameOrPath) {
            return try Dataset.load(path: nameOrPath, format: format, skipInvalid: skipInvalid)
        }
        // Something path-like that is missing is a missing file, not an unknown name.
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".jsonl") || nameOrPath.hasSuffix(".json") || nameOrPath.hasSuffix(".gz") {
            throw .fileNotFound(path: nameOrPath)
        }
        let (path, entry) = try resolve(nameOrPath, root: root)
        return try Dataset.load(path: path, format: format ?? entry.format, skipInvalid: skipInvalid)
    }

    private static func setName(_ name: String) -> String {
        String(name.split(separator: ":", maxSplits: 1)[0])
    }
}
