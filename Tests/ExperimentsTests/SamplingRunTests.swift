import Foundation
import Experiments
import RunStore
import ScalingCore
import Testing

/// A backend whose sample is a pure function of its seed, so stored samples can be
/// checked against what a fresh call would produce. It counts what it was asked.
final class SeededBackend: CompletionProvider, @unchecked Sendable {
    let modelName = "seeded-test-backend"
    private let lock = NSLock()
    private(set) var requestedSeeds: [UInt64] = []
    /// Problems (by prompt text) whose requests fail.
    var failingPrompts: Set<String> = []

    func complete(_ request: CompletionRequest) async throws -> [Completion] {
        let text = PromptText.of(request.prompt)
        let fail = lock.withLock { () -> Bool in
            requestedSeeds += request.seeds
            return failingPrompts.contains(where: { text.contains($0) })
        }
        if fail { throw URLError(.timedOut) }
        return request.seeds.map { Completion(text: Self.text(for: $0), finishReason: .stop, promptTokens: 10, completionTokens: 5, seconds: 0.01) }
    }

    static func text(for seed: UInt64) -> String { "Final answer: \(seed % 3)" }
}

/// `SeededBackend`'s samples, counting how many requests are in flight at once. A request
/// waits until a second one is in flight (once), so whether requests overlap depends on the
/// run issuing them together, not on the machine's load; a run that never does fails after
/// the 10 s fallback instead of hanging.
final class InFlightBackend: CompletionProvider, @unchecked Sendable {
    let modelName = "seeded-test-backend"
    private let lock = NSLock()
    private var current = 0
    private(set) var maximum = 0

    func complete(_ request: CompletionRequest) async throws -> [Completion] {
        lock.withLock {
            current += 1
            maximum = max(maximum, current)
        }
        let giveUp = ContinuousClock.now + .seconds(10)
        while lock.withLock({ maximum < 2 }), ContinuousClock.now < giveUp {
            try await Task.sleep(for: .milliseconds(2))
        }
        lock.withLock { current -= 1 }
        return try await SeededBackend().complete(request)
    }
}

enum PromptText {
    static func of(_ prompt: ProblemPrompt) -> String {
        switch prompt {
        case .text(let t): t
        case .messages(let m): m.map(\.content).joined(separator: "\n")
        }
    }
}

/// Passes a sample whose answer digit equals the reference answer.
struct LastDigitVerifier: Verifier {
    let name = "last-digit"
    func verify(_ completion: String, for problem: Problem) async -> Verdict {
        let answer = String(completion.last ?? " ")
        return Verdict(answer == problem.reference.answer ? .passed : .failed, extracted: answer, detail: "last character")
    }
}

struct SamplingRunTests {
    static let problems = (0..<6).map { i in
        Problem(id: "p\(i)", prompt: .text("Question \(i): what is \(i) mod 3?"), reference: ProblemReference(answer: "\(i % 3)"))
    }

    static func configuration() -> RunConfiguration {
        RunConfiguration(dataset: "test", datasetSHA256: "0", model: "seeded", modelSHA256: nil, backend: "test",
                         promptTemplate: PromptTemplate.gsm8kChat.name, promptTemplateSHA256: PromptTemplate.gsm8kChat.sha256,
                         sampling: SamplingParameters(), seed: 42, verifier: .custom("last-digit"))
    }

    static func store() throws -> RunStore {
        try RunStore(path: FileManager.default.temporaryDirectory.appendingPathComponent("quorum-run-\(UUID().uuidString).sqlite").path)
    }

    static func plan(_ n: Int) -> SamplingRun {
        SamplingRun(configuration: configuration(), problems: problems, samplesPerProblem: n, template: .gsm8kChat,
                    samplesPerRequest: 3, concurrentRequests: 2)
    }

    @Test func runResumeAndExtendDoExactlyTheMissingWork() async throws {
        let store = try Self.store()
        let backend = SeededBackend()
        let first = try await Self.plan(4).run(store: store, provider: backend, verifier: LastDigitVerifier())
        #expect(first.produced == 24 && first.alreadyStored == 0)
        let afterFirst = try store.samples(runID: first.runID)
        #expect(afterFirst.count == 24)
        // Every stored sample is what its seed produces, with the verdict the verifier gives.
        for record in afterFirst {
            #expect(record.completion.text == SeededBackend.text(for: record.seed))
            #expect(record.seed == Self.configuration().sampleSeed(problemID: record.problemID, index: record.sampleIndex))
            let answer = Self.problems.first { $0.id == record.problemID }!.reference.answer!
            #expect(record.verdict.isCorrect == record.completion.text.hasSuffix(answer))
        }
        // The same command again: nothing to do.
        let again = try await Self.plan(4).run(store: store, provider: backend, verifier: LastDigitVerifier())
        #expect(again.produced == 0 && again.alreadyStored == 24)
        #expect(backend.requestedSeeds.count == 24)
        // Extend from 4 to 8: only indices 4..<8 are requested; the first 4 are unchanged.
        let extended = try await Self.plan(8).run(store: store, provider: backend, verifier: LastDigitVerifier())
        #expect(extended.produced == 24 && extended.alreadyStored == 24)
        #expect(backend.requestedSeeds.count == 48)
        let all = try store.samples(runID: first.runID)
        #expect(all.count == 48)
        #expect(all.filter { $0.sampleIndex < 4 } == afterFirst)
        #expect(Set(all.map { "\($0.problemID)/\($0.sampleIndex)" }).count == 48)
    }

    @Test func failedRequestsAreRecordedAndRetriedOnResume() async throws {
        let store = try Self.store()
        let backend = SeededBackend()
        backend.failingPrompts = ["Question 2:"]
        let first = try await Self.plan(4).run(store: store, provider: backend, verifier: LastDigitVerifier())
        #expect(first.produced == 20 && first.failed == 4)
        #expect(try store.failedRequests(runID: first.runID).map(\.problemID) == Array(repeating: "p2", count: 4))
        backend.failingPrompts = []
        let resumed = try await Self.plan(4).run(store: store, provider: backend, verifier: LastDigitVerifier())
        #expect(resumed.produced == 4 && resumed.failed == 0)
        #expect(try store.failedRequests(runID: first.runID).isEmpty)
        #expect(try store.samples(runID: first.runID).count == 24)
    }

    @Test func progressReportsEverySampleAndPassAt1() async throws {
        let store = try Self.store()
        let seen = ProgressLog()
        let outcome = try await Self.plan(2).run(store: store, provider: SeededBackend(), verifier: LastDigitVerifier()) { seen.add($0) }
        let last = try #require(seen.all.last)
        #expect(seen.all.count == 12)
        #expect(last.done == 12 && last.total == 12)
        let passed = try store.samples(runID: outcome.runID).filter(\.verdict.isCorrect).count
        #expect(last.passed == passed)
        #expect(abs(last.passAt1 - Double(passed) / 12) < 1e-12)
    }

    @Test func concurrentRequestsAreBoundedAndStoreWhatASequentialRunStores() async throws {
        let sequentialStore = try Self.store()
        var sequential = Self.plan(5)
        sequential.concurrentRequests = 1
        let first = try await sequential.run(store: sequentialStore, provider: SeededBackend(), verifier: LastDigitVerifier())

        let concurrentStore = try Self.store()
        var concurrent = Self.plan(5)
        concurrent.concurrentRequests = 4
        let backend = InFlightBackend()
        let second = try await concurrent.run(store: concurrentStore, provider: backend, verifier: LastDigitVerifier())
        #expect(backend.maximum > 1 && backend.maximum <= 4, "in flight at once: \(backend.maximum)")
        #expect(try concurrentStore.samples(runID: second.runID) == sequentialStore.samples(runID: first.runID))
        // The default keeps a 64-row batch full: 8 requests of 8 fill it, one more prefills ahead.
        #expect(SamplingRun.concurrencyFilling(batchWidth: 64, samplesPerRequest: 8) == 9)
        #expect(SamplingRun.concurrencyFilling(batchWidth: 64, samplesPerRequest: 24) == 4)
    }

    @Test func templatesRenderEachFormat() throws {
        let gsm = Problem(id: "g", prompt: .text("Tom has 3 apples."), reference: ProblemReference(answer: "3"))
        guard case .messages(let m) = PromptTemplate.gsm8kChat.render(gsm) else { Issue.record("not chat"); return }
        #expect(m.count == 1 && m[0].role == "user")
        #expect(m[0].content.hasSuffix("Question: Tom has 3 apples.\n\nSolution:"))
        #expect(m[0].content.contains("\"Final answer: ...\""))
        let he = Problem(id: "h", prompt: .text("def f(x):\n    \"\"\"doc\"\"\"\n"), reference: ProblemReference())
        #expect(PromptTemplate.humanEvalCompletion.render(he) == .text("def f(x):\n    \"\"\"doc\"\"\"\n"))
        let chat = Problem(id: "c", prompt: .messages([ChatMessage(role: "user", content: "hi")]), reference: ProblemReference())
        #expect(PromptTemplate.plain.render(chat) == .messages([ChatMessage(role: "user", content: "hi")]))
        #expect(PromptTemplate.defaultTemplate(forFormat: "mbpp-sanitized") == .mbppChat)
    }

    @Test func userTemplateFilesAndTheirErrors() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-tpl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("mine.txt")
        try "You are terse.\n---\nQ: {{question}}\nChoices:\n{{choices}}".write(to: file, atomically: true, encoding: .utf8)
        let template = try PromptTemplate.named(file.path)
        let arc = Problem(id: "a", prompt: .text("Sky colour?"), reference: ProblemReference(answer: "B"),
                          metadata: ["choices": .array([.object(["label": .string("A"), "text": .string("red")]),
                                                        .object(["label": .string("B"), "text": .string("blue")])])])
        #expect(template.render(arc) == .messages([ChatMessage(role: "system", content: "You are terse."),
                                                   ChatMessage(role: "user", content: "Q: Sky colour?\nChoices:\nA. red\nB. blue")]))
        #expect(template.sha256 != PromptTemplate.arcChat.sha256)
        #expect(throws: ExperimentError.self) { try PromptTemplate.named("no-such-template") }
        do { _ = try PromptTemplate.named("no-such-template") } catch {
            #expect(error.description.contains("gsm8k-chat"))
        }
    }
}

final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [RunProgress] = []
    func add(_ p: RunProgress) { lock.withLock { items.append(p) } }
    var all: [RunProgress] { lock.withLock { items } }
}

struct FewShotTemplateTests {
    static func trainLike(_ count: Int) -> [Problem] {
        (0..<count).map { i in
            Problem(id: "train/\(i)", prompt: .text("Q\(i)?"), reference: ProblemReference(answer: "\(i)"),
                    metadata: ["solution": .string("Work \(i).")])
        }
    }

    /// The examples a problem gets are part of its stored prompt: SplitMix64 seeded by the
    /// SHA-256 of "seed/problem id", drawing from the remaining pool. Values from a Python
    /// transcription (hashlib), so the choice cannot drift.
    @Test func exampleChoiceIsTheStoredOne() {
        let examples = FewShotExamples.gsm8k(from: Self.trainLike(20), seed: 3)
        let first = Problem(id: "train/4", prompt: .text("x"), reference: ProblemReference())
        let second = Problem(id: "test/9", prompt: .text("x"), reference: ProblemReference())
        #expect(examples.choose(for: first).map(\.id) == ["train/2", "train/16", "train/11", "train/13", "train/5"])
        #expect(examples.choose(for: second).map(\.id) == ["train/11", "train/0", "train/8", "train/17", "train/18"])
    }

    @Test func fiveDistinctExamplesPerProblemStableAndNeverTheProblemItself() {
        let examples = FewShotExamples.gsm8k(from: Self.trainLike(20), seed: 3)
        let template = PromptTemplate.gsm8kFewShot(examples)
        let problem = Problem(id: "train/4", prompt: .text("What is 2+2?"), reference: ProblemReference(answer: "4"))
        guard case .text(let text) = template.render(problem) else { Issue.record("not text"); return }
        let chosen = examples.choose(for: problem)
        #expect(chosen.count == 5 && Set(chosen.map(\.id)).count == 5)
        #expect(!chosen.contains { $0.id == "train/4" })
        #expect(examples.choose(for: problem) == chosen)
        // The LLMonkeys layout: examples, then the question, ending with "Answer:".
        let expected = chosen.map { "Question: \($0.question)\nAnswer: \($0.answer)\n\n" }.joined() + "Question: What is 2+2?\nAnswer:"
        #expect(text == expected)
        #expect(chosen[0].answer.hasSuffix("\n#### \(chosen[0].id.split(separator: "/")[1])"))
        #expect(template.stop.contains("\nQuestion:"))
        // Other problems get other draws; other seeds or examples make another template hash.
        let other = Problem(id: "test/9", prompt: .text("x"), reference: ProblemReference())
        #expect(examples.choose(for: other) != chosen)
        #expect(PromptTemplate.gsm8kFewShot(FewShotExamples.gsm8k(from: Self.trainLike(20), seed: 4)).sha256 != template.sha256)
    }
}
