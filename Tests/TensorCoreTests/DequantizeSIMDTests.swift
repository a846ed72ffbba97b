import Testing
import GGUF
import TensorCore
import TestSupport

/// The vectorised Q8_0 and Q4_1 paths (`dequantizeFast`) against the scalar reference,
/// bit for bit (NaN payloads aside): on random block bytes, where every fp16 scale
/// pattern including infinities and NaNs can occur, and on real tensors of the model.
struct DequantizeSIMDTests {
    /// SplitMix64, so the random blocks are the same on every run.
    struct SeededBytes {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func bytes(_ count: Int) -> [UInt8] {
            (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) }
        }
    }

    func compareFastWithReference(_ type: GGMLType, _ raw: UnsafeRawBufferPointer, count: Int) throws -> FloatComparison {
        var reference = [Float](repeating: 0, count: count)
        var fast = [Float](repeating: 0, count: count)
        try reference.withUnsafeMutableBufferPointer { try dequantize(type, from: raw.baseAddress!, count: count, into: $0.baseAddress!) }
        try fast.withUnsafeMutableBufferPointer { try dequantizeFast(type, from: raw.baseAddress!, count: count, into: $0.baseAddress!) }
        return FloatComparison(fast, reference)
    }

    @Test(arguments: [GGMLType.q8_0, .q4_1])
    func randomBlocksMatchTheReference(_ type: GGMLType) throws {
        var random = SeededBytes(state: UInt64(type.rawValue))
        let blocks = 4096
        let raw = random.bytes(blocks * type.bytesPerBlock)
        let comparison = try raw.withUnsafeBytes { try compareFastWithReference(type, $0, count: blocks * type.blockSize) }
        #expect(comparison.bitMismatches == 0, "\(type.name): \(comparison)")
    }

    @Test(arguments: [("blk.0.attn_q.weight", GGMLType.q4_1), ("blk.29.ffn_down.weight", .q4_1), ("token_embd.weight", .q8_0)])
    func modelTensorsMatchTheReference(_ name: String, _ type: GGMLType) throws {
        let file = try GGUFFile(path: TestPaths.defaultModel().path)
        let tensor = try file.tensor(name)
        #expect(tensor.type == type)
        // At most 1M weights: enough rows to cover many scales, quick in debug builds.
        let count = min(tensor.elementCount, 1 << 20)
        let comparison = try compareFastWithReference(type, file.data(for: tensor), count: count)
        #expect(comparison.bitMismatches == 0, "\(name): \(comparison)")
    }

    @Test func fastPathKeepsTheReferenceErrors() {
        var out = [Float](repeating: 0, count: 64)
        let bytes = [UInt8](repeating: 0, count: 64)
        #expect(throws: TensorCoreError.partialBlock(.q8_0, count: 40)) {
            try bytes.withUnsafeBytes { source in
                try out.withUnsafeMutableBufferPointer { try dequantizeFast(.q8_0, from: source.baseAddress!, count: 40, into: $0.baseAddress!) }
            }
        }
        #expect(throws: TensorCoreError.unsupportedType(.iq4_nl, operation: "dequantize")) {
            try bytes.withUnsafeBytes { source in
                try out.withUnsafeMutableBufferPointer { try dequantizeFast(.iq4_nl, from: source.baseAddress!, count: 32, into: $0.baseAddress!) }
            }
        }
    }
}
