/// The decoder architectures the engine runs, keyed on `general.architecture`.
///
/// All three are llama-shaped (RMSNorm, rotary positions, grouped-query attention,
/// SwiGLU); they differ in the details recorded here, as llama.cpp's
/// `llama_model_rope_type` and its per-architecture graph builders do.
public enum ModelArchitecture: String, Sendable, CaseIterable {
    case llama
    /// Mistral 7B-style files that keep their own architecture name (most converters
    /// write `llama`); same graph as llama. Sliding-window attention is not applied,
    /// which is exact up to the window (4,096 positions).
    case mistral
    /// Qwen2: biases on the Q, K and V projections; NeoX-style rotary embedding.
    case qwen2

    /// Names accepted in `general.architecture`, for error messages.
    public static var supportedNames: [String] { allCases.map(\.rawValue) }

    /// ggml's rope mode: "normal" rotates adjacent pairs `(x[2i], x[2i+1])`, NeoX
    /// rotates `(x[i], x[i + d/2])`.
    public var rotatesAdjacentPairs: Bool { self != .qwen2 }

    /// Looks up an architecture name, throwing a message that lists the supported ones.
    public static func named(_ name: String) throws(ModelsError) -> ModelArchitecture {
        guard let architecture = ModelArchitecture(rawValue: name) else {
            throw .unsupportedArchitecture(found: name, supported: supportedNames)
        }
        return architecture
    }
}
