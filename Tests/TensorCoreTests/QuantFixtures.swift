import Foundation
import TensorCore
import TestSupport

/// The dequantisation fixtures written by `scripts/make_quant_fixtures.py`: raw blocks
/// and what gguf-py (`gguf.quants.dequantize`, gguf 0.19.0) makes of them.
struct QuantFixtures: Decodable {
    struct Case: Decodable, CustomStringConvertible {
        let name: String
        let typeId: UInt32
        let count: Int
        let note: String
        let hasInputs: Bool?
        var description: String { name }
    }
    /// Whole-tensor checksums of the default model.
    struct TensorSummary: Decodable {
        struct Sample: Decodable { let index: Int; let bits: UInt32 }
        let tensor: String
        let type: String
        let count: Int
        let sum: Double
        let checksum: String
        let samples: [Sample]
    }

    let gguf: String
    let model: String
    let cases: [Case]
    let tensors: [TensorSummary]

    static let directory = TestPaths.fixtures.appendingPathComponent("quant")

    static func load() throws -> QuantFixtures {
        let url = directory.appendingPathComponent("manifest.json")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw TestSupportError("Missing \(url.path); run scripts/make_quant_fixtures.py.")
        }
        return try JSONDecoder().decode(QuantFixtures.self, from: data)
    }

    static func bytes(_ name: String, _ suffix: String) throws -> [UInt8] {
        let url = directory.appendingPathComponent(name + suffix)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw TestSupportError("Missing fixture \(url.path); run scripts/make_quant_fixtures.py.")
        }
        return [UInt8](data)
    }

    /// Little-endian float32 values of a `.f32` file.
    static func floats(_ name: String, _ suffix: String) throws -> [Float] {
        let raw = try bytes(name, suffix)
        return raw.withUnsafeBytes { buffer in
            (0..<raw.count / 4).map { Float(bitPattern: UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }
}

/// How two float arrays differ: bit-exact apart from NaN payloads, and the largest
/// absolute difference among finite values.
struct FloatComparison: CustomStringConvertible {
    var bitMismatches = 0
    var nanMismatches = 0          // one side NaN, the other not
    var nanPayloadDifferences = 0  // both NaN, different bits (quiet bit, payload)
    var maxAbsoluteDifference: Float = 0
    var firstMismatch: (index: Int, actual: Float, expected: Float)?

    init(_ actual: [Float], _ expected: [Float]) {
        precondition(actual.count == expected.count, "length \(actual.count) vs \(expected.count)")
        for i in actual.indices {
            let a = actual[i], e = expected[i]
            if a.bitPattern == e.bitPattern { continue }
            if a.isNaN && e.isNaN { nanPayloadDifferences += 1; continue }
            if a.isNaN != e.isNaN { nanMismatches += 1 }
            bitMismatches += 1
            if a.isFinite && e.isFinite { maxAbsoluteDifference = max(maxAbsoluteDifference, abs(a - e)) }
            if firstMismatch == nil { firstMismatch = (i, a, e) }
        }
    }

    var description: String {
        var text = "\(bitMismatches) value(s) differ in bits (\(nanMismatches) NaN vs number), max |diff| \(maxAbsoluteDifference), \(nanPayloadDifferences) NaN payload difference(s)"
        if let m = firstMismatch { text += "; first at \(m.index): \(m.actual) vs gguf-py \(m.expected)" }
        return text
    }
}

/// The checksum the fixture script computes: sum of `bits[i] * (2i + 1)` modulo 2^64,
/// NaNs replaced by 0x7fc00000.
func positionWeightedChecksum(_ values: UnsafeBufferPointer<Float>) -> UInt64 {
    var sum: UInt64 = 0
    for i in values.indices {
        let bits = values[i].isNaN ? 0x7FC0_0000 : values[i].bitPattern
        sum &+= UInt64(bits) &* (UInt64(i) &* 2 &+ 1)
    }
    return sum
}
