import Foundation
import Testing

/// An adaptive strategy per request, through the official `openai` client: on an easy question
/// it returns its evidence (samples drawn, why it stopped, the spend) after fewer than max samples.
@Suite(.serialized)
struct AdaptiveServerTests {
    @Test func anAdaptiveRequestStopsEarlyOnAnEasyQuestionAndShowsItsEvidence() throws {
        let server = try ServerProcess(["--max-n", "16"])
        defer { server.stop() }
        let lines = try ServerTests().runChecks(server, arguments: ["--only", "adaptive_strategy"])
        #expect(lines.map { $0["check"] as? String } == ["adaptive_strategy"])
        #expect(lines.allSatisfy { $0["ok"] as? Bool == true })
        let detail = lines.first?["detail"] as? [String: Any]
        #expect((detail?["samples"] as? Int).map { $0 < 16 } == true, "\(String(describing: detail))")
    }
}
