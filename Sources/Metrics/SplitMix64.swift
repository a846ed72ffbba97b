/// A small, fast, seedable generator (Steele, Lea and Flood's SplitMix64, as in
/// swift-argument-parser's `Examples/roll/SplitMix64.swift`). Every random choice in
/// Metrics goes through it, so a seed fixes every Monte Carlo and bootstrap result.
struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// A generator for one cell of a computation (say problem 7 at k = 32), derived from
    /// the user's seed, so results do not depend on which other cells are computed.
    init(seed: UInt64, streams: Int...) {
        self.init(seed: seed, streamList: streams)
    }

    init(seed: UInt64, streamList streams: [Int]) {
        var mixer = SplitMix64(seed: seed)
        var mixed = mixer.next()
        for stream in streams {
            mixer = SplitMix64(seed: mixed ^ UInt64(bitPattern: Int64(stream)))
            mixed = mixer.next()
        }
        state = mixed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
