import Aggregation
import Datasets
import Engine
import Experiments
import Foundation
import Report
import RunStore
import ScalingCore
import TestSupport
import Testing
import Verifiers

/// Majority vote over code, end to end: the default model samples real HumanEval and MBPP
/// problems, Quorum groups the programs by their outputs on the examples the prompt shows,
/// and `scripts/program_behaviour_reference.py` (plain python3, outside Quorum's grouping)
/// runs every program on those examples again. The tests check that the two partitions into
/// classes are identical and that the reported maj@k follows from the reference classes and
/// the verifier's verdicts. They check the plumbing, not the skill of a 135M model.
@Suite(.serialized)
struct CodeVoteTests {
    /// HumanEval's examples are the prompt's `>>>` lines. The default model solves none of these
    /// problems at 96 tokens, so here the partition is the point; the MBPP test checks a maj@k above 0.
    @Test func humanEvalVotesGroupProgramsAsAnIndependentRunOfTheExamplesDoes() async throws {
        let modelPath = try TestPaths.defaultModel().path
        let provider = try EmbeddedCompletionProvider(path: modelPath, modelName: "smollm2-135m-instruct", maxSamples: 4)
        let problems = Array(try Dataset.load(path: TestPaths.sharedDataFile("humaneval/HumanEval.jsonl.gz").path).problems.prefix(3))
        let store = try RunStore(path: FileManager.default.temporaryDirectory
            .appendingPathComponent("quorum-code-vote-\(UUID().uuidString).sqlite").path)
        let template = PromptTemplate.humanEvalCompletion
        let configuration = RunConfiguration(
            dataset: "humaneval-slice", datasetSHA256: "-", model: provider.modelName, modelSHA256: nil, backend: "embedded",
            promptTemplate: template.name, promptTemplateSHA256: template.sha256,
            sampling: SamplingParameters(temperature: 0.8, maxTokens: 96, logprobs: 0), seed: 3, verifier: .pythonTests)
        let sandbox = try Sandbox()
        let verifier = PythonTestsVerifier(sandbox: sandbox)
        let run = try await SamplingRun(configuration: configuration, problems: problems, samplesPerProblem: 4, template: template,
                                        samplesPerRequest: 4).run(store: store, provider: provider, verifier: verifier)
        #expect(run.produced == 12)

        let evaluation = StrategyEvaluation(specifications: [try StrategySpec(parsing: "self-consistency")])
        let outcome = try await evaluation.run(runID: run.runID, store: store, problems: problems, template: template,
                                               provider: provider, verifier: verifier, programBehaviour: ProgramBehaviour(sandbox: sandbox))
        #expect(outcome.newCalls == 0)   // a vote needs no calls beyond the samples
        let report = try RunAnalysis(bootstrapResamples: 50).report(runID: run.runID, store: store)
        let curve = try #require(report.curves.first { $0.name == "self-consistency" })
        #expect(report.notes.contains { $0.contains("group programs by their outputs on the examples") })
        try CodeVoteReference.check(runID: run.runID, store: store, problems: problems, curve: curve)
    }

    @Test func quorumRunOnMBPPWithAMajorityVoteDrawsItsCurveInTheReport() throws {
        _ = try TestPaths.defaultModel()   // a missing model fails here, with how to install it
        let quorum = try TestPaths.quorumBinary()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-code-vote-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // Three MBPP problems the default model sometimes solves at these settings (a temporary
        // copy of their lines of the shared data set), so maj@k is not zero everywhere.
        let mbppFile = try TestPaths.sharedDataFile("mbpp/mbpp.jsonl")
        let chosen: Set<Int> = [8, 22, 52]
        let lines = try String(contentsOf: mbppFile, encoding: .utf8).split(separator: "\n").filter { line in
            guard let record = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let id = record["task_id"] as? Int else { return false }
            return chosen.contains(id)
        }
        #expect(lines.count == 3)
        let subset = folder.appendingPathComponent("mbpp-subset.jsonl")
        try (lines.joined(separator: "\n") + "\n").write(to: subset, atomically: true, encoding: .utf8)

        let storePath = folder.appendingPathComponent("runs.sqlite").path
        // `majority` is an alias of self-consistency; the run's verifier runs the MBPP asserts.
        let run = try Shell.run([quorum, "run", "--dataset", subset.path, "-n", "8", "--max-tokens", "128", "--temperature", "0.8",
                                 "--seed", "5", "--store", storePath, "--quiet", "--strategy", "majority"])
        #expect(run.status == 0, "\(run.standardError.suffix(3000))")
        let store = try RunStore(path: storePath)
        let runID = try #require(try store.runIDs().first)
        let configuration = try store.configuration(ofRun: runID)
        #expect(configuration.verifier == .pythonTests && configuration.promptTemplate == PromptTemplate.mbppChat.name)
        #expect(try store.strategyEvaluations(runID: runID).map(\.strategy) == ["self-consistency"])

        let reportFolder = folder.appendingPathComponent("report")
        let report = try Shell.run([quorum, "report", runID, "--store", storePath, "-o", reportFolder.path, "--bootstrap", "50"])
        #expect(report.status == 0, "\(report.standardError.suffix(3000))")
        #expect(report.text.contains("self-consistency"))
        let written = try ReportTables.decode(Data(contentsOf: reportFolder.appendingPathComponent("report.json")))
        let runReport = try #require(written.runs.first)
        let curve = try #require(runReport.curves.first { $0.name == "self-consistency" })
        #expect(curve.points.map(\.k) == Array(1...8))
        #expect(curve.points.contains { $0.value > 0 }, "no sample passed, so the maj@k check below is vacuous; choose problems the default model solves sometimes")

        let problems = try Dataset.load(path: subset.path).problems
        #expect(Set(problems.map(\.id)) == Set(try store.samples(runID: runID).map(\.problemID)))
        try CodeVoteReference.check(runID: runID, store: store, problems: problems, curve: curve)
    }
}

/// Runs the reference script on a run's stored samples and compares it with Quorum's classes
/// and maj@k curve.
enum CodeVoteReference {
    struct Output: Decodable {
        struct ProblemResult: Decodable {
            var id: String
            var examples: [String]
            var behaviours: [[String]?]
            var classes: [[Int]]
            var abstained: [Int]
        }
        var problems: [ProblemResult]
    }

    static func check(runID: String, store: RunStore, problems: [Problem], curve: Curve) throws {
        var samples: [String: [SampleRecord]] = [:]
        for record in try store.samples(runID: runID) { samples[record.problemID, default: []].append(record) }
        for id in samples.keys { samples[id]!.sort { $0.sampleIndex < $1.sampleIndex } }

        // The programs, composed as the verifier composes them (extracted code, prefix, setup), without the tests.
        var input: [[String: Any]] = []
        for problem in problems {
            let tests = try #require(problem.reference.tests)
            var definition = tests
            definition.tests = ""
            let programs = samples[problem.id, default: []].map { sample in
                PythonTestsVerifier.program(code: CodeExtraction.python(from: sample.completion.text, entryPoint: tests.entryPoint).code,
                                            tests: definition)
            }
            let promptText: String
            switch problem.prompt {
            case .text(let text): promptText = text
            case .messages(let messages): promptText = messages.map(\.content).joined(separator: "\n")
            }
            input.append(["id": problem.id, "prompt": promptText, "test_cases": tests.testCases, "programs": programs])
        }
        let inputFile = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-behaviour-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: ["problems": input]).write(to: inputFile)
        let script = TestPaths.packageRoot.appendingPathComponent("scripts/program_behaviour_reference.py").path
        let output = try Shell.run(["python3", script, inputFile.path])
        guard output.status == 0 else { throw TestSupportError("\(script) failed: \(output.standardError.suffix(2000))") }
        let reference = try JSONDecoder().decode(Output.self, from: output.standardOutput)

        // Quorum's classes: the behaviour key stored per sample; equal keys share a class.
        var keys: [String: [Int: String?]] = [:]
        for row in try store.strategyOutcomes(runID: runID, strategy: StrategyEvaluation.programBehaviourKey) {
            keys[row.problemID, default: [:]][row.draw] = .some(row.answer)
        }
        var voters = 0
        var expected = [Double](repeating: 0, count: curve.points.count)
        for (problem, result) in zip(problems, reference.problems) {
            #expect(result.id == problem.id)
            #expect(!result.examples.isEmpty, "problem \(problem.id) shows no examples")
            #expect(ProgramBehaviour.examples(for: problem) == result.examples)
            let records = samples[problem.id, default: []]
            let stored = keys[problem.id, default: [:]]
            #expect(stored.count == records.count, "every sample of \(problem.id) has a stored behaviour row")
            var classes: [[Int]] = []
            var classKeys: [String] = []
            var abstained: [Int] = []
            for (position, record) in records.enumerated() {
                guard let key = stored[record.sampleIndex] ?? nil else { abstained.append(position); continue }
                if let c = classKeys.firstIndex(of: key) { classes[c].append(position) } else {
                    classKeys.append(key)
                    classes.append([position])
                }
            }
            #expect(classes == result.classes, "problem \(problem.id): Quorum's classes \(classes), the reference's \(result.classes); behaviours \(result.behaviours)")
            #expect(abstained == result.abstained, "problem \(problem.id)")
            voters += records.count - result.abstained.count

            // maj@k from the reference classes and the verifier's verdicts: over every k-subset, the
            // top class wins; tied top classes share the win equally; a class is as right as the
            // share of its members in the subset that the verifier passed; no voter, no answer.
            let correct = records.map(\.verdict.isCorrect)
            var classOf = [Int?](repeating: nil, count: records.count)
            for (c, members) in result.classes.enumerated() { for m in members { classOf[m] = c } }
            for (i, point) in curve.points.enumerated() {
                let subsets = combinations(records.count, point.k)
                var total = 0.0
                for subset in subsets {
                    var members: [Int: [Int]] = [:]
                    for m in subset { if let c = classOf[m] { members[c, default: []].append(m) } }
                    guard let top = members.values.map(\.count).max() else { continue }
                    let tied = members.values.filter { $0.count == top }
                    total += tied.reduce(0.0) { $0 + Double($1.filter { correct[$0] }.count) / Double($1.count) } / Double(tied.count)
                }
                expected[i] += total / Double(subsets.count) / Double(problems.count)
            }
        }
        // Not vacuous: some programs ran on the examples and voted.
        #expect(voters > 0, "no sample had a behaviour; the partition check compared only abstentions")
        for (i, point) in curve.points.enumerated() {
            #expect(abs(point.value - expected[i]) < 1e-9, "maj@\(point.k): reported \(point.value), reference \(expected[i])")
        }
    }

    /// Every k-subset of 0..<n, in lexicographic order.
    static func combinations(_ n: Int, _ k: Int) -> [[Int]] {
        guard k > 0 else { return [[]] }
        guard k <= n else { return [] }
        var result: [[Int]] = []
        func extend(_ prefix: [Int], from start: Int) {
            if prefix.count == k { result.append(prefix); return }
            for i in start..<n where n - i >= k - prefix.count { extend(prefix + [i], from: i + 1) }
        }
        extend([], from: 0)
        return result
    }
}
