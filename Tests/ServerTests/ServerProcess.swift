import Foundation
import TestSupport

/// A `quorum serve` process on a free loopback port, for tests that talk to it over HTTP.
final class ServerProcess {
    let process = Process()
    let baseURL: String
    let outputFile: URL

    /// Starts `quorum serve --port 0 ARGUMENTS` on the default model and waits for its
    /// "on http://…" line (the model loads in about a second; 120 s allows a loaded machine).
    init(_ arguments: [String]) throws {
        outputFile = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-serve-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: try TestPaths.quorumBinary())
        process.arguments = ["serve", "--model", try TestPaths.defaultModel().path, "--host", "127.0.0.1", "--port", "0"] + arguments
        let handle = try FileHandle(forWritingTo: outputFile)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        var found: String?
        while found == nil, Date() < deadline, process.isRunning {
            Thread.sleep(forTimeInterval: 0.1)
            let text = (try? String(contentsOf: outputFile, encoding: .utf8)) ?? ""
            if let range = text.range(of: #"http://127\.0\.0\.1:[0-9]+"#, options: .regularExpression) {
                found = String(text[range])
            }
        }
        guard let found else {
            let log = (try? String(contentsOf: outputFile, encoding: .utf8)) ?? ""
            process.terminate()
            throw TestSupportError("quorum serve did not start listening: \(log.suffix(2000))")
        }
        baseURL = found
    }

    /// What the server printed (never the API key: tests check that).
    var log: String { (try? String(contentsOf: outputFile, encoding: .utf8)) ?? "" }

    /// SIGTERM (graceful shutdown), then waits.
    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: outputFile)
    }
}

/// Installs the pinned Python packages the server tests drive (scripts/server_python_setup),
/// once per test process; fails loudly when they cannot be installed.
enum PythonTools {
    static let ready: Result<Void, TestSupportError> = {
        let script = TestPaths.packageRoot.appendingPathComponent("scripts/server_python_setup").path
        do {
            let result = try Shell.run(["bash", script])
            guard result.status == 0 else {
                return .failure(TestSupportError("scripts/server_python_setup failed: \(result.standardError.suffix(2000))"))
            }
            return .success(())
        } catch {
            return .failure(TestSupportError("could not run scripts/server_python_setup: \(error)"))
        }
    }()

    static func require() throws { try ready.get() }

    static func script(_ name: String) -> String {
        TestPaths.packageRoot.appendingPathComponent("scripts/\(name)").path
    }
}
