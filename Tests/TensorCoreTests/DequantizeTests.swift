import Testing
import TensorCore

/// Every dequantiser against gguf-py (`gguf.quants.dequantize`, an independent numpy
/// port of ggml's `dequantize_row_*`) on the committed fixtures.
///
/// Tolerance: none. fp16 and bf16 widen exactly, and in every format each product
/// (`d * q`, `(d * scale) * q`, `dmin * min`) is exact in float32: an fp16 scale has 11
/// significant bits, 6- or 8-bit sub-scales and 2- to 8-bit quants add at most 13 more,
/// within float32's 24. So the only rounding is the final `+ m` / `- dmin * min`, which
/// every correct implementation (ggml with or without FMA, gguf-py, ours) performs the
/// same way, and values must match bit for bit. (Checked while writing this: ggml's
/// `dequantize_row_*` built -O0 and -O3 -march=haswell agree with these fixtures bit for
/// bit.) The one allowance is NaN payloads: F16C and ggml quiet signalling NaNs, numpy
/// keeps them, so NaNs only have to be NaN on both sides.
struct DequantizeTests {
    /// The formats the task requires (what common GGUF downloads use), plus Q2_K, Q3_K.
    static let formats: [GGMLType] = [
        .f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K,
    ]

    @Test(arguments: formats)
    func matchesGGUFPyBitForBit(_ type: GGMLType) throws {
        let fixtures = try QuantFixtures.load()
        let cases = fixtures.cases.filter { $0.typeId == type.rawValue }
        #expect(!cases.isEmpty, "no fixture for \(type.name); rerun scripts/make_quant_fixtures.py")
        for fixture in cases {
            let raw = try QuantFixtures.bytes(fixture.name, ".bin")
            let expected = try QuantFixtures.floats(fixture.name, ".f32")
            #expect(expected.count == fixture.count)
            let actual = try raw.withUnsafeBytes { try dequantize(type, from: $0) }
            try #require(actual.count == expected.count, "\(fixture.name): \(actual.count) values, gguf-py \(expected.count)")
            let comparison = FloatComparison(actual, expected)
            #expect(comparison.bitMismatches == 0, "\(fixture.name): \(comparison)")
        }
    }

    /// The pointer API with an explicit count reads only that prefix.
    @Test func pointerAPIConvertsAPrefix() throws {
        let raw = try QuantFixtures.bytes("q4_1_quantized", ".bin")
        let expected = try QuantFixtures.floats("q4_1_quantized", ".f32")
        var out = [Float](repeating: .nan, count: 96)
        try raw.withUnsafeBytes { source in
            try out.withUnsafeMutableBufferPointer { destination in
                try dequantize(.q4_1, from: source.baseAddress!, count: 64, into: destination.baseAddress!)
            }
        }
        #expect(FloatComparison(Array(out[0..<64]), Array(expected[0..<64])).bitMismatches == 0)
        #expect(out[64...].allSatisfy { $0.isNaN }, "wrote past the requested count")
    }

    /// Narrowing to fp16 matches numpy's `astype(float16)`, to bf16 gguf-py's
    /// (ggml's) `fp32_to_bf16`, on the same inputs the fixtures were made from.
    @Test(arguments: [GGMLType.f16, .bf16])
    func narrowingMatchesReference(_ type: GGMLType) throws {
        let name = type == .f16 ? "f16_quantized" : "bf16_quantized"
        let inputs = try QuantFixtures.floats(name, ".input.f32")
        let raw = try QuantFixtures.bytes(name, ".bin")
        #expect(raw.count == inputs.count * 2)
        var mismatches: [String] = []
        for (i, value) in inputs.enumerated() {
            let expected = UInt16(raw[2 * i]) | UInt16(raw[2 * i + 1]) << 8
            let actual = type == .f16 ? F16.bits(from: value) : BF16.bits(from: value)
            let bothNaN = value.isNaN && (type == .f16 ? F16.float(fromBits: actual).isNaN : BF16.float(fromBits: actual).isNaN)
            if actual != expected && !(type == .f16 && bothNaN) {
                mismatches.append("\(value): \(actual) vs \(expected)")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
    }

    @Test func unsupportedTypeIsNamed() throws {
        let bytes = [UInt8](repeating: 0, count: 66)
        #expect(throws: TensorCoreError.unsupportedType(.iq2_xxs, operation: "dequantize")) {
            try bytes.withUnsafeBytes { try dequantize(.iq2_xxs, from: $0) }
        }
        let message = TensorCoreError.unsupportedType(.iq2_xxs, operation: "dequantize").description
        #expect(message.contains("iq2_xxs"))
        #expect(message.contains("q4_K"), "the message lists what is supported: \(message)")
        var out = [Float](repeating: 0, count: 256)
        #expect(throws: TensorCoreError.unsupportedType(.q8_1, operation: "dequantize")) {
            try bytes.withUnsafeBytes { source in
                try out.withUnsafeMutableBufferPointer {
                    try dequantize(.q8_1, from: source.baseAddress!, count: 32, into: $0.baseAddress!)
                }
            }
        }
    }

    @Test func partialBlocksAreRejected() throws {
        let bytes = [UInt8](repeating: 0, count: 40)
        var out = [Float](repeating: 0, count: 64)
        #expect(throws: TensorCoreError.partialBlock(.q4_1, count: 33)) {
            try bytes.withUnsafeBytes { source in
                try out.withUnsafeMutableBufferPointer {
                    try dequantize(.q4_1, from: source.baseAddress!, count: 33, into: $0.baseAddress!)
                }
            }
        }
        #expect(throws: TensorCoreError.partialBlock(.q4_K, count: 128)) {
            try bytes.withUnsafeBytes { try dequantize(.q4_K, from: $0, count: 128) }
        }
        #expect(TensorCoreError.partialBlock(.q4_K, count: 128).description.contains("256"))
    }

    @Test func truncatedInputIsRejected() throws {
        // 2 Q8_0 blocks need 68 bytes; give 67.
        let bytes = [UInt8](repeating: 0, count: 67)
        #expect(throws: TensorCoreError.truncatedSource(.q8_0, count: 64, neededBytes: 68, availableBytes: 67)) {
            try bytes.withUnsafeBytes { try dequantize(.q8_0, from: $0, count: 64) }
        }
        // Without a count the buffer must be whole blocks.
        #expect(throws: TensorCoreError.truncatedSource(.q8_0, count: 64, neededBytes: 68, availableBytes: 67)) {
            try bytes.withUnsafeBytes { try dequantize(.q8_0, from: $0) }
        }
        let message = TensorCoreError.truncatedSource(.q8_0, count: 64, neededBytes: 68, availableBytes: 67).description
        #expect(message.contains("68") && message.contains("67") && message.contains("q8_0"))
    }

    @Test func emptyInputGivesNoFloats() throws {
        let empty: [UInt8] = []
        let result = try empty.withUnsafeBytes { try dequantize(.q6_K, from: $0) }
        #expect(result.isEmpty)
    }
}
