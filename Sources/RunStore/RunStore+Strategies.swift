import Foundation
import ScalingCore

/// Where a strategy evaluation's model call sits: the strategy, the problem, the budget k,
/// the draw (which random k-subset), and the call's position in the strategy's call order.
public struct StrategyCallKey: Sendable, Hashable {
    public var strategy: String
    public var problemID: String
    /// The budget k the call was made for (0 for calls made once per stored sample, such as
    /// judging sample `draw`).
    public var budget: Int
    public var draw: Int
    public var callIndex: Int

    public init(strategy: String, problemID: String, budget: Int, draw: Int, callIndex: Int) {
        self.strategy = strategy
        self.problemID = problemID
        self.budget = budget
        self.draw = draw
        self.callIndex = callIndex
    }
}

/// One model call a strategy evaluation made (an aggregation, a judgement), stored like a
/// sample so a resumed evaluation replays it instead of calling the model again.
public struct StrategyCallRecord: Sendable, Hashable {
    public var key: StrategyCallKey
    /// SHA-256 of the request (model, prompt, parameters, seeds): a replay must match it.
    public var requestSHA256: String
    public var model: String
    /// The completions the call returned, in seed order.
    public var completions: [Completion]
    /// Wall time of the call, seconds.
    public var seconds: Double

    public init(key: StrategyCallKey, requestSHA256: String, model: String, completions: [Completion], seconds: Double) {
        self.key = key
        self.requestSHA256 = requestSHA256
        self.model = model
        self.completions = completions
        self.seconds = seconds
    }
}

/// What one strategy answer over a run's problem cost and whether it was right.
public struct StrategyOutcomeRecord: Sendable, Hashable {
    public var strategy: String
    public var problemID: String
    public var budget: Int
    public var draw: Int
    /// The extracted final answer, when there was one.
    public var answer: String?
    /// The run's verifier's verdict on the strategy's response.
    public var outcome: Verdict.Outcome
    public var modelCalls: Int
    public var samples: Int
    public var promptTokens: Int
    public var completionTokens: Int
    /// Wall time: the stored samples' own plus the new calls', seconds.
    public var seconds: Double
    /// The strategy's evidence as JSON, for audit.
    public var evidence: String?

    public init(strategy: String, problemID: String, budget: Int, draw: Int, answer: String?, outcome: Verdict.Outcome,
                modelCalls: Int, samples: Int, promptTokens: Int, completionTokens: Int, seconds: Double, evidence: String?) {
        self.strategy = strategy
        self.problemID = problemID
        self.budget = budget
        self.draw = draw
        self.answer = answer
        self.outcome = outcome
        self.modelCalls = modelCalls
        self.samples = samples
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.seconds = seconds
        self.evidence = evidence
    }
}

extension RunStore {
    /// Schema version 2: strategies evaluated on a run, their model calls and their outcomes.
    /// Only adds tables, so every stored run and sample survives the migration.
    func addStrategyTables() throws(RunStoreError) {
        try connection.transaction { () throws(RunStoreError) in
            try connection.execute("""
                CREATE TABLE IF NOT EXISTS strategy_evaluations (
                    run_id TEXT NOT NULL REFERENCES runs(id),
                    strategy TEXT NOT NULL,
                    settings TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    PRIMARY KEY (run_id, strategy)
                );
                CREATE TABLE IF NOT EXISTS strategy_calls (
                    run_id TEXT NOT NULL REFERENCES runs(id),
                    strategy TEXT NOT NULL,
                    problem_id TEXT NOT NULL,
                    budget INTEGER NOT NULL,
                    draw INTEGER NOT NULL,
                    call_index INTEGER NOT NULL,
                    request_sha256 TEXT NOT NULL,
                    model TEXT NOT NULL,
                    completions TEXT NOT NULL,
                    prompt_tokens INTEGER NOT NULL,
                    completion_tokens INTEGER NOT NULL,
                    seconds REAL NOT NULL,
                    created_at REAL NOT NULL,
                    PRIMARY KEY (run_id, strategy, problem_id, budget, draw, call_index)
                );
                CREATE TABLE IF NOT EXISTS strategy_outcomes (
                    run_id TEXT NOT NULL REFERENCES runs(id),
                    strategy TEXT NOT NULL,
                    problem_id TEXT NOT NULL,
                    budget INTEGER NOT NULL,
                    draw INTEGER NOT NULL,
                    answer TEXT,
                    outcome TEXT NOT NULL,
                    model_calls INTEGER NOT NULL,
                    samples INTEGER NOT NULL,
                    prompt_tokens INTEGER NOT NULL,
                    completion_tokens INTEGER NOT NULL,
                    seconds REAL NOT NULL,
                    evidence TEXT,
                    created_at REAL NOT NULL,
                    PRIMARY KEY (run_id, strategy, problem_id, budget, draw)
                );
                PRAGMA user_version = 2;
                """)
        }
    }

    /// Notes that `strategy` was evaluated on a run (idempotent; `settings` is replaced), so
    /// `quorum report` shows its curve.
    public func recordStrategyEvaluation(runID: String, strategy: String, settings: String = "{}",
                                         at date: Date = Date()) throws(RunStoreError) {
        try locked { () throws(RunStoreError) in
            try connection.prepare("""
                INSERT INTO strategy_evaluations (run_id, strategy, settings, created_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (run_id, strategy) DO UPDATE SET settings = excluded.settings
                """).run([.text(runID), .text(strategy), .text(settings), .real(date.timeIntervalSince1970)])
        }
    }

    /// The strategies evaluated on a run, in the order first evaluated, with their settings.
    public func strategyEvaluations(runID: String) throws(RunStoreError) -> [(strategy: String, settings: String)] {
        try locked { () throws(RunStoreError) in
            try connection.prepare("SELECT strategy, settings FROM strategy_evaluations WHERE run_id = ? ORDER BY created_at, strategy")
                .rows([.text(runID)]).map { ($0.text(0) ?? "", $0.text(1) ?? "{}") }
        }
    }

    /// Stores one strategy call in its own transaction. A call already stored under the key is kept.
    public func insertStrategyCall(_ record: StrategyCallRecord, runID: String, at date: Date = Date()) throws(RunStoreError) {
        let json: String
        do {
            json = String(decoding: try JSONEncoder().encode(record.completions), as: UTF8.self)
        } catch {
            throw .sqlite(path: path, operation: "encoding a strategy call", message: "\(error)")
        }
        let k = record.key
        try locked { () throws(RunStoreError) in
            try connection.prepare("""
                INSERT OR IGNORE INTO strategy_calls (run_id, strategy, problem_id, budget, draw, call_index, request_sha256,
                    model, completions, prompt_tokens, completion_tokens, seconds, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).run([
                .text(runID), .text(k.strategy), .text(k.problemID), .integer(Int64(k.budget)), .integer(Int64(k.draw)),
                .integer(Int64(k.callIndex)), .text(record.requestSHA256), .text(record.model), .text(json),
                .integer(Int64(record.completions.first?.promptTokens ?? 0)),
                .integer(Int64(record.completions.reduce(0) { $0 + $1.completionTokens })),
                .real(record.seconds), .real(date.timeIntervalSince1970),
            ])
        }
    }

    /// Every stored call of one strategy on a run, ordered by problem, budget, draw and call.
    public func strategyCalls(runID: String, strategy: String) throws(RunStoreError) -> [StrategyCallRecord] {
        let rows = try locked { () throws(RunStoreError) in
            try connection.prepare("""
                SELECT problem_id, budget, draw, call_index, request_sha256, model, completions, seconds
                FROM strategy_calls WHERE run_id = ? AND strategy = ? ORDER BY problem_id, budget, draw, call_index
                """).rows([.text(runID), .text(strategy)])
        }
        return try rows.map { row throws(RunStoreError) in
            let completions: [Completion]
            do {
                completions = try JSONDecoder().decode([Completion].self, from: Data((row.text(6) ?? "[]").utf8))
            } catch {
                throw .notAStore(path: path, reason: "a stored strategy call of \(strategy) is unreadable: \(error)")
            }
            return StrategyCallRecord(
                key: StrategyCallKey(strategy: strategy, problemID: row.text(0) ?? "", budget: row.int(1), draw: row.int(2),
                                     callIndex: row.int(3)),
                requestSHA256: row.text(4) ?? "", model: row.text(5) ?? "", completions: completions, seconds: row.double(7) ?? 0)
        }
    }

    /// Stores one strategy outcome (replacing an earlier one under the same key).
    public func insertStrategyOutcome(_ record: StrategyOutcomeRecord, runID: String, at date: Date = Date()) throws(RunStoreError) {
        try locked { () throws(RunStoreError) in
            try connection.prepare("""
                INSERT OR REPLACE INTO strategy_outcomes (run_id, strategy, problem_id, budget, draw, answer, outcome, model_calls,
                    samples, prompt_tokens, completion_tokens, seconds, evidence, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).run([
                .text(runID), .text(record.strategy), .text(record.problemID), .integer(Int64(record.budget)),
                .integer(Int64(record.draw)), .optional(record.answer), .text(record.outcome.rawValue),
                .integer(Int64(record.modelCalls)), .integer(Int64(record.samples)), .integer(Int64(record.promptTokens)),
                .integer(Int64(record.completionTokens)), .real(record.seconds), .optional(record.evidence),
                .real(date.timeIntervalSince1970),
            ])
        }
    }

    /// Every stored outcome of one strategy on a run, ordered by problem, budget and draw.
    public func strategyOutcomes(runID: String, strategy: String) throws(RunStoreError) -> [StrategyOutcomeRecord] {
        let rows = try locked { () throws(RunStoreError) in
            try connection.prepare("""
                SELECT problem_id, budget, draw, answer, outcome, model_calls, samples, prompt_tokens, completion_tokens, seconds, evidence
                FROM strategy_outcomes WHERE run_id = ? AND strategy = ? ORDER BY problem_id, budget, draw
                """).rows([.text(runID), .text(strategy)])
        }
        return rows.map { row in
            StrategyOutcomeRecord(
                strategy: strategy, problemID: row.text(0) ?? "", budget: row.int(1), draw: row.int(2), answer: row.text(3),
                outcome: Verdict.Outcome(rawValue: row.text(4) ?? "") ?? .unknown, modelCalls: row.int(5), samples: row.int(6),
                promptTokens: row.int(7), completionTokens: row.int(8), seconds: row.double(9) ?? 0, evidence: row.text(10))
        }
    }
}
