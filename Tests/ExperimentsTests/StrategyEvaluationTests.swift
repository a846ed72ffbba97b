import Aggregation
import Experiments
import Foundation
import Metrics
import Report
import RunStore
import ScalingCore
import TestSupport
import Testing
import Verifiers

/// A model for strategy evaluations: an aggregator that answers with its first reference's
/// boxed answer, and a judge that scores a response 9 when it contains `\boxed{4}` (the
/// reference of every problem here) and 2 otherwise. It records every request and can fail
/// from a given call on, like a crash.
final class StrategyBackend: CompletionProvider, @unchecked Sendable {
    let modelName = "strategy-test-backend"
    private let lock = NSLock()
    private(set) var requests: [CompletionRequest] = []
    /// Calls from this index on throw.
    var failFrom: Int?

    func complete(_ request: CompletionRequest) async throws -> [Completion] {
        let index = lock.withLock { () -> Int in requests.append(request); return requests.count - 1 }
        if let failFrom, index >= failFrom { throw URLError(.networkConnectionLost) }
        guard case .messages(let messages) = request.prompt, let system = messages.first(where: { $0.role == "system" })?.content else {
            return request.seeds.map { _ in Completion(text: "unexpected proposal request", finishReason: .stop, promptTokens: 1, completionTokens: 1, seconds: 0) }
        }
        let text: String
        if system == JudgePrompt.instruction {
            text = messages.last!.content.contains("\\boxed{4}") ? "Score: 9" : "Score: 2"
        } else if system == PairwiseJudgePrompt.instruction {
            // The answer with \boxed{4} wins, in either position; two alike tie.
            let user = messages.last!.content
            let a = user.components(separatedBy: "[The End of Assistant A's Answer]")[0].contains("\\boxed{4}")
            let b = user.components(separatedBy: "[The End of Assistant A's Answer]")[1].contains("\\boxed{4}")
            text = a == b ? "[[C]]" : a ? "[[A]]" : "[[B]]"
        } else {
            // "...Responses from models:\n1. <first reference>\n2. ..."
            let first = system.components(separatedBy: "\n1. ").last!.components(separatedBy: "\n2. ")[0]
            text = "Synthesis: \(first)"
        }
        return request.seeds.map { Completion(text: text, finishReason: .stop, seed: $0, promptTokens: 100, completionTokens: 7, seconds: 0.01) }
    }
}

struct StrategyEvaluationTests {
    /// Three problems (reference 4), four stored samples each: p0 two correct, p1 none, p2 all.
    static let answers = [["4", "5", "4", "6"], ["1", "2", "3", "1"], ["4", "4", "4", "4"]]
    static let problems = (0..<3).map { Problem(id: "p\($0)", prompt: .text("Question \($0): 2 + 2?"), reference: ProblemReference(answer: "4")) }

    static func store() throws -> (RunStore, String) {
        let store = try RunStore(path: FileManager.default.temporaryDirectory.appendingPathComponent("quorum-strategies-\(UUID().uuidString).sqlite").path)
        var configuration = SamplingRunTests.configuration()
        configuration.verifier = .math
        let run = try store.beginRun(configuration)
        for (p, answers) in answers.enumerated() {
            for (i, answer) in answers.enumerated() {
                try store.insert(SampleRecord(
                    problemID: "p\(p)", sampleIndex: i, seed: UInt64(10 * p + i),
                    completion: Completion(text: "Sample \(i): \\boxed{\(answer)}", finishReason: .stop, seed: UInt64(10 * p + i),
                                           promptTokens: 50, completionTokens: 10, seconds: 0.1, logprobSum: -Double(i + 1)),
                    verdict: Verdict(answer == "4" ? .passed : .failed, extracted: answer)), runID: run)
            }
        }
        return (store, run)
    }

    static func evaluate(_ specs: [String], store: RunStore, run: String, backend: StrategyBackend,
                         draws: Int = 1, problems: [Problem] = problems) async throws -> StrategyEvaluationOutcome {
        try await StrategyEvaluation(specifications: specs.map { try StrategySpec(parsing: $0) }, draws: draws)
            .run(runID: run, store: store, problems: problems, template: .gsm8kChat, provider: backend, verifier: MathVerifier())
    }

    @Test func selfMoAOverStoredSamplesCallsOnlyTheAggregatorAndResumes() async throws {
        let (store, run) = try Self.store()
        let backend = StrategyBackend()
        let outcome = try await Self.evaluate(["self-moa:4"], store: store, run: run, backend: backend, draws: 2)
        // 3 problems × k ∈ {1, 2, 4} × 2 draws, one aggregator call each; proposals come from the store.
        #expect(outcome.newAnswers == 18 && outcome.newCalls == 18 && outcome.replayedCalls == 0)
        #expect(backend.requests.count == 18)
        let outcomes = try store.strategyOutcomes(runID: run, strategy: "self-moa:4")
        #expect(outcomes.count == 18)
        for row in outcomes {
            let p = Int(row.problemID.dropFirst())!
            let storedTexts = Self.answers[p].enumerated().map { "Sample \($0.offset): \\boxed{\($0.element)}" }
            // The evidence: k stored samples of this problem as proposals, in sample order, then one synthesis.
            let evidence = try JSONDecoder().decode(Evidence.self, from: Data(try #require(row.evidence).utf8))
            guard case .synthesis(let synthesis) = evidence else { Issue.record("expected synthesis"); continue }
            let proposals = synthesis.layers[0].calls[0].outputs
            #expect(proposals.count == row.budget && Set(proposals).isSubset(of: storedTexts))
            #expect(proposals == storedTexts.filter(proposals.contains))
            #expect(synthesis.layers[1].calls[0].references == proposals)
            // The aggregator answers with the first reference's answer: right exactly when that sample is.
            #expect((row.outcome == .passed) == proposals[0].hasSuffix("\\boxed{4}"))
            // Spend: the stored proposal call (prompt 50, 10 tokens per sample) plus the aggregator call.
            #expect(row.modelCalls == 2 && row.samples == row.budget + 1)
            #expect(row.promptTokens == 150 && row.completionTokens == 10 * row.budget + 7)
            #expect(abs(row.seconds - (0.1 * Double(row.budget))) < 0.5)
        }
        // The two draws at k = 4 of a 4-sample problem are the same subset; at k = 1 they may differ.
        // Resuming does nothing new.
        let again = StrategyBackend()
        let resumed = try await Self.evaluate(["self-moa:4"], store: store, run: run, backend: again, draws: 2)
        #expect(again.requests.isEmpty && resumed.newAnswers == 0 && resumed.storedAnswers == 18)
    }

    @Test func anInterruptedEvaluationReplaysItsStoredCalls() async throws {
        let (store, run) = try Self.store()
        // Self-MoA-Seq with window 2: one call at k = 1 and 2, two at k = 4: 4 calls per problem.
        let crashing = StrategyBackend()
        crashing.failFrom = 3   // the second call of problem p0 at k = 4
        await #expect(throws: (any Error).self) {
            _ = try await Self.evaluate(["self-moa-seq:4,window=2"], store: store, run: run, backend: crashing)
        }
        #expect(try store.strategyOutcomes(runID: run, strategy: "self-moa-seq:4,window=2").count == 2)
        let healthy = StrategyBackend()
        let outcome = try await Self.evaluate(["self-moa-seq:4,window=2"], store: store, run: run, backend: healthy)
        // 12 calls in all: 3 made before the crash, 1 of them replayed (its answer was not stored), 9 new.
        #expect(outcome.replayedCalls == 1 && outcome.newCalls == 9 && healthy.requests.count == 9)
        #expect(outcome.storedAnswers == 2 && outcome.newAnswers == 7)
        let rows = try store.strategyOutcomes(runID: run, strategy: "self-moa-seq:4,window=2")
        #expect(rows.count == 9 && rows.filter { $0.budget == 4 }.allSatisfy { $0.modelCalls == 3 })
    }

    @Test func judgeScoresEveryStoredSampleOnceAndGivesExactBestOfN() async throws {
        let (store, run) = try Self.store()
        let backend = StrategyBackend()
        let outcome = try await Self.evaluate(["best-of-n:4,score=judge", "self-consistency"], store: store, run: run, backend: backend)
        #expect(outcome.newCalls == 12 && backend.requests.count == 12)
        #expect(backend.requests.allSatisfy { $0.parameters.temperature == 0 && $0.seeds.count == 1 })
        let report = try RunAnalysis(modelShape: ModelShape(parameters: 1e6, layers: 2, width: 8), bootstrapResamples: 50)
            .report(runID: run, store: store)
        let judge = try #require(report.curves.first { $0.name == "best-of-n:4,score=judge" })
        // The judge separates right from wrong perfectly, so best-of-N@k is pass@k:
        // p0 (2 of 4 right): 1 - C(2,k)/C(4,k); p1: 0; p2: 1.
        let passAtK: [Int: Double] = [1: 1.5 / 3, 2: (5.0 / 6 + 1) / 3, 3: 2.0 / 3, 4: 2.0 / 3]
        for point in judge.points { #expect(abs(point.value - passAtK[point.k]!) < 1e-12, "k = \(point.k)") }
        // Cost at k: one sampling call and k judge calls per problem; k samples of 10 tokens
        // plus k judge replies of 7; the prompt once plus k judge prompts of 100.
        for point in judge.points {
            let cost = try #require(point.cost)
            #expect(cost.modelCalls == Double(3 * (1 + point.k)))
            #expect(cost.completionTokens == 3 * (10 + 7) * point.k)
            #expect(cost.promptTokens == 3 * (50 + 100 * point.k))
            #expect(cost.flops != nil)
        }
        // The vote needed no calls; its curve comes with tie rates and the stated rule.
        let vote = try #require(report.curves.first { $0.name == "self-consistency" })
        #expect(vote.points.allSatisfy { $0.tieRate != nil && $0.cost?.modelCalls == 3 })
        #expect(vote.details?.contains("tie") == true)
        // p0's four samples vote 4, 5, 4, 6: 4 wins; p1 votes 1, 2, 3, 1: 1 wins (wrong); p2 right.
        #expect(abs(vote.point(atK: 4)!.value - 2.0 / 3) < 1e-12)
        // `quorum report` (a fresh analysis of the same store) shows the stored evaluations.
        #expect(try store.strategyEvaluations(runID: run).map(\.strategy) == ["best-of-n:4,score=judge", "self-consistency"])
    }

    @Test func pairwiseJudgeRunsItsBracketOnRandomSubsetsOfTheStoredSamples() async throws {
        let (store, run) = try Self.store()
        let backend = StrategyBackend()
        let key = "best-of-n:4,score=pairwise"
        let outcome = try await Self.evaluate([key], store: store, run: run, backend: backend, draws: 2)
        // 3 problems × k ∈ {1, 2, 4} × 2 draws; a knockout of k makes 2(k − 1) judge calls: 0, 2, 6.
        #expect(outcome.newAnswers == 18 && outcome.newCalls == 3 * 2 * (0 + 2 + 6) && backend.requests.count == outcome.newCalls)
        #expect(backend.requests.allSatisfy { request in
            guard case .messages(let messages) = request.prompt else { return false }
            return request.parameters.temperature == 0 && messages.first?.content == PairwiseJudgePrompt.instruction
        })
        let rows = try store.strategyOutcomes(runID: run, strategy: key)
        #expect(rows.count == 18)
        for row in rows {
            let p = Int(row.problemID.dropFirst())!
            let evidence = try JSONDecoder().decode(Evidence.self, from: Data(try #require(row.evidence).utf8))
            guard case .bestOfN(let best) = evidence else { Issue.record("expected best-of-N evidence"); continue }
            // The k candidates are stored samples of this problem; the judge knows right from wrong,
            // so the answer is right exactly when one of them is.
            let storedTexts = Self.answers[p].enumerated().map { "Sample \($0.offset): \\boxed{\($0.element)}" }
            #expect(best.samples.count == row.budget && best.samples.allSatisfy { storedTexts.contains($0.text) })
            #expect((row.outcome == .passed) == best.samples.contains { $0.text.hasSuffix("\\boxed{4}") })
            #expect(best.comparisons?.count == row.budget - 1)
            #expect(row.modelCalls == 1 + 2 * (row.budget - 1))
        }
        let report = try RunAnalysis(bootstrapResamples: 50).report(runID: run, store: store)
        let curve = try #require(report.curves.first { $0.name == key })
        #expect(curve.points.map(\.k) == [1, 2, 4])
        // At k = 4 every draw holds all four samples: p0 and p2 right, p1 wrong.
        #expect(abs(curve.point(atK: 4)!.value - 2.0 / 3) < 1e-12)
        #expect(curve.points.allSatisfy { $0.cost?.modelCalls == Double(3 * (1 + 2 * ($0.k - 1))) })
        // Resuming makes no call.
        let again = StrategyBackend()
        let resumed = try await Self.evaluate([key], store: store, run: run, backend: again, draws: 2)
        #expect(again.requests.isEmpty && resumed.storedAnswers == 18)
    }

    @Test func reportShowsSynthesisCurvesWithTheirCost() async throws {
        let (store, run) = try Self.store()
        _ = try await Self.evaluate(["self-moa:2"], store: store, run: run, backend: StrategyBackend(), draws: 3)
        let report = try RunAnalysis(bootstrapResamples: 50).report(runID: run, store: store)
        let curve = try #require(report.curves.first { $0.name == "self-moa:2" })
        #expect(curve.points.map(\.k) == [1, 2])
        for point in curve.points {
            let cost = try #require(point.cost)
            #expect(cost.modelCalls == 6)   // 3 problems × (stored proposals + one aggregation)
            #expect(cost.promptTokens == 3 * 150 && cost.completionTokens == 3 * (10 * point.k + 7))
        }
        // p1 is never right, p2 always: accuracy is (p0's share + 0 + 1) / 3 with p0's share in [0, 1].
        #expect(curve.points.allSatisfy { $0.value >= 1.0 / 3 - 1e-12 && $0.value <= 2.0 / 3 + 1e-12 })
        let html = HTMLReport.render(ReportInput(title: "t", generatedAt: Date(), runs: [report]))
        #expect(html.contains("self-moa:2") && html.contains("Accuracy and cost per problem") && html.contains("chart-tokens-1"))
    }

    @Test func anEvaluationOnSomeProblemsIsShownForThoseWithCostScaledToAll() async throws {
        let (store, run) = try Self.store()
        // Only p2 (always right) and only its judge: like `quorum run --limit 1 --strategy ...` on a longer run.
        _ = try await Self.evaluate(["self-moa:2", "best-of-n:4,score=judge"], store: store, run: run, backend: StrategyBackend(),
                                    problems: [Self.problems[2]])
        let report = try RunAnalysis(bootstrapResamples: 50).report(runID: run, store: store)
        let synthesis = try #require(report.curves.first { $0.name == "self-moa:2 (1 of 3 problems)" })
        #expect(synthesis.points.map(\.value) == [1, 1])
        #expect(synthesis.points.allSatisfy { $0.cost?.modelCalls == 6 && $0.cost?.promptTokens == 3 * 150 })
        let judge = try #require(report.curves.first { $0.name == "best-of-n:4,score=judge (1 of 3 problems)" })
        #expect(judge.points.allSatisfy { $0.value == 1 && $0.cost?.modelCalls == Double(3 * (1 + $0.k)) })
        #expect(report.notes.contains { $0.contains("1 of the run's 3 problems") })
    }

    @Test func aVersionOneStoreGainsTheStrategyTablesAndKeepsItsSamples() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-v1-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("runs.sqlite").path
        // A version-1 store as Quorum wrote it before strategies existed, made by Python's sqlite3.
        let script = """
            import sqlite3, sys
            c = sqlite3.connect(sys.argv[1])
            c.executescript('''
            CREATE TABLE runs (id TEXT PRIMARY KEY, configuration TEXT NOT NULL, created_at REAL NOT NULL);
            CREATE TABLE samples (run_id TEXT NOT NULL REFERENCES runs(id), problem_id TEXT NOT NULL, sample_index INTEGER NOT NULL,
                seed INTEGER NOT NULL, completion TEXT NOT NULL, finish_reason TEXT NOT NULL, prompt_tokens INTEGER NOT NULL,
                completion_tokens INTEGER NOT NULL, seconds REAL NOT NULL, logprob_sum REAL, outcome TEXT NOT NULL, extracted TEXT,
                detail TEXT, created_at REAL NOT NULL, PRIMARY KEY (run_id, problem_id, sample_index));
            CREATE TABLE failed_requests (run_id TEXT NOT NULL REFERENCES runs(id), problem_id TEXT NOT NULL,
                sample_index INTEGER NOT NULL, error TEXT NOT NULL, attempts INTEGER NOT NULL, last_attempt_at REAL NOT NULL,
                PRIMARY KEY (run_id, problem_id, sample_index));
            PRAGMA user_version = 1;
            ''')
            c.execute("INSERT INTO runs VALUES (?, ?, 0)", ("r1", sys.argv[2]))
            c.execute("INSERT INTO samples VALUES ('r1', 'p0', 0, 5, 'So \\\\boxed{4}', 'stop', 50, 10, 0.5, -2.0, 'passed', '4', NULL, 0)")
            c.commit()
            """
        let configuration = SamplingRunTests.configuration().canonicalJSON
        _ = try Shell.output(["python3", "-c", script, path, configuration])
        let store = try RunStore(path: path)
        let samples = try store.samples(runID: "r1")
        #expect(samples.count == 1 && samples[0].completion.text == "So \\boxed{4}" && samples[0].verdict.isCorrect)
        try store.recordStrategyEvaluation(runID: "r1", strategy: "self-consistency")
        #expect(try store.strategyEvaluations(runID: "r1").map(\.strategy) == ["self-consistency"])
        let check = "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute('PRAGMA user_version').fetchone()[0], c.execute('SELECT COUNT(*) FROM samples').fetchone()[0], sorted(r[0] for r in c.execute(\"SELECT name FROM sqlite_master WHERE type='table'\")))"
        #expect(try Shell.output(["python3", "-c", check, path]).trimmingCharacters(in: .whitespacesAndNewlines)
                == "3 1 ['failed_requests', 'run_problems', 'runs', 'sample_claims', 'samples', 'strategy_calls', 'strategy_evaluations', 'strategy_outcomes']")
        // The old run's problems are known from its samples (schema 3).
        #expect(try store.problemIDs(runID: "r1") == ["p0"])
    }
}
