import ArgumentParser
import Foundation
import ModelHub
import QuorumKit
import Report
import RunStore
import ScalingCore
import Training

/// `quorum train irpo`: Iterative Reasoning Preference Optimization end to end (Pang et al.
/// 2024). Each iteration samples the training problems from the current model, verifies the
/// samples, pairs correct against incorrect chains of thought, trains with DPO + NLL from the
/// current model (which is also the reference), exports `DIR/iter-t.gguf`, and evaluates it on
/// the held-out set; the base model is evaluated first, as iteration 0.
///
/// Every stage resumes: sampling and evaluations are ordinary runs in the store (the same
/// command finds them by their ids), training resumes from its checkpoints bit for bit, and an
/// iteration whose model is written is done. `DIR/irpo.json` holds the table.
struct IRPOCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "irpo",
        abstract: "Iterative RPO: sample, verify, pair, train with DPO + NLL, export and evaluate, for several iterations (resumable).",
        discussion: """
            Iteration t samples --dataset from the model of iteration t−1 (the base model first), builds pairs as \
            `train dpo` does, trains from that model with it as the reference, writes DIR/iter-t.gguf, and \
            evaluates it on --eval: greedy pass@1 (one sample at temperature 0) and, from --eval-samples samples at \
            --temperature, majority vote and coverage. Runs and evaluations are ordinary runs in the store; \
            `quorum report DIR` prints the table again.
            """)

    @Option(help: "The training problems: a data set file or catalog name.")
    var dataset: String = "gsm8k:train"

    @Option(help: "Only the first P training problems.")
    var limit: Int?

    @Option(help: "The base model: a name (`quorum model list --known`) or a GGUF path.")
    var model: String = ModelCatalog.defaultModel.name

    @Option(name: .short, help: "Samples per training problem and iteration (the paper's 30).")
    var n: Int = 8

    @Option(help: "Sampling temperature of the training samples and of the evaluation's samples.")
    var temperature: Double = 0.8

    @Option(name: .customLong("max-tokens"), help: "Tokens to generate at most per sample.")
    var maxTokens: Int = SamplingParameters().maxTokens

    @Option(help: "Iterations.")
    var iterations: Int = 2

    @Option(help: "β: DPO's inverse temperature (the paper's 0.1).")
    var beta: Double = 0.1

    @Option(help: "α: weight of the winner's length-normalised NLL (the paper's 1; 0 is plain DPO).")
    var alpha: Double = 1

    @Option(help: "K: the most pairs a problem gives (the paper's 10).")
    var pairsPerProblem: Int = 10

    @Flag(help: "GSM8K: the data set's worked solution joins each problem's winners, as the paper does.")
    var goldAsWinner = false

    @Option(name: .customLong("eval"), help: "The held-out problems each model is evaluated on.")
    var evalDataset: String = "gsm8k"

    @Option(help: "Only the first E held-out problems.")
    var evalLimit: Int?

    @Option(help: "k: samples per held-out problem for majority vote and coverage (greedy pass@1 takes one more).")
    var evalSamples: Int = 8

    @Option(help: "The folder of the iterations' models, checkpoints and irpo.json.")
    var output: String

    @Option(help: "The run store (default: $QUORUM_HOME/runs.sqlite).")
    var store: String?

    @Option(help: "Seed of sampling, pairing and data order.")
    var seed: UInt64 = 0

    @Option(help: "Peak learning rate of each iteration's training.")
    var learningRate: Double = 1e-6

    @Option(help: "Passes over each iteration's pairs.")
    var epochs: Double = 1

    @Option(help: "Scored (completion) tokens per optimizer step.")
    var batchTokens: Int = 4096

    @Option(help: "Tokens per forward/backward pass; a pair's two sequences share one.")
    var microBatchTokens: Int = 2048

    @Option(help: "Weight type of the iterations' models: f32, f16 or q8_0. f32 by default: at IRPO's small learning rates an iteration moves the weights by about 1e-5 of their size, which f16 and q8_0 round away (training prints the share each type keeps).")
    var exportType: String = "f32"

    @Option(help: "Checkpoint every N steps.")
    var checkpointEvery: Int = 50

    @Option(help: "Worker threads (default: all processors).")
    var threads: Int?

    @Flag(help: "No progress lines.")
    var quiet = false

    func validate() throws {
        guard iterations >= 1 else { throw ValidationError("--iterations must be at least 1.") }
        guard n >= 2 else { throw ValidationError("-n must be at least 2: pairs need a correct and an incorrect sample.") }
        guard evalSamples >= 1 else { throw ValidationError("--eval-samples must be at least 1.") }
        guard temperature > 0 else { throw ValidationError("--temperature must be above 0: greedy samples of one prompt are all alike.") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1.") }
        if let evalLimit, evalLimit < 1 { throw ValidationError("--eval-limit must be at least 1.") }
        do { try IRPOObjective.Settings(beta: beta, alpha: alpha).validate() } catch { throw ValidationError(error.description) }
        do { _ = try ExportType.named(exportType) } catch { throw ValidationError("\(error)") }
        guard epochs > 0 else { throw ValidationError("--epochs must be positive.") }
    }

    func run() async throws {
        let folder = URL(fileURLWithPath: output)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let storePath = store ?? RunStore.defaultPath()
        var table = IRPOTable(settings: settingsDescription, iterations: [])
        printError("irpo: \(iterations) iteration(s) from \(model) on \(dataset)\(limit.map { " (first \($0))" } ?? ""), "
            + "\(n) samples per problem, K \(pairsPerProblem), β \(beta), α \(alpha); evaluated on \(evalDataset)"
            + "\(evalLimit.map { " (first \($0))" } ?? ""); in \(folder.path)")

        table.iterations.append(IRPOIteration(iteration: 0, model: model, evaluation: try await evaluate(model: model, store: storePath)))
        try table.write(to: folder)
        var current = model
        for t in 1...iterations {
            let next = folder.appendingPathComponent("iter-\(t).gguf").path
            let trainingFile = folder.appendingPathComponent("iter-\(t).training.json")
            var row = IRPOIteration(iteration: t, model: next)
            if !FileManager.default.fileExists(atPath: next) {
                // Sample and verify the training problems with the current model.
                var sampling = RunSpecification(dataset: dataset, model: current)
                sampling.limit = limit
                sampling.samplesPerProblem = n
                sampling.sampling = SamplingParameters(temperature: temperature, maxTokens: maxTokens)
                sampling.seed = seed
                sampling.threads = threads
                let run = try sampling.prepare()
                printError("iteration \(t): sampling run \(run.runID) (\(run.problems.count) problems × \(n))")
                let outcome = try await run.sample(store: try RunStore(path: storePath))
                printError("iteration \(t): \(outcome.produced) new samples (\(outcome.alreadyStored) already stored)")
                // Pair and train from the current model, which is also the reference.
                var arguments = ["--run", run.runID, "--store", storePath, "--pairs-per-problem", "\(pairsPerProblem)",
                                 "--beta", "\(beta)", "--alpha", "\(alpha)", "--model", current, "--output", next,
                                 "--export-type", exportType, "--epochs", "\(epochs)", "--learning-rate", "\(learningRate)",
                                 "--batch-tokens", "\(batchTokens)", "--micro-batch-tokens", "\(microBatchTokens)",
                                 "--seed", "\(seed &+ UInt64(t))", "--checkpoint-every", "\(checkpointEvery)"]
                if goldAsWinner { arguments.append("--gold-as-winner") }
                if let threads { arguments += ["--threads", "\(threads)"] }
                if quiet { arguments.append("--quiet") }
                let training = try PreferenceTrainCommand.parse(arguments).train()
                let summary = IRPOTraining(samplingRunID: run.runID, pairs: training.pairs, history: training.history)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                try encoder.encode(summary).write(to: trainingFile, options: .atomic)
            }
            row.training = try? JSONDecoder().decode(IRPOTraining.self, from: Data(contentsOf: trainingFile))
            if row.training == nil {
                printError("iteration \(t): \(next) exists but its training record \(trainingFile.lastPathComponent) does not; its figures are left out")
            }
            row.evaluation = try await evaluate(model: next, store: storePath)
            table.iterations.append(row)
            try table.write(to: folder)
            current = next
        }
        print(table.render())
        print("\nTable: \(folder.appendingPathComponent("irpo.json").path)")
    }

    /// Greedy pass@1, and majority vote and coverage at k = --eval-samples, of `model` on the
    /// held-out set: two ordinary runs (resumed when stored).
    func evaluate(model: String, store: String) async throws -> IRPOEvaluation {
        let runStore = try RunStore(path: store)
        var greedy = RunSpecification(dataset: evalDataset, model: model)
        greedy.limit = evalLimit
        greedy.samplesPerProblem = 1
        greedy.sampling = SamplingParameters(temperature: 0, maxTokens: maxTokens)
        greedy.threads = threads
        let greedyRun = try greedy.prepare()
        _ = try await greedyRun.sample(store: runStore)
        let greedyReport = try greedyRun.report(store: runStore)

        var sampled = greedy
        sampled.samplesPerProblem = evalSamples
        sampled.sampling = SamplingParameters(temperature: temperature, maxTokens: maxTokens)
        sampled.seed = seed
        let sampledRun = try sampled.prepare()
        _ = try await sampledRun.sample(store: runStore)
        let sampledReport = try sampledRun.report(store: runStore)
        func point(_ report: RunReport, _ kind: CurveKind, k: Int) -> IRPOEvaluation.Figure? {
            guard let curve = report.curves.first(where: { $0.kind == kind }),
                  let p = curve.points.first(where: { $0.k == k }) else { return nil }
            return IRPOEvaluation.Figure(value: p.value, lower: p.lower, upper: p.upper)
        }
        let evaluation = IRPOEvaluation(
            greedyRunID: greedyRun.runID, sampledRunID: sampledRun.runID, problems: greedyRun.problems.count, k: evalSamples,
            greedyPassAt1: point(greedyReport, .coverage, k: 1), majorityAtK: point(sampledReport, .majority, k: evalSamples),
            coverageAtK: point(sampledReport, .coverage, k: evalSamples),
            generatedTokens: (greedyReport.cost.completionTokens ?? 0) + (sampledReport.cost.completionTokens ?? 0))
        printError("evaluated \(model): greedy pass@1 \(evaluation.greedyPassAt1?.text ?? "-"), maj@\(evalSamples) "
            + "\(evaluation.majorityAtK?.text ?? "-"), coverage@\(evalSamples) \(evaluation.coverageAtK?.text ?? "-")")
        return evaluation
    }

    var settingsDescription: String {
        "base \(model); train \(dataset)\(limit.map { "[:\($0)]" } ?? ""), n \(n), T \(temperature), K \(pairsPerProblem)"
            + "\(goldAsWinner ? ", gold as winner" : ""); β \(beta), α \(alpha), lr \(learningRate), \(epochs) epoch(s), "
            + "\(exportType); eval \(evalDataset)\(evalLimit.map { "[:\($0)]" } ?? ""), k \(evalSamples); seed \(seed)"
    }
}

/// The IRPO table, `DIR/irpo.json`: one row per iteration (0 is the base model).
struct IRPOTable: Codable {
    var settings: String
    var iterations: [IRPOIteration]

    func write(to folder: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: folder.appendingPathComponent("irpo.json"), options: .atomic)
    }

    /// The terminal table: held-out accuracy, pairs, the chosen and rejected log-probabilities
    /// at the first and last step (the paper's Fig. 3), and the compute each iteration took.
    func render() -> String {
        var rows = [["iter", "greedy pass@1", "maj@k", "coverage@k", "pairs", "loss", "chosen lp first→last",
                     "rejected lp first→last", "tokens trained", "train s"]]
        for row in iterations {
            let e = row.evaluation
            let h = row.training?.history ?? []
            func change(_ key: KeyPath<PreferenceStepFigures, Double>) -> String {
                guard let first = h.first?.preference, let last = h.last?.preference else { return "-" }
                return String(format: "%.1f→%.1f", first[keyPath: key], last[keyPath: key])
            }
            rows.append(["\(row.iteration)", e?.greedyPassAt1?.text ?? "-", e?.majorityAtK?.text ?? "-", e?.coverageAtK?.text ?? "-",
                         row.training.map { "\($0.pairs)" } ?? "-", h.last.map { String(format: "%.4f", $0.loss) } ?? "-",
                         change(\.chosenLogprob), change(\.rejectedLogprob),
                         h.isEmpty ? "-" : "\(h.reduce(0) { $0 + $1.tokens })",
                         h.isEmpty ? "-" : String(format: "%.0f", h.reduce(0) { $0 + $1.seconds })])
        }
        return "IRPO: \(settings)\n" + formatTable(rows)
    }
}

struct IRPOIteration: Codable {
    var iteration: Int
    var model: String
    var training: IRPOTraining?
    var evaluation: IRPOEvaluation?
}

/// What an iteration's training did (kept beside its model, so a resumed command reports it).
struct IRPOTraining: Codable {
    var samplingRunID: String
    var pairs: Int
    var history: [StepReport]
}

struct IRPOEvaluation: Codable {
    struct Figure: Codable {
        var value: Double
        var lower: Double?
        var upper: Double?
        var text: String {
            String(format: "%.3f", value) + (lower.flatMap { l in upper.map { String(format: " [%.3f, %.3f]", l, $0) } } ?? "")
        }
    }
    var greedyRunID: String
    var sampledRunID: String
    var problems: Int
    var k: Int
    var greedyPassAt1: Figure?
    var majorityAtK: Figure?
    var coverageAtK: Figure?
    var generatedTokens: Int
}
