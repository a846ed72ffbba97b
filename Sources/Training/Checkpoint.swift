import Foundation

/// What a checkpoint records besides the weights and moments: enough to continue the run
/// exactly where it stopped.
public struct CheckpointState: Sendable, Codable, Equatable {
    public var settings: TrainingSettings
    public var exampleCount: Int
    public var order: DataOrder
    public var history: [StepReport]
    public var optimizerSteps: Int
    /// A preference run's loss settings (nil for SFT; absent in checkpoints made before there were any).
    public var preference: IRPOObjective.Settings? = nil
}

/// A folder of checkpoints: `step-N/` each holding `state.json`, `parameters.f32`,
/// `moment1.f32` and `moment2.f32`, and `latest` naming the newest complete one.
///
/// A checkpoint is written into `step-N.partial/`, flushed, renamed to `step-N/`, and only
/// then named in `latest` (itself replaced by a rename), so `kill -9` at any moment leaves
/// the previous checkpoint intact and in use. Older checkpoints are removed after.
public struct CheckpointDirectory: Sendable {
    public let path: String

    public init(path: String) throws(TrainingError) {
        self.path = path
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        catch { throw .io(path: path, reason: "cannot create the checkpoint folder: \(error.localizedDescription)") }
    }

    private var latestFile: String { path + "/latest" }

    /// Whether a checkpoint has been saved here.
    public var hasCheckpoint: Bool { FileManager.default.fileExists(atPath: latestFile) }

    public func save(_ state: CheckpointState, parameters: ParameterArena, optimizer: AdamW) throws(TrainingError) {
        let name = "step-\(state.history.count)"
        let partial = path + "/" + name + ".partial", final = path + "/" + name
        let fm = FileManager.default
        try? fm.removeItem(atPath: partial)
        do {
            try fm.createDirectory(atPath: partial, withIntermediateDirectories: true)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try Self.writeSynced(encoder.encode(state), to: partial + "/state.json")
            try Self.writeSynced(Data(buffer: UnsafeBufferPointer(parameters.buffer)), to: partial + "/parameters.f32")
            try Self.writeSynced(Data(buffer: UnsafeBufferPointer(optimizer.firstMoment.buffer)), to: partial + "/moment1.f32")
            try Self.writeSynced(Data(buffer: UnsafeBufferPointer(optimizer.secondMoment.buffer)), to: partial + "/moment2.f32")
            try? fm.removeItem(atPath: final)
            try fm.moveItem(atPath: partial, toPath: final)
            try Self.writeSynced(Data(name.utf8), to: latestFile + ".partial")
            guard rename(latestFile + ".partial", latestFile) == 0 else {
                throw TrainingError.io(path: latestFile, reason: String(cString: strerror(errno)))
            }
        } catch let error as TrainingError {
            throw error
        } catch {
            throw .io(path: partial, reason: "cannot write the checkpoint: \(error.localizedDescription)")
        }
        // Older checkpoints (and partial ones a kill left behind) are no longer needed.
        for entry in (try? fm.contentsOfDirectory(atPath: path)) ?? [] where entry.hasPrefix("step-") && entry != name {
            try? fm.removeItem(atPath: path + "/" + entry)
        }
    }

    /// Loads the newest checkpoint into `parameters` and `optimizer`; nil when there is none.
    public func loadLatest(into parameters: ParameterArena, optimizer: AdamW) throws(TrainingError) -> CheckpointState? {
        guard let data = FileManager.default.contents(atPath: latestFile) else { return nil }
        let name = String(decoding: data, as: UTF8.self)
        let folder = path + "/" + name
        let state: CheckpointState
        do { state = try JSONDecoder().decode(CheckpointState.self, from: Data(contentsOf: URL(fileURLWithPath: folder + "/state.json"))) }
        catch { throw .invalidCheckpoint(path: folder, reason: "state.json cannot be read (\(error.localizedDescription))") }
        for (file, arena) in [("parameters.f32", parameters), ("moment1.f32", optimizer.firstMoment), ("moment2.f32", optimizer.secondMoment)] {
            guard let bytes = FileManager.default.contents(atPath: folder + "/" + file) else {
                throw .invalidCheckpoint(path: folder, reason: "\(file) is missing")
            }
            guard bytes.count == arena.layout.count * MemoryLayout<Float>.stride else {
                throw .invalidCheckpoint(path: folder, reason: "\(file) has \(bytes.count) bytes; this model needs \(arena.layout.count * 4)")
            }
            _ = bytes.copyBytes(to: arena.buffer)
        }
        optimizer.restore(stepCount: state.optimizerSteps)
        return state
    }

    static func writeSynced(_ data: Data, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw TrainingError.io(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        try data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                guard n > 0 else { throw TrainingError.io(path: path, reason: String(cString: strerror(errno))) }
                offset += n
            }
        }
        guard fsync(fd) == 0 else { throw TrainingError.io(path: path, reason: String(cString: strerror(errno))) }
    }
}
