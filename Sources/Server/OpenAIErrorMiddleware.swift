import Foundation
import Hummingbird
import OpenAIAPI

/// Gives the router's own errors (no such route, wrong method) OpenAI's error body, so
/// every 4xx a client sees has the same shape. A known path asked with another method gets
/// 405 with an `Allow` header, not 404.
struct OpenAIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Each route's path and method.
    static var routes: [String: HTTPRequest.Method] {
        ["/v1/models": .get, "/v1/chat/completions": .post, "/v1/completions": .post, "/health": .get, "/openapi.json": .get]
    }

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as any HTTPResponseError {
            var status = error.status
            var headers: HTTPFields = [.contentType: "application/json"]
            let message: String
            if status == .notFound, let allowed = Self.routes[request.uri.path] {
                status = .methodNotAllowed
                headers[.allow] = allowed.rawValue
                message = "\(request.uri.path) takes \(allowed.rawValue), not \(request.method.rawValue)."
            } else if status == .notFound {
                message = "No route \(request.method.rawValue) \(request.uri.path). Routes: GET /v1/models, POST /v1/chat/completions, "
                    + "POST /v1/completions, GET /health, GET /openapi.json."
            } else {
                message = "\(status.code) \(status.reasonPhrase)"
            }
            let type = status.code >= 500 ? "server_error" : "invalid_request_error"
            let code = status == .notFound ? "unknown_url" : status == .methodNotAllowed ? "method_not_allowed" : nil
            let body = ErrorResponse(message: message, type: type, code: code)
            // A HEAD response carries no body.
            let data = request.method == .head ? Data() : (try? OpenAIJSON.makeEncoder().encode(body)) ?? Data()
            return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        }
    }
}
