import Foundation
import Hummingbird
import OpenAIAPI
import ScalingCore

/// An OpenAI-compatible HTTP server in front of one `CompletionProvider`:
/// `GET /v1/models`, `POST /v1/chat/completions`, `POST /v1/completions`, `GET /health`
/// and `GET /openapi.json` (the OpenAPI 3.1 document of these routes).
///
/// `n > 1` runs as one request with `n` seeds (one shared-prompt batch on the embedded
/// engine). A model name `STRATEGY[:PARAMS]@MODEL` or the request field
/// `quorum.strategy` answers with an Aggregation strategy instead; its evidence and spend
/// come back in the `quorum` extension field. Streams are server-sent events in OpenAI's
/// chunk format, ending with `data: [DONE]`.
///
/// Every request the client can fix gets a 4xx with an OpenAI-shaped error body; 5xx is
/// kept for the model's own failures and timeouts.
public struct OpenAIServer: Sendable {
    public let model: ServedModel
    public let configuration: ServerConfiguration
    private let planner: RequestPlanner
    private let service: GenerationService
    private let created = Int(Date().timeIntervalSince1970)

    public init(model: ServedModel, configuration: ServerConfiguration) {
        self.model = model
        self.configuration = configuration
        planner = RequestPlanner(model: model, configuration: configuration)
        service = GenerationService(model: model, configuration: configuration,
                                    gate: AdmissionGate(maxConcurrency: configuration.maxConcurrency, maxQueue: configuration.maxQueue))
    }

    /// Serves until SIGINT or SIGTERM; `onListening` gets the bound port (useful with port 0).
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let port = configuration.port
        let application = Application(
            router: makeRouter(),
            server: .http1(configuration: .init(idleTimeout: .milliseconds(Int64(configuration.idleTimeoutSeconds * 1000)))),
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: port), serverName: "quorum"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? port) })
        try await application.runService()
    }

    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: OpenAIErrorMiddleware())
        router.get("/health") { _, _ in await health() }
        let document = OpenAPIDocument.json(
            modelNames: [model.name] + model.aliases, maxN: configuration.maxN,
            maxTokens: min(configuration.maxTokensLimit ?? model.contextLength, model.contextLength),
            authenticated: configuration.apiKey != nil)
        router.get("/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: document)))
        }
        router.get("/v1/models") { request, _ in
            do {
                try authorize(request)
                let list = ModelList(data: ([model.name] + model.aliases).map { ModelInfo(id: $0, created: created) })
                return jsonResponse(.ok, (try? OpenAIJSON.makeEncoder().encode(list)) ?? Data())
            } catch {
                return errorResponse(error)
            }
        }
        router.post("/v1/chat/completions") { request, _ in await complete(request, endpoint: .chat) }
        router.post("/v1/completions") { request, _ in await complete(request, endpoint: .text) }
        return router
    }

    // MARK: Handlers

    private func health() async -> Response {
        let load = await service.gate.load
        var fields: [String: JSONValue] = [
            "status": .string("ok"), "model": .string(model.name),
            "running": .number(Double(load.running)), "waiting": .number(Double(load.waiting)),
        ]
        if let engine = model.engineLoad?() {
            fields["engine"] = .object(["running": .number(Double(engine.running)), "queued": .number(Double(engine.queued)),
                                        "cancelled": .number(Double(engine.cancelled))])
        }
        let body: JSONValue = .object(fields)
        return jsonResponse(.ok, (try? OpenAIJSON.makeEncoder().encode(body)) ?? Data())
    }

    /// Answers a completion request. Everything up to the response runs under Hummingbird's
    /// `consumeWithCancellationOnInboundClose`: when the client closes its connection while a
    /// whole (non-streamed) response is being generated, the work is cancelled, and with it
    /// the generation in the engine, as a stream's is when a write fails. Watching the
    /// connection ends its keep-alive, so these responses say `Connection: close`.
    private func complete(_ request: Request, endpoint: ResponseRenderer.Endpoint) async -> Response {
        var response: Response
        do {
            try authorize(request)
            response = try await request.body.consumeWithCancellationOnInboundClose { body in
                do {
                    return try await answer(body, endpoint: endpoint)
                } catch {
                    return errorResponse(error)
                }
            }
        } catch {
            // The client left (or authorisation failed): nobody may be there to read this.
            response = errorResponse(error)
        }
        response.headers[.connection] = "close"
        return response
    }

    private func answer(_ body: RequestBody, endpoint: ResponseRenderer.Endpoint) async throws -> Response {
        let data = try await readBody(body)
        let plan: GenerationPlan
        switch endpoint {
        case .chat: plan = try await planner.plan(try decode(ChatCompletionRequest.self, from: data))
        case .text: plan = try await planner.plan(try decode(TextCompletionRequest.self, from: data))
        }
        let renderer = ResponseRenderer(endpoint: endpoint, plan: plan)
        try await service.admit()
        if plan.stream { return stream(plan, renderer) }
        let outcome = try await service.runAdmitted(plan) { _ in }
        return jsonResponse(.ok, renderer.response(outcome))
    }

    private enum StreamItem: Sendable {
        case update(GenerationUpdate)
        case finished(GenerationOutcome)
        case failed(ServerError)
    }

    /// A server-sent-event response; the caller holds a slot, which the generation task frees.
    ///
    /// The generation runs under `GenerationService.runAdmitted`, whose timeout cancels it and
    /// reports `.timedOut` only once it has ended (so its engine rows are free when the error
    /// event goes out); when the client goes away (a write fails) the generation is cancelled
    /// too. Either way the engine drops its samples at its next step.
    private func stream(_ plan: GenerationPlan, _ renderer: ResponseRenderer) -> Response {
        let (items, continuation) = AsyncStream<StreamItem>.makeStream()
        let service = service
        let generation = Task {
            do throws(ServerError) {
                let outcome = try await service.runAdmitted(plan) { continuation.yield(.update($0)) }
                continuation.yield(.finished(outcome))
            } catch {
                // Cancelled from outside means the client left: nobody is there to tell.
                if !Task.isCancelled { continuation.yield(.failed(error)) }
            }
            continuation.finish()
        }
        let choiceCount = plan.strategy == nil ? plan.seeds.count : 1
        let strategyName = plan.strategy?.description ?? ""
        let body = ResponseBody { writer in
            defer { generation.cancel() }   // no-op once it has finished; frees the engine when the client left
            // Per choice: token log-probabilities sent so far, and the legacy text offset after them.
            var sentTokens = [Int](repeating: 0, count: choiceCount)
            var textOffsets = [Int](repeating: plan.echoPrompt?.count ?? 0, count: choiceCount)
            for index in 0..<choiceCount {
                if let opening = renderer.opening(choice: index) { try await writer.write(ByteBuffer(bytes: opening)) }
            }
            loop: for await item in items {
                switch item {
                case .update(.delta(let delta)):
                    let index = delta.sampleIndex
                    let frame = renderer.delta(choice: index, text: delta.text, tokens: delta.tokenLogprobs, textOffset: textOffsets[index])
                    sentTokens[index] += delta.tokenLogprobs.count
                    textOffsets[index] += ResponseRenderer.offsetAdvance(delta.tokenLogprobs)
                    try await writer.write(ByteBuffer(bytes: frame))
                case .update(.progress(let progress)):
                    try await writer.write(ByteBuffer(bytes: renderer.progress(progress, strategy: strategyName)))
                case .finished(let outcome):
                    var frames: [Data] = []
                    for (index, choice) in outcome.choices.enumerated() {
                        // A strategy's answer exists only once it has finished: it is sent whole.
                        if outcome.quorum != nil, !choice.completion.text.isEmpty {
                            frames.append(renderer.delta(choice: index, text: choice.completion.text))
                        }
                        let remaining = Array((choice.tokenLogprobs ?? []).dropFirst(sentTokens[index]))
                        frames.append(renderer.closing(choice: index, choice, remainingTokens: remaining,
                                                       textOffset: textOffsets[index], quorum: outcome.quorum))
                    }
                    if plan.includeUsage { frames.append(renderer.usage(outcome.usage)) }
                    frames.append(ResponseRenderer.done)
                    try await writer.write(contentsOf: frames.map { ByteBuffer(bytes: $0) })
                    break loop
                case .failed(let error):
                    try await writer.write(contentsOf: [ByteBuffer(bytes: renderer.error(error)), ByteBuffer(bytes: ResponseRenderer.done)])
                    break loop
                }
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }

    // MARK: Pieces

    /// Checks `Authorization: Bearer KEY` in time independent of where the keys differ.
    private func authorize(_ request: Request) throws(ServerError) {
        guard let key = configuration.apiKey else { return }
        let header = request.headers[.authorization] ?? ""
        let prefix = "Bearer "
        let given = header.hasPrefix(prefix) ? Array(header.utf8.dropFirst(prefix.utf8.count)) : []
        guard Self.constantTimeEqual(given, Array(key.utf8)) else { throw .unauthorized }
    }

    /// Compares every byte of both (the length too) without an early exit.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt64(a.count ^ b.count)
        for index in 0..<max(a.count, b.count) {
            let x = index < a.count ? a[index] : 0
            let y = index < b.count ? b[index] : 0
            difference |= UInt64(x ^ y)
        }
        return difference == 0
    }

    /// The body, up to `maxBodyBytes`. A larger body is read to its end (up to 64 times the
    /// limit) before the 413, so the client, still sending, gets the answer instead of a reset.
    private func readBody(_ body: RequestBody) async throws(ServerError) -> Data {
        let limit = configuration.maxBodyBytes
        var data = Data()
        var total = 0
        do {
            for try await buffer in body {
                total += buffer.readableBytes
                if total <= limit {
                    data.append(contentsOf: buffer.readableBytesView)
                } else if total > limit * 64 {
                    break
                }
            }
        } catch {
            throw .invalidJSON(field: nil, detail: "the body could not be read: \(error)")
        }
        guard total <= limit else { throw .bodyTooLarge(limit: limit) }
        return data
    }

    private func decode<T: Decodable>(_ type: T.Type, from body: Data) throws(ServerError) -> T {
        guard !body.isEmpty else { throw .invalidJSON(field: nil, detail: "the body is empty; send a JSON object.") }
        do { return try OpenAIJSON.makeDecoder().decode(type, from: body) } catch { throw ServerError(decoding: error, body: body) }
    }

    private func jsonResponse(_ status: HTTPResponse.Status, _ data: Data, headers extra: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    private func errorResponse(_ error: any Error) -> Response {
        let serverError = error as? ServerError ?? .modelFailed("\(error)")
        var headers: HTTPFields = [:]
        if case .overloaded(let seconds) = serverError { headers[.retryAfter] = "\(seconds)" }
        if case .unauthorized = serverError { headers[.wwwAuthenticate] = "Bearer" }
        let body = (try? OpenAIJSON.makeEncoder().encode(serverError.body)) ?? Data()
        return jsonResponse(HTTPResponse.Status(code: serverError.status), body, headers: headers)
    }
}
