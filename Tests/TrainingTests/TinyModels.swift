import Foundation
import GGUF
import TestSupport

/// Small random llama-family models written as GGUF by the tests, in the shapes that
/// exercise every branch of the trainer: grouped-query attention, tied and untied heads,
/// qwen2's Q/K/V biases and NeoX rotary, linear rope scaling, partial rotary dimensions.
struct TinyModel {
    var architecture = "llama"
    var layers = 2
    var width = 64
    var heads = 4
    var kvHeads = 2
    var feedForward = 96
    var vocabulary = 101
    var context = 64
    var tied = true
    var biases = false
    var ropeScale: Double? = nil
    var ropeDimensions: Int? = nil
    var seed: UInt64 = 1
    /// Metadata copied in (a real model's `tokenizer.*` keys, so commands that tokenise can run it).
    var extraMetadata: [(key: String, value: GGUFValue)] = []

    var headDimension: Int { width / heads }

    func write(to path: String) throws {
        var random = TestRandom(seed: seed)
        func floats(_ count: Int, scale: Float, offset: Float = 0) -> [Float] {
            (0..<count).map { _ in offset + scale * random.nextSigned() }
        }
        let a = architecture
        var w = GGUFWriter()
        w.add("general.architecture", .string(a))
        w.add("\(a).block_count", .uint32(UInt32(layers)))
        w.add("\(a).embedding_length", .uint32(UInt32(width)))
        w.add("\(a).feed_forward_length", .uint32(UInt32(feedForward)))
        w.add("\(a).attention.head_count", .uint32(UInt32(heads)))
        w.add("\(a).attention.head_count_kv", .uint32(UInt32(kvHeads)))
        w.add("\(a).context_length", .uint32(UInt32(context)))
        w.add("\(a).attention.layer_norm_rms_epsilon", .float32(1e-5))
        w.add("\(a).rope.freq_base", .float32(10_000))
        if let ropeScale {
            w.add("\(a).rope.scaling.type", .string("linear"))
            w.add("\(a).rope.scaling.factor", .float32(Float(ropeScale)))
        }
        if let ropeDimensions { w.add("\(a).rope.dimension_count", .uint32(UInt32(ropeDimensions))) }
        for (key, value) in extraMetadata { w.add(key, value) }
        let qw = heads * headDimension, kw = kvHeads * headDimension
        w.addTensor(name: "token_embd.weight", shape: [width, vocabulary], floats: floats(width * vocabulary, scale: 0.5))
        for l in 0..<layers {
            let p = "blk.\(l)."
            w.addTensor(name: p + "attn_norm.weight", shape: [width], floats: floats(width, scale: 0.2, offset: 1))
            w.addTensor(name: p + "attn_q.weight", shape: [width, qw], floats: floats(width * qw, scale: 0.25))
            w.addTensor(name: p + "attn_k.weight", shape: [width, kw], floats: floats(width * kw, scale: 0.25))
            w.addTensor(name: p + "attn_v.weight", shape: [width, kw], floats: floats(width * kw, scale: 0.25))
            if biases {
                w.addTensor(name: p + "attn_q.bias", shape: [qw], floats: floats(qw, scale: 0.2))
                w.addTensor(name: p + "attn_k.bias", shape: [kw], floats: floats(kw, scale: 0.2))
                w.addTensor(name: p + "attn_v.bias", shape: [kw], floats: floats(kw, scale: 0.2))
            }
            w.addTensor(name: p + "attn_output.weight", shape: [qw, width], floats: floats(qw * width, scale: 0.25))
            w.addTensor(name: p + "ffn_norm.weight", shape: [width], floats: floats(width, scale: 0.2, offset: 1))
            w.addTensor(name: p + "ffn_gate.weight", shape: [width, feedForward], floats: floats(width * feedForward, scale: 0.25))
            w.addTensor(name: p + "ffn_up.weight", shape: [width, feedForward], floats: floats(width * feedForward, scale: 0.25))
            w.addTensor(name: p + "ffn_down.weight", shape: [feedForward, width], floats: floats(feedForward * width, scale: 0.2))
        }
        w.addTensor(name: "output_norm.weight", shape: [width], floats: floats(width, scale: 0.2, offset: 1))
        if !tied {
            w.addTensor(name: "output.weight", shape: [width, vocabulary], floats: floats(width * vocabulary, scale: 0.3))
        }
        try w.write(to: path)
    }
}

/// SplitMix64 (the tests' own copy, so fixtures never depend on the library's generator).
struct TestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [-1, 1).
    mutating func nextSigned() -> Float { Float(Double(next() >> 11) / Double(1 << 53) * 2 - 1) }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

enum Scratch {
    static func directory(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
