import ArgumentParser
import OpenAIClient
import ScalingCore

/// The options that point a command at OpenAI-compatible servers instead of the
/// embedded engine: `--base-url URL [--base-url URL ...] --model NAME`, or the URL form
/// `--model NAME@http://host:8000/v1`. Shared by `run`, `ask` and `generate`.
struct BackendOptions: ParsableArguments {
    @Option(name: .customLong("base-url"), parsing: .singleValue,
            help: ArgumentHelp("An OpenAI-compatible server's base URL, e.g. http://gpu1:8000/v1 (vLLM, SGLang, llama.cpp, Ollama, a hosted API); repeat it for a fleet serving the same model. With it, --model is the served model's name.",
                               valueName: "url"))
    var baseURLs: [String] = []

    @Option(name: .customLong("api-key-env"), help: ArgumentHelp("The environment variable that holds the API key (none needed for local servers).", valueName: "name"))
    var apiKeyEnvironmentVariable: String = OpenAIAPIKey.defaultEnvironmentVariable

    @Option(name: .customLong("api-key-file"), help: ArgumentHelp("A file whose first line is the API key (instead of --api-key-env).", valueName: "path"))
    var apiKeyFile: String?

    @Option(help: "OpenAI backend: HTTP requests in flight at once, over all base URLs.")
    var maxConcurrentRequests: Int = 16

    @Option(help: "OpenAI backend: attempts per request (429, 5xx, timeouts and refused connections are retried with backoff).")
    var maxAttempts: Int = 6

    @Option(help: "OpenAI backend: seconds to wait for one response.")
    var requestTimeout: Double = 600

    @Option(help: "OpenAI backend: `batch` sends n samples as one request with the first sample's seed (shared prefill); `per-sample` sends one request per sample with its own seed (each sample reproducible alone).")
    var seedMode: SeedMode = .batch

    /// The served model and its endpoints when the command talks to OpenAI-compatible
    /// servers (`--base-url`, the URL form of `model`, or `--backend openai`); nil for the
    /// embedded engine.
    func openAIConfiguration(model: String, backend: String? = nil) throws -> OpenAIClientConfiguration? {
        var name = model
        var urls = baseURLs
        if let split = OpenAIClientConfiguration.splitModelURL(model) {
            name = split.model
            urls.append(split.baseURL)
        }
        if backend == "openai" && urls.isEmpty {
            throw ValidationError("--backend openai needs --base-url URL (or --model NAME@URL).")
        }
        guard !urls.isEmpty else { return nil }
        if let backend, backend != "openai" && backend != "embedded" {
            throw ValidationError("--backend must be `embedded` or `openai`, not '\(backend)'.")
        }
        if backend == "embedded" {
            throw ValidationError("--base-url and --model NAME@URL need --backend openai (or no --backend).")
        }
        guard maxConcurrentRequests >= 1 else { throw ValidationError("--max-concurrent-requests must be at least 1.") }
        guard maxAttempts >= 1 else { throw ValidationError("--max-attempts must be at least 1.") }
        guard requestTimeout > 0 else { throw ValidationError("--request-timeout must be more than 0 seconds.") }
        let key = try apiKeyFile.map { try OpenAIAPIKey.fromFile($0) } ?? OpenAIAPIKey.fromEnvironment(apiKeyEnvironmentVariable)
        let configuration = OpenAIClientConfiguration(
            baseURLs: urls, model: name, apiKey: key, retry: RetryPolicy(maxAttempts: maxAttempts),
            maxConcurrentRequests: maxConcurrentRequests, requestTimeout: requestTimeout, seedMode: seedMode)
        _ = try configuration.normalizedBaseURLs()
        return configuration
    }

    /// The run store's name of the backend: the seed mode decides which samples a run
    /// holds, so it is part of the run's identity; the URLs and the key are not (a fleet
    /// can grow, a key can rotate, and the run resumes).
    static func runBackendName(_ configuration: OpenAIClientConfiguration) -> String {
        configuration.seedMode == .batch ? "openai" : "openai:\(configuration.seedMode.rawValue)"
    }
}

extension SeedMode: ExpressibleByArgument {}
