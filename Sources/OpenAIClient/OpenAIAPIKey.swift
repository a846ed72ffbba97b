import Foundation

/// A bearer token for an OpenAI-compatible server.
///
/// Deliberately not `Codable` and printed as `<redacted>`, so it cannot reach a log, an
/// error message or the run store by accident; only the HTTP `Authorization` header
/// sees `value`.
public struct OpenAIAPIKey: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The secret itself (for the `Authorization: Bearer` header only).
    public let value: String

    public init(_ value: String) {
        self.value = value.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }

    /// The environment variable most OpenAI clients read.
    public static let defaultEnvironmentVariable = "OPENAI_API_KEY"

    /// The key in `variable`, or nil when it is unset or empty (local servers need none).
    public static func fromEnvironment(_ variable: String = defaultEnvironmentVariable,
                                       environment: [String: String] = ProcessInfo.processInfo.environment) -> OpenAIAPIKey? {
        guard let raw = environment[variable] else { return nil }
        let key = OpenAIAPIKey(raw)
        return key.value.isEmpty ? nil : key
    }

    /// The key in `variable`, failing when it is unset (the user named the variable, so
    /// an empty one is a mistake).
    public static func requiredFromEnvironment(_ variable: String,
                                               environment: [String: String] = ProcessInfo.processInfo.environment) throws(OpenAIClientError) -> OpenAIAPIKey {
        guard let key = fromEnvironment(variable, environment: environment) else { throw .missingAPIKey(variable: variable) }
        return key
    }

    /// The first line of a file (surrounding whitespace dropped), e.g. a mounted secret.
    public static func fromFile(_ path: String) throws(OpenAIClientError) -> OpenAIAPIKey {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw .unreadableAPIKeyFile(path: path, reason: error.localizedDescription)
        }
        let firstLine = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        let key = OpenAIAPIKey(firstLine)
        guard !key.value.isEmpty else { throw .unreadableAPIKeyFile(path: path, reason: "the file is empty") }
        return key
    }

    /// `text` with every occurrence of the key replaced, for server messages that echo it.
    public func redacting(_ text: String) -> String {
        guard value.count >= 4 else { return text }
        return text.replacingOccurrences(of: value, with: "<redacted>")
    }
}
