import ArgumentParser
import Datasets
import Experiments
import Foundation
import Metrics
import ScalingCore
import Verifiers

/// `quorum verify`: grade samples produced by any system and write verdicts.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Grade samples from any system (JSONL of problem id and completion) against a data set; write verdicts.",
        discussion: """
            SAMPLES is JSONL with a problem id (task_id, problem_id or id) and a completion (completion, solution or output) \
            per line, as human-eval and EvalPlus write them. Results go to SAMPLES_results.jsonl (every input field plus \
            outcome, passed, extracted, detail); a summary with pass@k goes to the terminal.
            """)

    @Option(help: "The data set the samples answer (a file or a catalog name).")
    var dataset: String

    @Option(help: "The samples file (JSONL).")
    var samples: String

    @Option(help: "math, python-tests or exact. Default: python-tests when the data set has tests, else math.",
            transform: { try VerifierKind(parsing: $0) })
    var verifier: VerifierKind?

    @Option(name: .shortAndLong, help: "Where to write the verdicts (default: SAMPLES_results.jsonl).")
    var output: String?

    @Option(help: "Samples checked at once.")
    var workers: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Skip invalid records of the data set (they are counted and named) instead of stopping at the first.")
    var skipInvalid = false

    func validate() throws {
        // Each worker may run a sandboxed program: a few per processor at most.
        let maximum = 4 * ProcessInfo.processInfo.activeProcessorCount
        guard (1...maximum).contains(workers) else {
            throw ValidationError("--workers \(workers) is out of range: give 1 to \(maximum) (4 × the \(maximum / 4) processors).")
        }
    }

    func run() async throws {
        let loaded = try DatasetCatalog.load(dataset, skipInvalid: skipInvalid)
        if !loaded.skipped.isEmpty {
            printError("skipped \(loaded.skipped.count) invalid record\(loaded.skipped.count == 1 ? "" : "s") of \(dataset); the first: \(loaded.skipped[0].message)")
        }
        let problems = loaded.problems
        let input = try SampleGrading.readSamples(path: samples)
        let kind = verifier ?? VerifierKind.default(for: problems)
        let check = try kind.makeVerifier()
        let graded = try await SampleGrading.grade(input, problems: problems, verifier: check, concurrency: workers)
        let destination = output ?? (samples.hasSuffix(".jsonl") ? String(samples.dropLast(6)) : samples) + "_results.jsonl"
        let text = graded.map(SampleGrading.resultLine).joined(separator: "\n") + "\n"
        try text.write(toFile: destination, atomically: true, encoding: .utf8)

        var outcomes: [Verdict.Outcome: Int] = [:]
        for g in graded { outcomes[g.verdict.outcome, default: 0] += 1 }
        print("\(graded.count) samples, verifier \(kind): " + Verdict.Outcome.allCases.compactMap { o in
            outcomes[o].map { "\($0) \(o.rawValue)" }
        }.joined(separator: ", "))
        var perProblem: [String: (n: Int, c: Int)] = [:]
        for g in graded {
            perProblem[g.sample.problemID, default: (0, 0)].n += 1
            if g.verdict.isCorrect { perProblem[g.sample.problemID, default: (0, 0)].c += 1 }
        }
        let counts = perProblem.values.map { SampleCounts(samples: $0.n, correct: $0.c) }
        let minN = counts.map(\.samples).min() ?? 0
        let ks = [1, 10, 100].filter { $0 <= minN }
        let passAtK = try ks.map { k in "pass@\(k) \(String(format: "%.4f", try PassAtK.mean(counts, k: k)))" }
        print("\(perProblem.count) problems, \(minN == counts.map(\.samples).max() ? "\(minN)" : "\(minN)+") samples each: \(passAtK.joined(separator: ", "))")
        print("Verdicts: \(destination)")
    }
}
