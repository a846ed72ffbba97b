/// A small, fast, seedable generator (Steele, Lea & Flood 2014; the constants of
/// Vigna's `splitmix64.c`, as in swift-argument-parser's `Examples/roll/SplitMix64.swift`).
/// Same seed, same stream, on every platform: that is what makes a sample reproducible
/// from its seed, and a Monte Carlo or bootstrap result from the user's seed. Every
/// seeded random choice in Quorum goes through this one copy: the sampler's draws, the
/// estimators' resamples, the math checker's random points, few-shot example choice and
/// the trainer's epoch order. Runs seeded with it are stored, so its stream never changes.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// A generator for one cell of a computation (say problem 7 at k = 32), derived from
    /// the user's seed, so results do not depend on which other cells are computed.
    public init(seed: UInt64, streams: Int...) {
        self.init(seed: seed, streamList: streams)
    }

    /// `init(seed:streams:)` with the streams as an array.
    public init(seed: UInt64, streamList streams: [Int]) {
        var mixer = SplitMix64(seed: seed)
        var mixed = mixer.next()
        for stream in streams {
            mixer = SplitMix64(seed: mixed ^ UInt64(bitPattern: Int64(stream)))
            mixed = mixer.next()
        }
        state = mixed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in `[0, 1)` with 53 random bits.
    public mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1p-53 }
}
