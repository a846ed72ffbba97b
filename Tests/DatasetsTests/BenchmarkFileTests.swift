import Datasets
import Foundation
import ScalingCore
import TestSupport
import Testing

/// Every file in shared/data loads with the record counts its README states, and
/// maps into the same Problem fields as an independent Python implementation.
@Suite struct BenchmarkFileTests {
    /// Counts from shared/data/README.md.
    static let expected: [(name: String, count: Int, format: DatasetFormat, container: DatasetContainer)] = [
        ("gsm8k:test", 1_319, .gsm8k, .jsonLines),
        ("gsm8k:train", 7_473, .gsm8k, .jsonLines),
        ("math500:test", 500, .math, .jsonLines),
        ("humaneval:test", 164, .humaneval, .jsonLines),
        ("mbpp:full", 974, .mbpp, .jsonLines),
        ("mbpp:sanitized", 427, .mbppSanitized, .jsonArray),
        ("arc-challenge:test", 1_172, .arc, .jsonLines),
        ("arc-challenge:train", 1_119, .arc, .jsonLines),
        ("arc-challenge:dev", 299, .arc, .jsonLines),
    ]

    @Test(arguments: expected.map(\.name))
    func loadsWithTheReadmeCount(name: String) throws {
        let root = try DatasetTestFiles.requireDataRoot()
        let expectation = try #require(Self.expected.first { $0.name == name })
        let entry = try #require(DatasetCatalog.entry(named: name))
        let path = (root as NSString).appendingPathComponent(entry.relativePath)
        // Load by path with detection, so the catalog's format is not what decides.
        let dataset = try Dataset.load(path: path)
        #expect(dataset.problems.count == expectation.count)
        #expect(dataset.format == expectation.format)
        #expect(dataset.container == expectation.container)
        #expect(dataset.compressed == path.hasSuffix(".gz"))
        #expect(dataset.skipped.isEmpty)
        #expect(Set(dataset.problems.map(\.id)).count == expectation.count, "ids must be unique")
    }

    /// The Python reference's output, one array of records per catalog name.
    struct ReferenceRecord: Decodable {
        var id: String
        var prompt: String
        var answer: String?
        var tests: String?
        var setup: String
        var test_cases: [String]
        var solution_prefix: String
        var entry_point: String?
    }

    static func pythonReference(root: String) throws -> [String: [ReferenceRecord]] {
        let result = try Shell.run(["python3", DatasetTestFiles.fixture("reference_mapping.py"), root])
        try #require(result.status == 0, "reference_mapping.py failed; python3 3.11+ is needed: \(result.standardError)")
        return try JSONDecoder().decode([String: [ReferenceRecord]].self, from: result.standardOutput)
    }

    @Test func everyRecordMatchesThePythonReference() throws {
        let root = try DatasetTestFiles.requireDataRoot()
        let reference = try Self.pythonReference(root: root)
        #expect(reference.keys.sorted() == Self.expected.map(\.name).sorted())
        for (name, records) in reference {
            let problems = try DatasetCatalog.load(name, root: root).problems
            try #require(problems.count == records.count, "\(name): count")
            var mismatches: [String] = []
            for (problem, expected) in zip(problems, records) {
                let tests = problem.reference.tests
                let prompt: String? = if case .text(let text) = problem.prompt { text } else { nil }
                let same = problem.id == expected.id
                    && prompt == expected.prompt
                    && problem.reference.answer == expected.answer
                    && tests?.tests == expected.tests
                    && (tests?.setup ?? "") == expected.setup
                    && (tests?.testCases ?? []) == expected.test_cases
                    && (tests?.solutionPrefix ?? "") == expected.solution_prefix
                    && tests?.entryPoint == expected.entry_point
                if !same { mismatches.append(expected.id) }
            }
            #expect(mismatches.isEmpty, "\(name): \(mismatches.count) records differ, first \(mismatches.prefix(3))")
        }
    }

    /// Values stated in shared/data/README.md, checked directly.
    @Test func readmeExamples() throws {
        let root = try DatasetTestFiles.requireDataRoot()
        let gsm8k = try DatasetCatalog.load("gsm8k", root: root)
        #expect(gsm8k.problems[0].reference.answer == "18")   // "#### 18" in the README
        #expect(gsm8k.problems[0].metadata["solution"]?.stringValue?.hasSuffix("every day at the farmer\u{2019}s market.") == true)
        let math = try DatasetCatalog.load("math500", root: root)
        let precalculus = try #require(math.problems.first { $0.id == "test/precalculus/807.json" })
        #expect(precalculus.metadata["level"]?.numberValue.map { (1...5).contains($0) } == true)
        #expect(math.problems.allSatisfy { ($0.metadata["level"]?.numberValue).map { (1...5).contains($0) } == true })
        // ARC: answerKey is always one of the row's own labels; some rows use 1-4 or have 3 or 5 choices.
        let arc = try DatasetCatalog.load("arc-challenge", root: root)
        let choiceCounts = Set(arc.problems.compactMap { $0.metadata["choices"]?.arrayValue?.count })
        #expect(choiceCounts.isSuperset(of: [4]) && choiceCounts.count > 1)
        #expect(arc.problems.contains { $0.reference.answer == "1" })
    }

    /// MBPP full's test_setup_code is rare but real; it must land in `setup`.
    @Test func mbppSetupAndSplits() throws {
        let root = try DatasetTestFiles.requireDataRoot()
        let mbpp = try DatasetCatalog.load("mbpp", root: root)
        #expect(mbpp.problems.filter { !($0.reference.tests?.setup.isEmpty ?? true) }.count == 2)
        let splits = Dictionary(grouping: mbpp.problems) { $0.metadata["split"]?.stringValue ?? "none" }.mapValues(\.count)
        #expect(splits == ["prompt": 10, "test": 500, "validation": 90, "train": 374])
        let sanitized = try DatasetCatalog.load("mbpp:sanitized", root: root)
        #expect(sanitized.problems.allSatisfy { $0.id.hasPrefix("mbpp/") })
    }
}
