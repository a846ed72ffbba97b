import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import NIOCore
import NIOPosix
import TestSupport

/// A real server started as a child process for a test (`quorum serve`, the
/// llama-cpp-python server), stopped when the test ends.
final class ServerProcess: @unchecked Sendable {
    let process = Process()
    let baseURL: String
    private let output: FileHandle
    let logPath: String

    /// Starts `executable arguments` and waits until `GET baseURL/models` answers 200.
    init(executable: String, arguments: [String], port: Int, environment: [String: String] = [:], startupTimeout: Double = 120) async throws {
        baseURL = "http://127.0.0.1:\(port)/v1"
        logPath = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-server-\(UUID().uuidString).log").path
        FileManager.default.createFile(atPath: logPath, contents: nil)
        output = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let deadline = Date().addingTimeInterval(startupTimeout)
        while Date() < deadline {
            guard process.isRunning else {
                throw TestSupportError("\(executable) \(arguments.joined(separator: " ")) exited with \(process.terminationStatus) before serving:\n\(log)")
            }
            if let url = URL(string: baseURL + "/models"),
               let (_, response) = try? await URLSession.shared.data(from: url),
               (response as? HTTPURLResponse)?.statusCode == 200 {
                return
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        stop()
        throw TestSupportError("\(executable) did not serve \(baseURL)/models within \(Int(startupTimeout)) s:\n\(log)")
    }

    /// What the server printed so far (for failure messages).
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// SIGTERM, then SIGKILL after 5 s (uvicorn waits for open keep-alive connections to close).
    func stop() {
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(5)
            while process.isRunning && Date() < deadline { usleep(50_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        try? output.close()
    }

    /// A TCP port nothing listens on right now (bound to 0, then closed).
    static func freePort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress!.port!
        try await channel.close()
        return port
    }

    /// An executable on PATH, or nil.
    static func onPath(_ name: String) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
