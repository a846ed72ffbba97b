import ScalingCore
import Testing

/// The one generator every seeded choice uses, against splitmix64.c's published stream
/// and values computed by an independent Python transcription of the same recurrence
/// (stored runs were drawn with it, so the stream must never change).
struct SplitMix64Tests {
    @Test func matchesTheReferenceStream() {
        // Published first outputs of splitmix64.c for seed 0.
        var generator = SplitMix64(seed: 0)
        #expect(generator.next() == 0xE220_A839_7B1D_CDAF)
        #expect(generator.next() == 0x6E78_9E6A_A1B9_65F4)
        #expect(generator.next() == 0x06C4_5D18_8009_454F)
    }

    /// Per-cell streams (Metrics' Monte Carlo cells): each stream re-seeds a generator with
    /// the previous output XOR the stream number. Values from Python.
    @Test func derivedStreamsMatchAPythonTranscription() {
        var cell = SplitMix64(seed: 42, streams: 7, 32)
        #expect(cell.next() == 0x9DC2_5935_D050_6256)
        #expect(cell.next() == 0x6EBE_13DF_5053_6924)
        var noStreams = SplitMix64(seed: 42, streamList: [])
        #expect(noStreams.next() == 0x57E1_FABA_6510_7204)
        var negative = SplitMix64(seed: 1, streams: -1)   // two's complement, as UInt64(bitPattern:)
        #expect(negative.next() == 0x52CF_158A_BCFC_0039)
    }

    @Test func unitDoublesUseTheTop53Bits() {
        var generator = SplitMix64(seed: 7)
        #expect(generator.nextUnit() == 0.3898297483912715)
        #expect(generator.nextUnit() == 0.01678829452815611)
    }
}
