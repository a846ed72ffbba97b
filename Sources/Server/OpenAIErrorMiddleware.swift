import Foundation
import Hummingbird
import OpenAIAPI

/// Gives the router's own errors (no such route, wrong method) OpenAI's error body, so
/// every 4xx a client sees has the same shape.
struct OpenAIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as any HTTPResponseError {
            let status = error.status
            let message = status == .notFound
                ? "No route \(request.method.rawValue) \(request.uri.path). Routes: GET /v1/models, POST /v1/chat/completions, "
                    + "POST /v1/completions, GET /health, GET /openapi.json."
                : "\(status.code) \(status.reasonPhrase)"
            let type = status.code >= 500 ? "server_error" : "invalid_request_error"
            let body = ErrorResponse(message: message, type: type, code: status == .notFound ? "unknown_url" : nil)
            let data = (try? OpenAIJSON.makeEncoder().encode(body)) ?? Data()
            return Response(status: status, headers: [.contentType: "application/json"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        }
    }
}
