import Foundation
import ModelHub
import TestSupport
import Testing

/// `quorum serve` on the default model, driven by outside clients: the official `openai`
/// Python package and schemathesis. One server at a time (the machine has 2 cores).
@Suite(.serialized)
struct ServerTests {
    /// SmolLM2-135M's context (its GGUF's llama.context_length).
    static let contextLength = 8192

    /// Runs scripts/server_openai_check.py against `server` and returns its per-check lines.
    func runChecks(_ server: ServerProcess, arguments: [String]) throws -> [[String: Any]] {
        try PythonTools.require()
        let result = try Shell.run(["python3", PythonTools.script("server_openai_check.py"),
                                    "--base-url", server.baseURL + "/v1", "--model", ModelCatalog.defaultModel.name,
                                    "--context", "\(Self.contextLength)"] + arguments)
        let lines = result.text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        for line in lines where line["ok"] as? Bool != true {
            Issue.record("check \(line["check"] ?? "?") failed: \(line["detail"] ?? "") \(line["trace"] ?? "")")
        }
        #expect(result.status == 0, "server_openai_check.py exited \(result.status): \(result.standardError.suffix(1500))")
        return lines
    }

    @Test func officialOpenAIClientUsesEveryRoute() throws {
        let server = try ServerProcess(["--max-n", "8"])
        defer { server.stop() }
        let lines = try runChecks(server, arguments: [])
        // models, chat, seeds, n, streaming, legacy, logprobs, streamed logprobs, two strategies, bad requests, api_key.
        #expect(lines.count == 12)
        #expect(lines.allSatisfy { $0["ok"] as? Bool == true })
    }

    @Test func apiKeyIsRequiredAndNeverPrintedAndAFullServerAnswers429() throws {
        let keyFile = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-key-\(UUID().uuidString)")
        let key = "sk-quorum-test-\(UUID().uuidString)"
        try Data((key + "\n").utf8).write(to: keyFile)
        defer { try? FileManager.default.removeItem(at: keyFile) }
        let server = try ServerProcess(["--api-key-file", keyFile.path, "--max-concurrency", "1", "--max-queue", "0"])
        let lines = try runChecks(server, arguments: ["--api-key", key, "--only", "models,api_key,overload"])
        let log = server.log
        server.stop()
        #expect(lines.map { $0["check"] as? String } == ["models", "api_key", "overload"])
        #expect(lines.allSatisfy { $0["ok"] as? Bool == true })
        #expect(log.contains("API key required") && !log.contains(key), "the server's output shows the key: \(log)")
    }

    /// The check also requires /health to show the engine running nothing and two requests
    /// cancelled once each timeout's error has arrived: the engine let go of them at once.
    @Test func aRequestOverTheTimeoutGets504OrAnErrorEventAndLeavesTheEngine() throws {
        let server = try ServerProcess(["--timeout", "1"])
        defer { server.stop() }
        let lines = try runChecks(server, arguments: ["--only", "timeout"])
        #expect(lines.count == 1 && lines.allSatisfy { $0["ok"] as? Bool == true })
    }

    /// A client that closes a stream after its first text: the engine cancels the request
    /// (4 samples of up to 4,000 tokens) instead of generating on for nobody. The default
    /// timeout (300 s) is far beyond the check's bound, so only the disconnect can cancel it.
    @Test func aClientLeavingAStreamCancelsItsGeneration() throws {
        let server = try ServerProcess([])
        defer { server.stop() }
        let lines = try runChecks(server, arguments: ["--only", "disconnect"])
        #expect(lines.map { $0["check"] as? String } == ["disconnect"])
        #expect(lines.allSatisfy { $0["ok"] as? Bool == true })
    }

    @Test func schemathesisFindsNoServerErrorsFromTheOpenAPIDocument() throws {
        try PythonTools.require()
        // Small limits so each generated request generates a few tokens at most.
        let server = try ServerProcess(["--max-n", "2", "--max-tokens-limit", "4", "--timeout", "60"])
        defer { server.stop() }
        // schemathesis keeps its example database in the working directory: a temporary one.
        let workDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-st-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: workDirectory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: workDirectory) }
        let result = try Shell.run([
            "-C", workDirectory.path, "schemathesis", "--no-color", "run", server.baseURL + "/openapi.json",
            "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
            "--max-examples", "25", "--phases", "examples,coverage,fuzzing", "--request-timeout", "60", "--max-time", "60",
            "--workers", "1", "--seed", "1",
        ])
        #expect(result.status == 0, "schemathesis found failures:\n\(result.text.suffix(4000))")
        // It loaded every operation and generated a real number of cases ("699 generated, 699 passed").
        #expect(result.text.contains("4 selected / 4 total"), "\(result.text.prefix(1500))")
        let generated = result.text.firstMatch(of: /([0-9]+) generated, ([0-9]+) passed/)
        #expect(generated.map { Int($0.1) == Int($0.2) && Int($0.1)! >= 200 } == true, "\(result.text.suffix(1500))")
    }
}
