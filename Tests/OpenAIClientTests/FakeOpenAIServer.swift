import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A scriptable OpenAI-compatible server on loopback: every request is recorded and
/// answered by the test's handler, which can return any status, headers and body (the
/// bodies are raw JSON written here, not the client's own wire types, so the tests check
/// the client against the API's documented shape).
final class FakeOpenAIServer: Sendable {
    /// One request as the server saw it.
    struct Request: Sendable {
        var method: String
        /// The path, e.g. `/v1/chat/completions`.
        var path: String
        var headers: [String: String]
        var body: Data
        /// When it arrived.
        var receivedAt: ContinuousClock.Instant

        /// The body as a JSON object (empty when it is not one).
        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: body) as? [String: Any]) ?? [:]
        }
        /// `n`, 1 when absent.
        var n: Int { json["n"] as? Int ?? 1 }
        var seed: Int64? { (json["seed"] as? NSNumber)?.int64Value }
        /// The first user message's content, or the text prompt.
        var promptText: String {
            if let messages = json["messages"] as? [[String: Any]] {
                return messages.compactMap { $0["content"] as? String }.joined(separator: "\n")
            }
            return json["prompt"] as? String ?? ""
        }
    }

    /// What to answer.
    struct Reply: Sendable {
        var status: Int
        var headers: [(String, String)] = []
        var body: Data
        /// Wait this long before answering.
        var delay: Duration? = nil
        /// Hold the whole reply until the server has received this many requests: a test of a
        /// retry then depends on the order of events, not on timing. (Released after 30 s
        /// regardless, so a client that never retries fails its test instead of hanging.)
        var heldUntilRequests: Int? = nil
        /// Send the head at once but hold the body until the server has received this many
        /// requests (also released after 30 s): a response that starts and then stalls.
        var bodyHeldUntilRequests: Int? = nil

        static func json(_ object: [String: any Sendable], status: Int = 200, headers: [(String, String)] = []) -> Reply {
            Reply(status: status, headers: headers, body: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
        }

        /// An OpenAI error body.
        static func error(_ status: Int, _ message: String, headers: [(String, String)] = []) -> Reply {
            json(["error": ["message": message, "type": "invalid_request_error", "param": NSNull(), "code": NSNull()] as [String: any Sendable]],
                 status: status, headers: headers)
        }
    }

    typealias Handler = @Sendable (_ request: Request, _ number: Int) -> Reply

    private let channel: any Channel
    private let log = RequestLog()
    let port: Int

    /// The base URL to give the client: `http://127.0.0.1:PORT/v1`.
    var baseURL: String { "http://127.0.0.1:\(port)/v1" }

    /// Requests received so far, in arrival order.
    var requests: [Request] { log.all }

    init(handler: @escaping Handler) async throws {
        let log = self.log
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Connection(log: log, handler: handler))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress!.port!
    }

    func shutdown() async throws {
        try await channel.close()
    }

    /// A request log shared with the connection handlers.
    private final class RequestLog: @unchecked Sendable {
        private let lock = NSLock()
        private var entries: [Request] = []

        /// Appends and returns the request's number (0-based).
        func append(_ request: Request) -> Int {
            lock.withLock { entries.append(request); return entries.count - 1 }
        }

        var all: [Request] { lock.withLock { entries } }
    }

    /// One connection: gathers a request, asks the handler, writes the reply (keep-alive).
    private final class Connection: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        private let log: RequestLog
        private let handler: Handler
        private var head: HTTPRequestHead?
        private var body = Data()

        init(log: RequestLog, handler: @escaping Handler) {
            self.log = log
            self.handler = handler
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body = Data()
            case .body(var buffer):
                body.append(contentsOf: buffer.readBytes(length: buffer.readableBytes) ?? [])
            case .end:
                guard let head else { return }
                var headers: [String: String] = [:]
                for (name, value) in head.headers { headers[name.lowercased()] = value }
                let request = Request(method: "\(head.method)", path: head.uri, headers: headers, body: body,
                                      receivedAt: .now)
                let number = log.append(request)
                let reply = handler(request, number)
                let version = head.version
                let keepAlive = head.isKeepAlive
                let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                let write: @Sendable () -> Void = {
                    let (handler, context) = loopBound.value
                    handler.write(reply, version: version, keepAlive: keepAlive, context: context)
                }
                if let count = reply.heldUntilRequests {
                    Self.when(log, reaches: count, channel: context.channel, giveUpAt: .now() + .seconds(30), write)
                } else if let delay = reply.delay {
                    let (seconds, attoseconds) = delay.components
                    context.eventLoop.scheduleTask(in: .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)) { write() }
                } else {
                    write()
                }
            }
        }

        /// Runs `action` on the channel's loop once `log` holds `count` requests (or at
        /// `giveUpAt`); nothing if the client has closed the connection meanwhile.
        private static func when(_ log: RequestLog, reaches count: Int, channel: any Channel, giveUpAt: NIODeadline,
                                 _ action: @escaping @Sendable () -> Void) {
            guard channel.isActive else { return }
            if log.all.count >= count || NIODeadline.now() >= giveUpAt {
                action()
                return
            }
            channel.eventLoop.scheduleTask(in: .milliseconds(10)) { when(log, reaches: count, channel: channel, giveUpAt: giveUpAt, action) }
        }

        private func write(_ reply: Reply, version: HTTPVersion, keepAlive: Bool, context: ChannelHandlerContext) {
            var headers = HTTPHeaders(reply.headers)
            if !headers.contains(name: "Content-Type") { headers.add(name: "Content-Type", value: "application/json") }
            headers.replaceOrAdd(name: "Content-Length", value: "\(reply.body.count)")
            if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
            let head = HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: reply.status), headers: headers)
            let channel = context.channel
            let finish: @Sendable () -> Void
            do {
                let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                finish = {
                    let (handler, context) = loopBound.value
                    context.write(handler.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: reply.body)))), promise: nil)
                    context.writeAndFlush(handler.wrapOutboundOut(.end(nil))).whenComplete { _ in
                        if !keepAlive { channel.close(promise: nil) }
                    }
                }
            }
            if let count = reply.bodyHeldUntilRequests {
                context.writeAndFlush(wrapOutboundOut(.head(head)), promise: nil)
                Self.when(log, reaches: count, channel: context.channel, giveUpAt: .now() + .seconds(30), finish)
            } else {
                context.write(wrapOutboundOut(.head(head)), promise: nil)
                finish()
            }
        }
    }
}

/// OpenAI response bodies as servers write them.
enum FakeResponses {
    /// A chat completion with one choice per text (`index` as given).
    static func chat(_ texts: [String], indices: [Int]? = nil, finishReasons: [String]? = nil,
                     usage: (prompt: Int, completion: Int)? = nil, logprobs: [[Double]]? = nil) -> FakeOpenAIServer.Reply {
        let choices: [[String: any Sendable]] = texts.enumerated().map { i, text in
            var choice: [String: any Sendable] = [
                "index": indices?[i] ?? i,
                "message": ["role": "assistant", "content": text] as [String: any Sendable],
                "finish_reason": finishReasons?[i] ?? "stop",
            ]
            if let logprobs {
                choice["logprobs"] = ["content": logprobs[i].map { ["token": "t", "logprob": $0, "bytes": [116], "top_logprobs": [] as [Int]] as [String: any Sendable] }]
            } else {
                choice["logprobs"] = NSNull()
            }
            return choice
        }
        return .json(envelope(object: "chat.completion", choices: choices, usage: usage))
    }

    /// A legacy text completion with one choice per text.
    static func text(_ texts: [String], usage: (prompt: Int, completion: Int)? = nil, tokenLogprobs: [[Double]]? = nil) -> FakeOpenAIServer.Reply {
        let choices: [[String: any Sendable]] = texts.enumerated().map { i, text in
            var choice: [String: any Sendable] = ["index": i, "text": text, "finish_reason": "length"]
            if let tokenLogprobs {
                let values = tokenLogprobs[i]
                choice["logprobs"] = ["tokens": values.map { _ in "t" }, "token_logprobs": values,
                                      "top_logprobs": values.map { _ in NSNull() }, "text_offset": Array(0 ..< values.count)] as [String: any Sendable]
            } else {
                choice["logprobs"] = NSNull()
            }
            return choice
        }
        return .json(envelope(object: "text_completion", choices: choices, usage: usage))
    }

    /// A server-sent-event body: each payload as `data: PAYLOAD` and a blank line (add
    /// `"[DONE]"` to end it as OpenAI does).
    static func stream(_ payloads: [String]) -> FakeOpenAIServer.Reply {
        FakeOpenAIServer.Reply(status: 200, headers: [("Content-Type", "text/event-stream")],
                               body: Data(payloads.map { "data: \($0)\n\n" }.joined().utf8))
    }

    private static func envelope(object: String, choices: [[String: any Sendable]], usage: (prompt: Int, completion: Int)?) -> [String: any Sendable] {
        var body: [String: any Sendable] = ["id": "cmpl-test", "object": object, "created": 1_700_000_000, "model": "fake-model", "choices": choices]
        if let usage {
            body["usage"] = ["prompt_tokens": usage.prompt, "completion_tokens": usage.completion, "total_tokens": usage.prompt + usage.completion]
        }
        return body
    }
}
