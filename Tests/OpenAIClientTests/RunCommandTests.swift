import Foundation
import RunStore
import TestSupport
import Testing

/// `quorum run` against a fake OpenAI server, as a user runs it: the key from the
/// environment reaches the server as a Bearer token and appears in no output and no
/// byte of the run store; the URL form of `--model` names the same run.
struct RunCommandTests {
    /// Runs `quorum ARGUMENTS` to the end; returns its combined output.
    static func quorum(_ arguments: [String], environment: [String: String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try TestPaths.quorumBinary())
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let logPath = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-run-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: logPath.path, contents: nil)
        let log = try FileHandle(forWritingTo: logPath)
        process.standardOutput = log
        process.standardError = log
        try process.run()
        process.waitUntilExit()
        try log.close()
        return (process.terminationStatus, try String(contentsOf: logPath, encoding: .utf8))
    }

    @Test func runWithAKeyFromTheEnvironment() async throws {
        let key = "sk-cli-test-\(UUID().uuidString)"
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let dataset = folder.appendingPathComponent("sums.jsonl")
        try """
            {"id": "two-plus-three", "prompt": "What is 2 + 3?", "answer": 5}
            {"id": "four-plus-four", "prompt": "What is 4 + 4?", "answer": 8}

            """.write(to: dataset, atomically: true, encoding: .utf8)
        let store = folder.appendingPathComponent("runs.sqlite").path

        try await ClientTestSupport.withServer({ request, _ in
            guard request.headers["authorization"] == "Bearer \(key)" else {
                // As OpenAI does, the refusal echoes the key it was sent.
                return .error(401, "Incorrect API key provided: \(request.headers["authorization"]?.dropFirst(7) ?? "")")
            }
            let answer = request.promptText.contains("2 + 3") ? "5" : "8"
            return FakeResponses.chat((0 ..< request.n).map { _ in "So the answer is \(answer)." }, usage: (prompt: 30, completion: 7 * request.n))
        }) { server in
            let common = ["--dataset", dataset.path, "-n", "3", "--store", store, "--quiet", "--verifier", "math",
                          "--api-key-env", "QUORUM_CLIENT_TEST_KEY"]
            let first = try Self.quorum(["run", "--base-url", server.baseURL, "--model", "fake-model"] + common,
                                        environment: ["QUORUM_CLIENT_TEST_KEY": key])
            #expect(first.status == 0, "\(first.output)")
            #expect(!first.output.contains(key))
            #expect(!server.requests.isEmpty)
            #expect(server.requests.allSatisfy { $0.headers["authorization"] == "Bearer \(key)" })
            #expect(server.requests.allSatisfy { $0.json["model"] as? String == "fake-model" })

            let runStore = try RunStore(path: store)
            let runIDs = try runStore.runIDs()
            #expect(runIDs.count == 1)
            let runID = try #require(runIDs.first)
            let configuration = try runStore.configuration(ofRun: runID)
            #expect(configuration.backend == "openai")
            #expect(configuration.model == "fake-model")
            #expect(!configuration.canonicalJSON.contains(key))
            let samples = try runStore.samples(runID: runID)
            #expect(samples.count == 6)
            #expect(samples.allSatisfy { $0.verdict.isCorrect })
            for file in [store, store + "-wal", store + "-journal"] where FileManager.default.fileExists(atPath: file) {
                let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
                #expect(bytes.range(of: Data(key.utf8)) == nil, "\(file) holds the API key")
            }

            // The URL form names the same run (the URL is not part of its identity): nothing is missing, nothing is asked.
            let asked = server.requests.count
            let again = try Self.quorum(["run", "--model", "fake-model@\(server.baseURL)"] + common,
                                        environment: ["QUORUM_CLIENT_TEST_KEY": key])
            #expect(again.status == 0, "\(again.output)")
            #expect(again.output.contains(runID))
            #expect(server.requests.count == asked)

            // A wrong key, and -n 4 asks for one more sample per problem: the server's refusal is
            // recorded as failed requests (the echoed key redacted), and the command says so.
            let wrongArguments = ["run", "--base-url", server.baseURL, "--model", "fake-model", "--dataset", dataset.path, "-n", "4",
                                  "--store", store, "--quiet", "--verifier", "math", "--api-key-env", "QUORUM_CLIENT_TEST_KEY"]
            let wrong = try Self.quorum(wrongArguments, environment: ["QUORUM_CLIENT_TEST_KEY": key + "-wrong"])
            #expect(!wrong.output.contains(key))
            #expect(wrong.output.contains("2 failed"), "\(wrong.output)")
            let failures = try runStore.failedRequests(runID: runID)
            #expect(failures.count == 2)
            #expect(failures.allSatisfy { $0.error.contains("HTTP 401") && !$0.error.contains(key) }, "\(failures)")
        }
        try? FileManager.default.removeItem(at: folder)
    }
}
