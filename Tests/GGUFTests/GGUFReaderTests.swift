import Foundation
import GGUF
import TensorCore
import TestSupport
import Testing

/// The reader against gguf-py (llama.cpp's own Python reader), which wrote and read
/// the fixtures in Tests/Fixtures/gguf (scripts/make_gguf_fixtures.py).
struct GGUFReaderTests {
    struct Expected: Decodable {
        struct Entry: Decodable {
            let key: String
            let types: [String]
            let value: JSONScalar?
            let count: Int?
            let head: [JSONScalar]?
            let tail: [JSONScalar]?
        }
        struct Tensor: Decodable {
            let name: String
            let type: UInt32
            let shape: [Int]
            let offset: Int
            let bytes: Int
        }
        let metadata: [Entry]
        let tensors: [Tensor]
        let sha256: String?
        let file_size: Int?
    }

    /// A JSON scalar as gguf-py's `contents()` writes it.
    enum JSONScalar: Decodable, Equatable {
        case int(Int), uint(UInt64), double(Double), bool(Bool), string(String)
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let b = try? c.decode(Bool.self) { self = .bool(b) }
            else if let i = try? c.decode(Int.self) { self = .int(i) }
            else if let u = try? c.decode(UInt64.self) { self = .uint(u) }
            else if let d = try? c.decode(Double.self) { self = .double(d) }
            else { self = .string(try c.decode(String.self)) }
        }
    }

    static func load(_ name: String) throws -> Expected {
        let data = try Data(contentsOf: TestPaths.fixtures.appendingPathComponent("gguf/\(name)"))
        return try JSONDecoder().decode(Expected.self, from: data)
    }

    /// Compares one of our values with gguf-py's JSON rendering of it.
    static func matches(_ value: GGUFValue, _ json: JSONScalar) -> Bool {
        switch (value, json) {
        case (.string(let s), .string(let t)): s == t
        case (.bool(let b), .bool(let c)): b == c
        case (.float32(let f), .double(let d)): Double(f) == d || (f == Float(d))
        case (.float32(let f), .int(let i)): Double(f) == Double(i)
        case (.float64(let f), .double(let d)): f == d
        case (.float64(let f), .int(let i)): f == Double(i)
        case (.uint64(let u), .uint(let v)): u == v
        case (_, .int(let i)): value.intValue == i
        default: false
        }
    }

    static func flatten(_ values: [GGUFValue]) -> [GGUFValue] {
        values.flatMap { v -> [GGUFValue] in
            if case .array(_, let inner) = v { return flatten(inner) }
            return [v]
        }
    }

    static func check(_ file: GGUFFile, against expected: Expected) {
        #expect(file.metadata.count == expected.metadata.count)
        for entry in expected.metadata {
            guard let value = file[entry.key] else {
                Issue.record("missing key \(entry.key)")
                continue
            }
            #expect(value.type.description.uppercased() == entry.types[0], "type of \(entry.key)")
            if let scalar = entry.value {
                #expect(matches(value, scalar), "\(entry.key): \(value) vs \(scalar)")
            } else if let count = entry.count, let head = entry.head, let tail = entry.tail {
                // gguf-py flattens nested arrays; so do we for the comparison.
                let elements = flatten(value.arrayValue ?? [])
                #expect(elements.count == count, "\(entry.key) count")
                for (v, j) in zip(elements.prefix(head.count), head) { #expect(matches(v, j), "\(entry.key) head") }
                for (v, j) in zip(elements.suffix(tail.count), tail) { #expect(matches(v, j), "\(entry.key) tail") }
            }
        }
        #expect(file.tensors.count == expected.tensors.count)
        for (ours, theirs) in zip(file.tensors, expected.tensors) {
            #expect(ours.name == theirs.name)
            #expect(ours.type.rawValue == theirs.type, "\(ours.name) type")
            #expect(ours.shape == theirs.shape, "\(ours.name) shape")
            #expect(ours.fileOffset == theirs.offset, "\(ours.name) offset")
            #expect(ours.byteCount == theirs.bytes, "\(ours.name) bytes")
        }
    }

    @Test func everyValueTypeMatchesGGUFPy() throws {
        let path = TestPaths.fixtures.appendingPathComponent("gguf/all_types.gguf").path
        let file = try GGUFFile(path: path)
        #expect(file.version == 3)
        Self.check(file, against: try Self.load("all_types.json"))
        // Typed accessors on values gguf-py wrote.
        #expect(try file.int("test.u32") == 4_000_000_000)
        #expect(try file.int("test.i64") == -9_000_000_000_000_000_000)
        #expect(try file.string("test.string") == "héllo, wörld ✓ 🙂")
        #expect(try file.stringArray("test.array_string") == ["a", "bc", ""])
        #expect(try file.floatArray("test.array_f32") == [0.5, -1.25])
        guard case .array(.array, let nested) = try file.value("test.array_nested") else {
            Issue.record("nested array not read as array of arrays")
            return
        }
        #expect(nested.map { $0.arrayValue?.compactMap(\.intValue) ?? [] } == [[1, 2], [3, 4, 5]])
        // Tensor data: a.weight is arange(12) as f32, shape [4, 3] in ggml order.
        let a = try file.tensor("a.weight")
        let floats = file.data(for: a).withMemoryRebound(to: Float.self) { Array($0) }
        #expect(floats == (0..<12).map(Float.init))
    }

    @Test func defaultModelDirectoryMatchesGGUFPy() throws {
        let expected = try Self.load("smollm2_directory.json")
        let file = try GGUFFile(path: try TestPaths.defaultModel().path)
        #expect(file.fileSize == expected.file_size)
        Self.check(file, against: expected)
        #expect(file.architecture == "llama")
        #expect(try file.int("llama.block_count") == 30)
        #expect(try file.stringArray("tokenizer.ggml.tokens").count == 49_152)
        #expect(try file.stringArray("tokenizer.ggml.merges").count == 48_900)
        #expect(file.parameterCount == 134_515_008)
    }

    @Test func versionTwoReadsLikeVersionThree() throws {
        // v2 and v3 share one layout (v3 only added big-endian files).
        var bytes = try Array(Data(contentsOf: TestPaths.fixtures.appendingPathComponent("gguf/all_types.gguf")))
        bytes[4] = 2
        let file = try GGUFFile(mapping: MappedFile.write(bytes))
        #expect(file.version == 2)
        Self.check(file, against: try Self.load("all_types.json"))
    }

    @Test func writerRoundTripsEveryValueTypeAndEmptyArrays() throws {
        var writer = GGUFWriter()
        let values: [(String, GGUFValue)] = [
            ("u8", .uint8(255)), ("i8", .int8(-128)), ("u16", .uint16(65535)), ("i16", .int16(-32768)),
            ("u32", .uint32(.max)), ("i32", .int32(.min)), ("u64", .uint64(.max)), ("i64", .int64(.min)),
            ("f32", .float32(-0.0)), ("f64", .float64(.pi)), ("b", .bool(true)), ("s", .string("")),
            ("empty", .array(elementType: .uint32, values: [])),
            ("nested", .array(elementType: .array, values: [
                .array(elementType: .string, values: [.string("x")]),
                .array(elementType: .string, values: []),
            ])),
            ("general.alignment", .uint32(64)),
        ]
        for (k, v) in values { writer.add(k, v) }
        writer.addTensor(name: "t", shape: [3, 2], floats: [1, 2, 3, 4, 5, 6])
        let file = try GGUFFile(mapping: MappedFile.write(writer.serialize()))
        for (k, v) in values { #expect(file[k] == v, "\(k)") }
        #expect(file.alignment == 64)
        #expect(file.dataOffset % 64 == 0)
        let t = try file.tensor("t")
        #expect(file.data(for: t).withMemoryRebound(to: Float.self) { Array($0) } == [1, 2, 3, 4, 5, 6])
    }
}

extension MappedFile {
    /// Writes bytes to a temporary file and maps it (the file is unlinked at once;
    /// the mapping keeps the data alive).
    static func write(_ bytes: [UInt8]) throws -> MappedFile {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-gguf-\(UUID().uuidString).gguf")
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return try MappedFile(path: url.path)
    }
}
