import ScalingCore

/// Another provider with some sampling parameters fixed, under its own name.
///
/// Lets one model act as several Mixture-of-Agents proposers (the default model at
/// temperatures 0.3 and 1.0, say) when only one model is at hand; any `CompletionProvider`
/// (the embedded engine, an OpenAI-compatible endpoint) can be wrapped. A proposer list
/// may mix wrapped and plain providers of different models and backends.
public struct OverridingProvider: CompletionProvider {
    public let base: any CompletionProvider
    public let modelName: String
    /// Replaces the request's temperature, when set.
    public var temperature: Double?
    /// Replaces the request's nucleus threshold, when set.
    public var topP: Double?

    public init(_ base: any CompletionProvider, temperature: Double? = nil, topP: Double? = nil, name: String? = nil) {
        self.base = base
        self.temperature = temperature
        self.topP = topP
        var suffix: [String] = []
        if let temperature { suffix.append("temperature=\(temperature)") }
        if let topP { suffix.append("top-p=\(topP)") }
        modelName = name ?? (suffix.isEmpty ? base.modelName : "\(base.modelName)@\(suffix.joined(separator: ","))")
    }

    public func complete(_ request: CompletionRequest) async throws -> [Completion] {
        var request = request
        if let temperature { request.parameters.temperature = temperature }
        if let topP { request.parameters.topP = topP }
        return try await base.complete(request)
    }

    /// Parses a proposer written `MODEL[@temperature=T][,top-p=P]` into the model part and
    /// the overrides, for the CLI's `--proposer`.
    public static func parse(_ text: String) throws(AggregationError) -> (model: String, temperature: Double?, topP: Double?) {
        let parts = text.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let model = parts.first, !model.isEmpty else {
            throw .invalidParameter(strategy: "moa", parameter: "proposer", value: text, expected: "MODEL[@temperature=T][,top-p=P]")
        }
        var temperature: Double?, topP: Double?
        if parts.count == 2 {
            for item in parts[1].split(separator: ",") {
                let pair = item.split(separator: "=", maxSplits: 1).map(String.init)
                guard pair.count == 2, let value = Double(pair[1]), value >= 0 else {
                    throw .invalidParameter(strategy: "moa", parameter: "proposer", value: text,
                                            expected: "MODEL[@temperature=T][,top-p=P] with numbers of at least 0")
                }
                switch pair[0] {
                case "temperature": temperature = value
                case "top-p": topP = value
                default:
                    throw .invalidParameter(strategy: "moa", parameter: "proposer", value: text,
                                            expected: "overrides temperature= or top-p=")
                }
            }
        }
        return (model, temperature, topP)
    }
}
