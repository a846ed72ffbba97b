import Foundation
import GGUF
import TestSupport
import Testing

/// Damaged and foreign files: every one gets an error that names the problem and the
/// byte offset, never a crash.
struct GGUFCorruptionTests {
    static func fixture() throws -> [UInt8] {
        try Array(Data(contentsOf: TestPaths.fixtures.appendingPathComponent("gguf/all_types.gguf")))
    }

    static func parse(_ bytes: [UInt8]) throws(GGUFError) -> GGUFFile {
        let mapping: MappedFile
        do { mapping = try MappedFile.write(bytes) } catch { fatalError("cannot write temp file: \(error)") }
        return try GGUFFile(mapping: mapping)
    }

    static func error(_ bytes: [UInt8]) -> GGUFError? {
        do {
            _ = try parse(bytes)
            return nil
        } catch {
            return error
        }
    }

    @Test func everyTruncationIsReportedAsTruncated() throws {
        let bytes = try Self.fixture()
        // Cut the file at every length short of the end of the last tensor's data.
        let lastTensorEnd = try Self.parse(bytes).tensors.map { $0.fileOffset + $0.byteCount }.max()!
        for length in 0..<lastTensorEnd {
            let e = Self.error(Array(bytes.prefix(length)))
            switch e {
            case .truncated(_, let section, let offset, let needed, let size)?:
                #expect(size == length)
                #expect(needed > 0)
                // Header errors point inside the file; a tensor's data may start past its end.
                #expect(offset <= length || section.hasPrefix("the data of tensor"), "length \(length): \(section) at \(offset)")
            case .notGGUF? where length < 4:
                break
            default:
                Issue.record("length \(length): expected a truncation error, got \(String(describing: e))")
            }
        }
    }

    @Test func truncationMessageNamesSectionOffsetAndFix() throws {
        let bytes = try Self.fixture()
        let e = Self.error(Array(bytes.prefix(30)))
        let text = e?.description ?? ""
        #expect(text.contains("truncated in"))
        #expect(text.contains("at byte"))
        #expect(text.contains("Re-download"))
    }

    @Test func badMagicIsNotGGUF() throws {
        var bytes = try Self.fixture()
        bytes[0] = UInt8(ascii: "X")
        let text = Self.error(bytes)?.description ?? ""
        #expect(text.contains("is not a GGUF file"))
        #expect(text.contains("58 47 55 46"))
    }

    @Test func unsupportedVersionsAreNamed() throws {
        for version: UInt8 in [1, 4, 0] {
            var bytes = try Self.fixture()
            bytes[4] = version
            #expect(Self.error(bytes)?.description.contains("is GGUF version \(version); Quorum reads versions 2 and 3") == true)
        }
    }

    @Test func bigEndianFileIsRecognised() throws {
        var bytes = try Self.fixture()
        bytes[4...7] = [0, 0, 0, 3]
        let e = Self.error(bytes)
        guard case .bigEndian? = e else {
            Issue.record("expected a big-endian error, got \(String(describing: e))")
            return
        }
        #expect(e?.description.contains("big-endian GGUF file") == true)
    }

    @Test func unknownValueTypeNamesKeyAndOffset() throws {
        var writer = GGUFWriter()
        writer.add("a.key", .uint32(7))
        var bytes = writer.serialize()
        // Header is 24 bytes; the key string is 8 + 5 bytes; then the value type.
        let typeOffset = 24 + 8 + 5
        bytes[typeOffset] = 99
        let e = Self.error(bytes)
        #expect(e == .unknownValueType(path: Self.anyPath(e), key: "a.key", offset: typeOffset, rawType: 99))
        #expect(e?.description.contains("'a.key' at byte \(typeOffset) has unknown value type 99") == true)
    }

    static func anyPath(_ e: GGUFError?) -> String {
        switch e {
        case .unknownValueType(let p, _, _, _)?, .unknownTensorType(let p, _, _, _)?: p
        default: ""
        }
    }

    @Test func unknownTensorTypeNamesTensorAndKnownTypes() throws {
        var writer = GGUFWriter()
        writer.addTensor(name: "w", shape: [4], floats: [1, 2, 3, 4])
        var bytes = writer.serialize()
        // Tensor info: name (8 + 1), n_dims (4), one dim (8), then the type.
        let typeOffset = 24 + 8 + 1 + 4 + 8
        bytes[typeOffset] = 4   // a retired ggml type id
        let e = Self.error(bytes)
        #expect(e == .unknownTensorType(path: Self.anyPath(e), tensor: "w", offset: typeOffset, rawType: 4))
        #expect(e?.description.contains("q4_K") == true)
    }

    @Test func tensorDataBeyondTheFileIsTruncation() throws {
        var writer = GGUFWriter()
        writer.addTensor(name: "w", shape: [64], floats: Array(repeating: 1, count: 64))
        let bytes = writer.serialize()
        let e = Self.error(Array(bytes.dropLast(8)))
        #expect(e?.description.contains("the data of tensor 'w'") == true)
    }

    @Test func shapeThatIsNotWholeBlocksIsInvalid() throws {
        var writer = GGUFWriter()
        writer.addTensor(name: "q", shape: [32], type: .q8_0, data: Array(repeating: 0, count: 34))
        var bytes = writer.serialize()
        bytes[24 + 8 + 1 + 4] = 33   // dimension 32 -> 33: not a multiple of the block size
        #expect(Self.error(bytes)?.description.contains("is not a whole number of q8_0 blocks") == true)
    }

    @Test func absurdCountsFailFastWithoutAllocating() throws {
        var bytes = try Self.fixture()
        // metadata count = 2^60
        bytes[16..<24] = [0, 0, 0, 0, 0, 0, 0, 0x10]
        #expect(Self.error(bytes)?.description.contains("truncated in the metadata count") == true)
    }

    @Test func missingFileSaysSoAndHowToFix() {
        #expect(throws: GGUFError.self) { try GGUFFile(path: "/nonexistent/model.gguf") }
        do {
            _ = try GGUFFile(path: "/nonexistent/model.gguf")
        } catch {
            #expect(error.description.contains("No such file"))
            #expect(error.description.contains("quorum model pull"))
        }
    }

    @Test func randomByteFlipsNeverCrash() throws {
        let original = try Self.fixture()
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                bytes[Int.random(in: 0..<min(bytes.count, 800), using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            _ = Self.error(bytes)   // any outcome but a crash is fine
        }
    }
}
