import Foundation
import ScalingCore

/// Everything that goes wrong talking to an OpenAI-compatible server.
///
/// Messages name the endpoint and say what to do; they never contain the API key (a
/// server message that echoes it is redacted before it gets here).
public enum OpenAIClientError: Error, Sendable, Equatable, CustomStringConvertible, LocalizedError {
    /// The server refused the request with a status that retrying cannot fix (400, 401,
    /// 403, 404, 422, ...); `message` is the server's own error message.
    case rejected(endpoint: String, status: Int, message: String)
    /// Every attempt failed with a retryable problem (429, 5xx, timeout, connection).
    case gaveUp(attempts: Int, lastEndpoint: String, lastFailure: String)
    /// The server answered 2xx with a body that is not an OpenAI response.
    case invalidResponse(endpoint: String, detail: String)
    /// A streamed response that had begun carried an error event (`data: {"error": …}`),
    /// e.g. the server's own timeout; `message` is the server's.
    case streamFailed(endpoint: String, message: String)
    /// The configured environment variable holds no API key.
    case missingAPIKey(variable: String)
    /// The API key file cannot be read or is empty.
    case unreadableAPIKeyFile(path: String, reason: String)
    /// A base URL that is not `http(s)://host[:port][/path]`.
    case invalidBaseURL(String, reason: String)
    /// A configuration value out of range.
    case invalidConfiguration(field: String, value: String, expected: String)

    public var description: String {
        switch self {
        case .rejected(let endpoint, let status, let message):
            return "\(endpoint) refused the request (HTTP \(status)): \(message)"
                + (status == 401 || status == 403 ? " (check the API key: --api-key-env / --api-key-file)" : "")
                + (status == 404 ? " (check --base-url, which usually ends in /v1, and --model against GET /v1/models)" : "")
        case .gaveUp(let attempts, let endpoint, let failure):
            return "gave up after \(attempts) attempts; the last, on \(endpoint), failed with: \(failure). "
                + "Is the server up and not overloaded? Raise --max-attempts or lower --concurrency."
        case .invalidResponse(let endpoint, let detail):
            return "\(endpoint) answered with a body that is not an OpenAI response: \(detail)"
        case .streamFailed(let endpoint, let message):
            return "\(endpoint) reported an error in the middle of a streamed response: \(message) "
                + "(a server-side timeout or failure; retry, or raise the server's limits)"
        case .missingAPIKey(let variable):
            return "the environment variable \(variable) holds no API key; export it, name another with --api-key-env, or use --api-key-file"
        case .unreadableAPIKeyFile(let path, let reason):
            return "cannot read an API key from \(path): \(reason)"
        case .invalidBaseURL(let url, let reason):
            return "'\(url)' is not a usable base URL (\(reason)); expected e.g. http://localhost:8000/v1"
        case .invalidConfiguration(let field, let value, let expected):
            return "\(field) = \(value) is out of range: expected \(expected)"
        }
    }

    public var errorDescription: String? { description }
}

extension OpenAIClientError: PermanentFailure {
    /// A request the server refused as malformed or too large (400, 413, 422: a prompt over
    /// the context, a bad parameter) fails again on every retry; authentication, a wrong
    /// URL or model (401, 403, 404) and overload are the set-up's problem, fixed outside
    /// the run, so those stay retryable.
    public var isPermanent: Bool {
        if case .rejected(_, let status, _) = self { return [400, 413, 422].contains(status) }
        return false
    }
}
