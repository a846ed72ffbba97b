import ArgumentParser
import Engine
import Foundation
import ModelHub
import QuorumKit
import Server

/// `quorum serve`: the embedded engine behind an OpenAI-compatible HTTP API.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a model over the OpenAI API (chat and legacy completions, streaming, a strategy per request).",
        discussion: """
            Routes: GET /v1/models, POST /v1/chat/completions, POST /v1/completions, GET /health, GET /openapi.json.
            A strategy per request: model "STRATEGY[:PARAMS]@MODEL" (e.g. self-consistency:8@smollm2-135m-instruct)
            or the request field "quorum": {"strategy": "best-of-n:8,score=logprob"}.
            """)

    @Option(help: "Model name in the cache or a path to a .gguf file.")
    var model: String = ModelCatalog.defaultModel.name

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one; the bound port is printed).")
    var port: Int = 8080

    @Option(name: .customLong("api-key"), help: "Require 'Authorization: Bearer KEY' on /v1 routes. Other users of the machine see it in the process list: prefer --api-key-file or --api-key-env.")
    var apiKey: String?

    @Option(name: .customLong("api-key-file"), help: "Read the API key from this file (first line).")
    var apiKeyFile: String?

    @Option(name: .customLong("api-key-env"), help: "Read the API key from this environment variable.")
    var apiKeyEnv: String?

    @Option(name: .customLong("max-n"), help: "The largest n (and strategy sample count) a request may ask for.")
    var maxN: Int = 16

    @Option(name: .customLong("max-concurrency"), help: "Requests generating at once.")
    var maxConcurrency: Int = 8

    @Option(name: .customLong("max-queue"), help: "Requests waiting for a slot; beyond this the server answers 429.")
    var maxQueue: Int = 64

    @Option(help: "Seconds a request may take.")
    var timeout: Double = 300

    @Option(name: .customLong("idle-timeout"), help: "Seconds before closing a connection that sends nothing (or only part of a request head); a request being answered is not idle.")
    var idleTimeout: Double = 30

    @Option(name: .customLong("max-body-bytes"), help: "The largest request body.")
    var maxBodyBytes: Int = 1 << 20

    @Option(name: .customLong("max-tokens-limit"), help: "The largest max_tokens a request may ask for (default: the context length).")
    var maxTokensLimit: Int?

    @Option(help: "Worker threads (default: all processors).")
    var threads: Int?

    @Option(name: .customLong("max-moa-layers"), help: "The largest moa layers=L a strategy request may ask for.")
    var maxMoALayers: Int = StrategyLimits().maxLayers

    @Option(name: .customLong("max-moa-window"), help: "The largest self-moa-seq window=W a strategy request may ask for.")
    var maxMoAWindow: Int = StrategyLimits().maxWindow

    @Option(name: .customLong("max-moa-repeats"), help: "The largest self-moa-seq repeats=R a strategy request may ask for.")
    var maxMoARepeats: Int = StrategyLimits().maxRepeats

    @Option(name: .customLong("max-strategy-calls"), help: "Model calls one strategy request may make at most (worst case, checked before any call).")
    var maxStrategyCalls: Int = StrategyLimits().maxModelCalls

    @Option(name: .customLong("max-strategy-tokens"), help: "Tokens one strategy request may generate over all its calls (samples × max_tokens, worst case).")
    var maxStrategyTokens: Int = StrategyLimits().maxGeneratedTokens

    func validate() throws {
        do { try ThreadCount.validate(threads) } catch { throw ValidationError(error.description) }
        guard (1...65535).contains(port) || port == 0 else { throw ValidationError("--port must be 0 to 65535.") }
        guard (1...64).contains(maxN) else { throw ValidationError("--max-n must be 1 to 64.") }
        guard maxConcurrency >= 1 else { throw ValidationError("--max-concurrency must be at least 1.") }
        guard maxQueue >= 0 else { throw ValidationError("--max-queue must be 0 or more.") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive.") }
        guard idleTimeout > 0 else { throw ValidationError("--idle-timeout must be positive.") }
        guard maxBodyBytes >= 1024 else { throw ValidationError("--max-body-bytes must be at least 1024.") }
        if let maxTokensLimit, maxTokensLimit < 1 { throw ValidationError("--max-tokens-limit must be at least 1.") }
        if [apiKey != nil, apiKeyFile != nil, apiKeyEnv != nil].filter({ $0 }).count > 1 {
            throw ValidationError("Give one of --api-key, --api-key-file and --api-key-env.")
        }
        for (name, value) in [("--max-moa-layers", maxMoALayers), ("--max-moa-window", maxMoAWindow), ("--max-moa-repeats", maxMoARepeats),
                              ("--max-strategy-calls", maxStrategyCalls), ("--max-strategy-tokens", maxStrategyTokens)] where value < 1 {
            throw ValidationError("\(name) must be at least 1.")
        }
        guard maxMoALayers >= 2 else { throw ValidationError("--max-moa-layers must be at least 2 (moa needs a proposer and an aggregator layer).") }
    }

    func run() async throws {
        var key = apiKey
        if let apiKeyFile {
            let text = try String(contentsOfFile: apiKeyFile, encoding: .utf8)
            key = text.split(whereSeparator: \.isNewline).first.map { $0.trimmingCharacters(in: .whitespaces) }
            guard let key, !key.isEmpty else { throw ValidationError("--api-key-file \(apiKeyFile) holds no key.") }
        }
        if let apiKeyEnv {
            key = ProcessInfo.processInfo.environment[apiKeyEnv]?.trimmingCharacters(in: .whitespacesAndNewlines)
            guard let key, !key.isEmpty else { throw ValidationError("The environment variable \(apiKeyEnv) (--api-key-env) holds no key.") }
        }
        // A catalog model keeps its catalog name, also when given by its path in the cache;
        // any other file is served under its file name without the extension.
        let fileName = try ModelCache().resolve(model).lastPathComponent
        let backend = try ModelBackend.embedded(model, name: ModelBackend.catalogName(of: model) ?? (fileName as NSString).deletingPathExtension,
                                                threads: threads, batchWidth: maxN, hashFile: false)
        guard let provider = backend.provider as? EmbeddedCompletionProvider, let window = backend.contextWindow else {
            preconditionFailure("ModelBackend.embedded always gives the embedded engine with its context window")
        }
        let name = backend.modelName
        var served = ServedModel(provider: provider, name: name, aliases: [fileName], contextLength: window.limit,
                                 countTokens: window.countTokens)
        served.engineLoad = {
            let statistics = provider.statistics
            return EngineLoad(running: statistics.running, queued: statistics.queued, cancelled: statistics.cancelledRequests)
        }
        let configuration = ServerConfiguration(
            host: host, port: port, apiKey: key, maxN: maxN, maxConcurrency: maxConcurrency, maxQueue: maxQueue,
            timeoutSeconds: timeout, maxBodyBytes: maxBodyBytes, maxTokensLimit: maxTokensLimit,
            strategyLimits: StrategyLimits(maxLayers: maxMoALayers, maxWindow: maxMoAWindow, maxRepeats: maxMoARepeats,
                                           maxModelCalls: maxStrategyCalls, maxGeneratedTokens: maxStrategyTokens),
            idleTimeoutSeconds: idleTimeout)
        let host = host
        let keyNote = key == nil ? "" : " (API key required)"
        try await OpenAIServer(model: served, configuration: configuration).run { port in
            // One line, for scripts and tests that started the server on port 0.
            FileHandle.standardOutput.write(Data("quorum serve: \(name) on http://\(host):\(port)\(keyNote)\n".utf8))
        }
    }
}
