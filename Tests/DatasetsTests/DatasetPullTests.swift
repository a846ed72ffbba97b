import Datasets
import Foundation
import TestSupport
import Testing

/// `quorum data pull` against a real HTTP server on loopback (Python's http.server)
/// serving a folder laid out like shared/data: these machines reach no data source,
/// so the official URLs are exercised only through `--mirror`.
@Suite(.serialized)
struct DatasetPullTests {
    /// Starts `python3 -m http.server` on a free loopback port, serving `folder`.
    final class LoopbackServer {
        let process = Process()
        let port: Int

        init(serving folder: URL) throws {
            // Port 0: the OS picks a free port, and the server prints which one.
            let script = """
                import functools, http.server, sys
                handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
                server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
                print(server.server_address[1], flush=True)
                server.serve_forever()
                """
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", script, folder.path]
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            var line = Data()
            while !line.contains(UInt8(ascii: "\n")) {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                line += chunk
            }
            guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
                kill(process.processIdentifier, SIGKILL)
                throw TestSupportError("the loopback HTTP server did not start (python3 printed \(String(decoding: line, as: UTF8.self)))")
            }
            self.port = port
        }

        var url: String { "http://127.0.0.1:\(port)" }
        deinit {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-pull-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func pullsChecksAndThenFindsNothingToDo() async throws {
        let server = try LoopbackServer(serving: try TestPaths.sharedData())
        let destination = try Self.temporaryFolder()
        let first = try await DatasetCatalog.pull("gsm8k", mirror: server.url, destinationRoot: destination.path)
        let path = destination.appendingPathComponent("gsm8k/test.jsonl").path
        #expect(first == .downloaded(path: path))
        #expect(try Dataset.load(path: path).problems.count == 1319)
        let second = try await DatasetCatalog.pull("gsm8k:test", mirror: "http://127.0.0.1:1", destinationRoot: destination.path)
        #expect(second == .alreadyPresent(path: path))
        // The gzipped set and the JSON-array set too.
        _ = try await DatasetCatalog.pull("humaneval", mirror: server.url, destinationRoot: destination.path)
        #expect(try Dataset.load(path: destination.appendingPathComponent("humaneval/HumanEval.jsonl.gz").path).problems.count == 164)
    }

    @Test func aChangedFileIsRefusedAndNotSaved() async throws {
        let served = try Self.temporaryFolder()
        try FileManager.default.createDirectory(at: served.appendingPathComponent("gsm8k"), withIntermediateDirectories: true)
        var bytes = try Data(contentsOf: TestPaths.sharedDataFile("gsm8k/test.jsonl"))
        bytes[100] = UInt8(ascii: "X")
        try bytes.write(to: served.appendingPathComponent("gsm8k/test.jsonl"))
        let server = try LoopbackServer(serving: served)
        let destination = try Self.temporaryFolder()
        do {
            _ = try await DatasetCatalog.pull("gsm8k", mirror: server.url, destinationRoot: destination.path)
            Issue.record("a modified file was accepted")
        } catch {
            #expect(error.description.contains("expected 3730d312f6e3440559ace48831e51066acaca737f6eabec99bccb9e4b3c39d14"))
            #expect(error.description.contains("it was not saved"))
        }
        #expect(!FileManager.default.fileExists(atPath: destination.appendingPathComponent("gsm8k/test.jsonl").path))
    }

    @Test func noConnectionSaysSoAndNamesTheOtherWays() async throws {
        let destination = try Self.temporaryFolder()
        do {
            // Port 1 on loopback: nothing listens there.
            _ = try await DatasetCatalog.pull("mbpp", mirror: "http://127.0.0.1:1", destinationRoot: destination.path, timeout: 5)
            Issue.record("pull from a closed port succeeded")
        } catch {
            #expect(error.description.contains("cannot download `mbpp:full` from http://127.0.0.1:1/mbpp/mbpp.jsonl"))
            #expect(error.description.contains("pass the file's path, or set QUORUM_DATA"))
        }
        do {
            _ = try await DatasetCatalog.pull("arc", destinationRoot: destination.path)
            Issue.record("ARC has no single-file source")
        } catch {
            #expect(error.description.contains("`arc-challenge:test` cannot be pulled"))
        }
    }

    @Test func everyOfficialSourceChecksumMatchesTheSharedData() throws {
        // The pinned checksums are those of the files in shared/data (PROVENANCE.md), so a pull gives byte-identical data.
        for (name, source) in DatasetCatalog.sources {
            let entry = try #require(DatasetCatalog.entry(named: name))
            let data = try Data(contentsOf: TestPaths.sharedDataFile(entry.relativePath))
            let digest = try Self.sha256sum(data)
            #expect(digest == source.sha256, "\(name)")
        }
    }

    static func sha256sum(_ data: Data) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-sum-\(UUID().uuidString)")
        try data.write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return String(try Shell.output(["sha256sum", url.path]).prefix(64))
    }
}
