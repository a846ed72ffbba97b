import Aggregation
import OpenAIAPI
import ScalingCore
import Synchronization

/// Watches a strategy's calls so a streamed response can report progress: after each
/// call, one event per finished candidate ("candidate i of n done") with the vote among
/// the candidates finished so far.
final class StrategyMonitor: Sendable {
    private struct State {
        var requested = 0
        var finished: [String] = []
    }
    private let state = Mutex(State())
    private let grouping: AnswerGrouping
    private let report: @Sendable (StrategyProgress) -> Void

    init(grouping: AnswerGrouping, report: @escaping @Sendable (StrategyProgress) -> Void) {
        self.grouping = grouping
        self.report = report
    }

    func requested(_ count: Int) {
        state.withLock { $0.requested += count }
    }

    func finished(_ completions: [Completion]) {
        for completion in completions {
            let (outputs, requested) = state.withLock { state in
                state.finished.append(completion.text)
                return (state.finished, state.requested)
            }
            report(StrategyProgress(completedSamples: outputs.count, requestedSamples: requested, vote: tally(outputs)))
        }
    }

    /// Each answer class with its size, largest first (ties in order of first appearance).
    private func tally(_ outputs: [String]) -> [VoteTally] {
        let classes = grouping.classes(of: outputs)
        var counts = Array(repeating: 0, count: classes.representatives.count)
        for case let index? in classes.classOf { counts[index] += 1 }
        return zip(classes.representatives, counts).enumerated()
            .sorted { $0.element.1 != $1.element.1 ? $0.element.1 > $1.element.1 : $0.offset < $1.offset }
            .map { VoteTally(answer: $0.element.0, count: $0.element.1) }
    }
}

/// The served provider as a strategy sees it: every call goes through, and the monitor
/// hears of it.
struct MonitoredProvider: CompletionProvider {
    let underlying: any CompletionProvider
    let monitor: StrategyMonitor

    var modelName: String { underlying.modelName }

    func complete(_ request: CompletionRequest) async throws -> [Completion] {
        monitor.requested(request.seeds.count)
        let completions = try await underlying.complete(request)
        monitor.finished(completions)
        return completions
    }
}
