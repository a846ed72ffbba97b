import Testing
import TensorCore

/// Pins each block layout to ggml's `type_size` and `blck_size` (what
/// `static_assert(sizeof(block_q4_0) == ...)` does in ggml-common.h), and checks that
/// the field offsets tile the block exactly.
struct QuantLayoutTests {
    struct Layout: CustomStringConvertible, Sendable {
        let type: GGMLType
        let weightsPerBlock: Int
        let bytesPerBlock: Int
        /// (offset, size) of every field, in order.
        let fields: [(Int, Int)]
        var description: String { type.name }
    }

    static let layouts: [Layout] = [
        Layout(type: .f16, weightsPerBlock: F16.weightsPerBlock, bytesPerBlock: F16.bytesPerBlock, fields: [(0, 2)]),
        Layout(type: .bf16, weightsPerBlock: BF16.weightsPerBlock, bytesPerBlock: BF16.bytesPerBlock, fields: [(0, 2)]),
        Layout(type: .q8_0, weightsPerBlock: Q8_0.weightsPerBlock, bytesPerBlock: Q8_0.bytesPerBlock,
               fields: [(Q8_0.scaleOffset, 2), (Q8_0.quantsOffset, 32)]),
        Layout(type: .q4_0, weightsPerBlock: Q4_0.weightsPerBlock, bytesPerBlock: Q4_0.bytesPerBlock,
               fields: [(Q4_0.scaleOffset, 2), (Q4_0.quantsOffset, 16)]),
        Layout(type: .q4_1, weightsPerBlock: Q4_1.weightsPerBlock, bytesPerBlock: Q4_1.bytesPerBlock,
               fields: [(Q4_1.scaleOffset, 2), (Q4_1.minimumOffset, 2), (Q4_1.quantsOffset, 16)]),
        Layout(type: .q5_0, weightsPerBlock: Q5_0.weightsPerBlock, bytesPerBlock: Q5_0.bytesPerBlock,
               fields: [(Q5_0.scaleOffset, 2), (Q5_0.highBitsOffset, 4), (Q5_0.quantsOffset, 16)]),
        Layout(type: .q5_1, weightsPerBlock: Q5_1.weightsPerBlock, bytesPerBlock: Q5_1.bytesPerBlock,
               fields: [(Q5_1.scaleOffset, 2), (Q5_1.minimumOffset, 2), (Q5_1.highBitsOffset, 4), (Q5_1.quantsOffset, 16)]),
        Layout(type: .q2_K, weightsPerBlock: Q2_K.weightsPerBlock, bytesPerBlock: Q2_K.bytesPerBlock,
               fields: [(Q2_K.scalesOffset, 16), (Q2_K.quantsOffset, 64), (Q2_K.scaleOffset, 2), (Q2_K.minimumScaleOffset, 2)]),
        Layout(type: .q3_K, weightsPerBlock: Q3_K.weightsPerBlock, bytesPerBlock: Q3_K.bytesPerBlock,
               fields: [(Q3_K.highMaskOffset, 32), (Q3_K.quantsOffset, 64), (Q3_K.scalesOffset, 12), (Q3_K.scaleOffset, 2)]),
        Layout(type: .q4_K, weightsPerBlock: Q4_K.weightsPerBlock, bytesPerBlock: Q4_K.bytesPerBlock,
               fields: [(Q4_K.scaleOffset, 2), (Q4_K.minimumScaleOffset, 2), (Q4_K.scalesOffset, 12), (Q4_K.quantsOffset, 128)]),
        Layout(type: .q5_K, weightsPerBlock: Q5_K.weightsPerBlock, bytesPerBlock: Q5_K.bytesPerBlock,
               fields: [(Q5_K.scaleOffset, 2), (Q5_K.minimumScaleOffset, 2), (Q5_K.scalesOffset, 12),
                        (Q5_K.highBitsOffset, 32), (Q5_K.quantsOffset, 128)]),
        Layout(type: .q6_K, weightsPerBlock: Q6_K.weightsPerBlock, bytesPerBlock: Q6_K.bytesPerBlock,
               fields: [(Q6_K.lowBitsOffset, 128), (Q6_K.highBitsOffset, 64), (Q6_K.scalesOffset, 16), (Q6_K.scaleOffset, 2)]),
    ]

    @Test(arguments: layouts)
    func layoutMatchesGGMLTypeSizes(_ layout: Layout) {
        #expect(layout.weightsPerBlock == layout.type.blockSize)
        #expect(layout.bytesPerBlock == layout.type.bytesPerBlock)
        var next = 0
        for (offset, size) in layout.fields {
            #expect(offset == next, "\(layout.type.name): field at \(offset), expected \(next)")
            next = offset + size
        }
        #expect(next == layout.bytesPerBlock, "\(layout.type.name): fields cover \(next) of \(layout.bytesPerBlock) bytes")
    }

    @Test func everyLayoutTypeIsDequantizable() {
        let layoutTypes = Set(Self.layouts.map(\.type.rawValue))
        let supported = Set(supportedDequantizationTypes.map(\.rawValue))
        #expect(supported == layoutTypes.union([GGMLType.f32.rawValue]))
        for type in GGMLType.allCases {
            #expect(type.canDequantize == supported.contains(type.rawValue), "\(type.name)")
        }
    }
}
