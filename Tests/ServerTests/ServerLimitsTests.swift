import Foundation
import TestSupport
import Testing

/// Issue 20, finding 2: no request keeps the server working for a client that left, and no
/// strategy parameter multiplies work without bound. (In ServerTests, so one server runs at a time.)
extension ServerTests {
    /// A whole-response request (4 samples of up to 4,000 tokens) whose client closes its socket
    /// once the engine runs it: /health must show it cancelled and the slot free. The default
    /// timeout (300 s) is far beyond the check's bound, so only the closed connection can end it.
    @Test func aClientLeavingAWholeResponseRequestCancelsItsGeneration() throws {
        let server = try ServerProcess([])
        defer { server.stop() }
        let lines = try runChecks(server, arguments: ["--only", "disconnect_whole"])
        #expect(lines.map { $0["check"] as? String } == ["disconnect_whole"])
        #expect(lines.allSatisfy { $0["ok"] as? Bool == true })
    }

    @Test func strategyParametersThatMultiplyWorkAreBounded() throws {
        let server = try ServerProcess(["--max-moa-layers", "3", "--max-strategy-calls", "20", "--max-strategy-tokens", "1000"])
        defer { server.stop() }
        let lines = try runChecks(server, arguments: ["--only", "strategy_limits"])
        #expect(lines.map { $0["check"] as? String } == ["strategy_limits"])
        #expect(lines.allSatisfy { $0["ok"] as? Bool == true })
    }
}

extension ServerTests {
    /// Issue 20, finding 5: connections that send nothing or half a request head are closed
    /// after --idle-timeout, and a request that takes longer than that is still answered.
    @Test func idleAndHalfSentConnectionsAreClosed() throws {
        let server = try ServerProcess(["--idle-timeout", "1"])
        defer { server.stop() }
        let lines = try runChecks(server, arguments: ["--only", "idle_connections"])
        #expect(lines.map { $0["check"] as? String } == ["idle_connections"])
        #expect(lines.allSatisfy { $0["ok"] as? Bool == true })
    }
}
