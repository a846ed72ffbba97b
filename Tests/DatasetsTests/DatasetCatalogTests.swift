import Datasets
import Foundation
import Testing

/// Catalog names resolve to the standard files under a data root, and say what was
/// looked for when they do not.
@Suite struct DatasetCatalogTests {
    @Test func namesResolveToTheStandardLayout() throws {
        let root = try DatasetTestFiles.requireDataRoot()
        let cases = [
            ("gsm8k", "gsm8k/test.jsonl"), ("gsm8k:train", "gsm8k/train.jsonl"),
            ("math500", "math500/test.jsonl"), ("humaneval", "humaneval/HumanEval.jsonl.gz"),
            ("mbpp", "mbpp/mbpp.jsonl"), ("mbpp:sanitized", "mbpp/sanitized-mbpp.json"),
            ("arc-challenge", "arc-challenge/ARC-Challenge-Test.jsonl"),
            ("ARC:dev", "arc-challenge/ARC-Challenge-Dev.jsonl"),
        ]
        for (name, relative) in cases {
            let resolved = try DatasetCatalog.resolve(name, root: root)
            #expect(resolved.path == (root as NSString).appendingPathComponent(relative), "\(name)")
        }
    }

    @Test func unknownNameListsTheKnownOnes() throws {
        do {
            _ = try DatasetCatalog.load("gsm9k", root: "/tmp")
            Issue.record("expected an error")
        } catch {
            guard case .unknownDataset(name: "gsm9k", let reason) = error else { Issue.record("wrong case: \(error)"); return }
            #expect(reason.contains("gsm8k:train") && reason.contains("mbpp:sanitized"))
            #expect(error.hint.contains("QUORUM_DATA"))
        }
    }

    @Test func missingFileUnderRootNamesWhatWasLookedFor() throws {
        let root = NSTemporaryDirectory() + "quorum-empty-data-root"
        #expect(throws: DatasetError.unknownDataset(name: "humaneval", reason: "looked for \(root)/humaneval/HumanEval.jsonl.gz, which does not exist")) {
            try DatasetCatalog.load("humaneval", root: root)
        }
    }

    @Test func pathLikeMissingInputIsAMissingFile() throws {
        #expect(throws: DatasetError.fileNotFound(path: "data/mine.jsonl")) {
            try DatasetCatalog.load("data/mine.jsonl", root: "/tmp")
        }
    }
}
