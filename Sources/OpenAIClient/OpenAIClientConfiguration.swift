import Foundation

/// How Quorum's one-seed-per-sample requests map onto a server's one seed per request.
public enum SeedMode: String, Sendable, Hashable, CaseIterable, Codable {
    /// One request with `n` = the sample count and `seed` = the first sample's seed (the
    /// default). The server shares the prompt's prefill across the choices (vLLM and
    /// SGLang fork one prompt), and it takes one round trip instead of n. The samples are
    /// reproducible as a batch only: choice i depends on the first seed and on i. That is
    /// also all a batching server promises anyway: vLLM and SGLang do not reproduce a seed
    /// bit for bit when other requests share the batch.
    case batch
    /// One request per sample, each with its own seed and `n` = 1: sample i depends only
    /// on its own seed, so one sample can be drawn again alone and a run that is resumed
    /// or extended in different chunks gets the same samples (on a server that honours
    /// seeds deterministically, e.g. llama.cpp's on one slot). Costs n round trips; a
    /// server with prompt caching (vLLM, SGLang, llama.cpp) still prefills once.
    case perSample = "per-sample"
}

/// Everything the OpenAI client needs except the prompts: where the model is served,
/// how hard to push the servers, and how to react when they fail.
public struct OpenAIClientConfiguration: Sendable {
    /// The servers of one model, each a base URL that `/chat/completions` is appended to
    /// (`http://gpu1:8000/v1`). Requests are balanced over them.
    public var baseURLs: [String]
    /// The model name the servers know (the `model` field of each request).
    public var model: String
    /// Sent as `Authorization: Bearer`; nil sends no header (local servers).
    public var apiKey: OpenAIAPIKey?
    public var retry: RetryPolicy
    /// HTTP requests in flight at once, over all endpoints.
    public var maxConcurrentRequests: Int
    /// Longest wait for one response, seconds (a long generation needs a long timeout).
    public var requestTimeout: Double
    /// How long an endpoint that failed gets no traffic while others are healthy, seconds.
    public var coolOffSeconds: Double
    public var seedMode: SeedMode

    public init(baseURLs: [String], model: String, apiKey: OpenAIAPIKey? = nil, retry: RetryPolicy = RetryPolicy(),
                maxConcurrentRequests: Int = 16, requestTimeout: Double = 600, coolOffSeconds: Double = 10,
                seedMode: SeedMode = .batch) {
        self.baseURLs = baseURLs
        self.model = model
        self.apiKey = apiKey
        self.retry = retry
        self.maxConcurrentRequests = maxConcurrentRequests
        self.requestTimeout = requestTimeout
        self.coolOffSeconds = coolOffSeconds
        self.seedMode = seedMode
    }

    /// Checks the values and returns the base URLs normalised (no trailing slash).
    public func normalizedBaseURLs() throws(OpenAIClientError) -> [String] {
        guard !baseURLs.isEmpty else { throw .invalidConfiguration(field: "base URLs", value: "none", expected: "at least one --base-url") }
        guard !model.isEmpty else { throw .invalidConfiguration(field: "model", value: "\"\"", expected: "the served model's name") }
        guard retry.maxAttempts >= 1 else { throw .invalidConfiguration(field: "max attempts", value: "\(retry.maxAttempts)", expected: "1 or more") }
        guard maxConcurrentRequests >= 1 else {
            throw .invalidConfiguration(field: "max concurrent requests", value: "\(maxConcurrentRequests)", expected: "1 or more")
        }
        guard requestTimeout > 0 else { throw .invalidConfiguration(field: "request timeout", value: "\(requestTimeout)", expected: "more than 0 s") }
        var result: [String] = []
        for raw in baseURLs {
            var url = raw.trimmingCharacters(in: .whitespaces)
            while url.hasSuffix("/") { url.removeLast() }
            guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), ["http", "https"].contains(scheme) else {
                throw .invalidBaseURL(raw, reason: "it must start with http:// or https://")
            }
            guard let host = parsed.host, !host.isEmpty else { throw .invalidBaseURL(raw, reason: "it names no host") }
            guard parsed.user == nil && parsed.password == nil else {
                throw .invalidBaseURL("(a URL with credentials)", reason: "put the key in the environment or a file, not in the URL")
            }
            guard parsed.query == nil && parsed.fragment == nil else { throw .invalidBaseURL(raw, reason: "it must not have a query or fragment") }
            result.append(url)
        }
        return result
    }
}

extension OpenAIClientConfiguration {
    /// Splits the URL form of a model, `NAME@http(s)://host[:port]/v1`, into the served
    /// model's name and one base URL; nil when `text` has no `@http://` or `@https://`.
    /// Model names may contain `@` and `/` (`org/model@rev`): the split is at the last
    /// `@` that starts a URL.
    public static func splitModelURL(_ text: String) -> (model: String, baseURL: String)? {
        let candidates = ["@http://", "@https://"].compactMap { text.range(of: $0, options: [.backwards, .caseInsensitive]) }
        guard let at = candidates.max(by: { $0.lowerBound < $1.lowerBound }) else { return nil }
        let model = String(text[..<at.lowerBound])
        let url = String(text[text.index(after: at.lowerBound)...])
        return model.isEmpty ? nil : (model, url)
    }
}
