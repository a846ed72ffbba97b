import Kernels
import Testing

/// The attention kernel (`AttentionKernel.attend`, C) on synthetic f16 KV pages, on
/// every instruction set this CPU has: rows scored together on shared pages give
/// bit for bit what each row gives alone (a sequence's result must not depend on its
/// batch), and both agree with the float64 reference `AttentionKernel.reference`.
struct AttentionRowsKernelTests {
    static let instructionSets = Int8InstructionSet.allCases.filter { $0.rawValue <= Int8InstructionSet.best.rawValue }

    /// Pages, page tables, queries for seven rows: rows 0–3 share pages 5, 2, 9 and then
    /// have their own; rows 4–5 share page 11; row 6 has a partial page of its own.
    final class Fixture {
        static let pagesPerSlab = 8, slabCount = 8, kvHeads = 2
        let headDimension: Int, group: Int
        let pageElements: Int
        let slabStorage: [UnsafeMutablePointer<UInt16>]
        let slabTable: UnsafeMutablePointer<UnsafePointer<UInt16>?>
        let tables: [UnsafeMutablePointer<Int32>]
        let tablePointers: UnsafeMutablePointer<UnsafePointer<Int32>?>
        let counts: UnsafeMutablePointer<Int64>
        let query: UnsafeMutablePointer<Float>
        let rowCount = 7
        var queryStride: Int { Self.kvHeads * group * headDimension + 3 }

        init(headDimension: Int, group: Int) {
            self.headDimension = headDimension
            self.group = group
            let kvWidth = Self.kvHeads * headDimension
            // One layer: keys [kvWidth][16], then values [16][kvWidth].
            pageElements = 2 * AttentionKernel.pageSize * kvWidth
            var state: UInt64 = 0x9E37_79B9_7F4A_7C15 &+ UInt64(headDimension * 31 + group)
            func uniform() -> Float {   // in [-1, 1), from a 64-bit LCG
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Float(state >> 40) / Float(1 << 23) - 1
            }
            slabStorage = (0..<Self.slabCount).map { _ in
                let slab = UnsafeMutablePointer<UInt16>.allocate(capacity: Self.pagesPerSlab * 2 * AttentionKernel.pageSize * kvWidth)
                for i in 0..<Self.pagesPerSlab * 2 * AttentionKernel.pageSize * kvWidth { slab[i] = Float16(2 * uniform()).bitPattern }
                return slab
            }
            slabTable = .allocate(capacity: Self.slabCount)
            for (i, slab) in slabStorage.enumerated() { slabTable[i] = UnsafePointer(slab) }
            let pageIds: [[Int32]] = [
                [5, 2, 9, 20, 21], [5, 2, 9, 22, 23], [5, 2, 9, 24], [5, 2, 9, 25, 26],
                [11, 30, 31], [11, 32, 33], [40],
            ]
            let rowCounts: [Int64] = [70, 80, 49, 64, 33, 40, 7]
            tables = pageIds.map { ids in
                let table = UnsafeMutablePointer<Int32>.allocate(capacity: ids.count)
                table.initialize(from: ids, count: ids.count)
                return table
            }
            tablePointers = .allocate(capacity: tables.count)
            for (i, table) in tables.enumerated() { tablePointers[i] = UnsafePointer(table) }
            counts = .allocate(capacity: rowCounts.count)
            counts.initialize(from: rowCounts, count: rowCounts.count)
            let queryCount = rowCount * (Self.kvHeads * group * headDimension + 3)
            query = .allocate(capacity: queryCount)
            for i in 0..<queryCount { query[i] = uniform() }
        }

        deinit {
            for slab in slabStorage { slab.deallocate() }
            slabTable.deallocate()
            for table in tables { table.deallocate() }
            tablePointers.deallocate()
            counts.deallocate()
            query.deallocate()
        }

        /// KV head 1's keys and values (offsets past KV head 0).
        var layout: AttentionPageLayout {
            AttentionPageLayout(slabs: UnsafePointer(slabTable), pagesPerSlab: Self.pagesPerSlab, pageElements: pageElements,
                                keyOffset: headDimension * AttentionKernel.pageSize,
                                valueOffset: AttentionKernel.pageSize * Self.kvHeads * headDimension + headDimension,
                                valueStride: Self.kvHeads * headDimension)
        }

        var scale: Float { 1 / Float(headDimension).squareRoot() }

        /// Outputs `[rows × queryStride]` (KV head 1's heads filled) of the kernel run as
        /// `tasks`: (rows, shared pages) per call.
        func kernel(_ tasks: [([Int32], Int)], instructionSet: Int8InstructionSet) -> [Float] {
            var output = [Float](repeating: .nan, count: rowCount * queryStride)
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: rowCount * group * 96)
            defer { scores.deallocate() }
            let headBase = group * headDimension
            output.withUnsafeMutableBufferPointer { out in
                for (rows, shared) in tasks {
                    rows.withUnsafeBufferPointer { rows in
                        AttentionKernel.attend(rows: rows, query: query + headBase, queryStride: queryStride,
                                               output: out.baseAddress! + headBase, outputStride: queryStride, group: group,
                                               headDimension: headDimension, scale: scale, layout: layout,
                                               pageTables: tablePointers, counts: counts, sharedPages: shared,
                                               scores: scores, instructionSet: instructionSet)
                    }
                }
            }
            return output
        }

        func reference() -> [Float] {
            var output = [Float](repeating: .nan, count: rowCount * queryStride)
            let headBase = group * headDimension
            output.withUnsafeMutableBufferPointer { out in
                AttentionKernel.reference(rows: Array(0..<rowCount), query: query + headBase, queryStride: queryStride,
                                          output: out.baseAddress! + headBase, outputStride: queryStride, group: group,
                                          headDimension: headDimension, scale: scale, layout: layout,
                                          pageTables: tablePointers, counts: counts)
            }
            return output
        }

        /// The output floats of KV head 1's heads of every row, as bit patterns.
        func heads(_ output: [Float]) -> [UInt32] {
            (0..<rowCount).flatMap { b in
                (0..<group * headDimension).map { output[b * queryStride + group * headDimension + $0].bitPattern }
            }
        }
    }

    /// (head dimension, query heads per KV head): the AVX-512 head-64 kernel with
    /// chunks of heads that straddle rows (3, 5), the generic loops (128, 40).
    static let shapes: [(Int, Int)] = [(64, 3), (64, 5), (64, 1), (128, 2), (40, 3)]

    @Test(arguments: shapes)
    func rowsTogetherOnSharedPagesEqualEachRowAloneBitForBit(_ headDimension: Int, _ group: Int) {
        let fixture = Fixture(headDimension: headDimension, group: group)
        for isa in Self.instructionSets {
            let alone = fixture.heads(fixture.kernel((0..<7).map { ([Int32($0)], 0) }, instructionSet: isa))
            let grouped = fixture.heads(fixture.kernel([([3, 0, 2, 1], 3), ([4, 5], 1), ([6], 0)], instructionSet: isa))
            let partlyShared = fixture.heads(fixture.kernel([([1, 3], 2), ([0, 4, 2, 6, 5], 0)], instructionSet: isa))
            #expect(grouped == alone, "\(isa), d \(headDimension), group \(group): shared-page rows differ from rows alone")
            #expect(partlyShared == alone, "\(isa), d \(headDimension), group \(group): partly shared rows differ from rows alone")
        }
    }

    @Test(arguments: shapes)
    func kernelAgreesWithTheFloat64Reference(_ headDimension: Int, _ group: Int) {
        let fixture = Fixture(headDimension: headDimension, group: group)
        let reference = fixture.heads(fixture.reference()).map { Float(bitPattern: $0) }
        for isa in Self.instructionSets {
            let fast = fixture.heads(fixture.kernel([([3, 0, 2, 1], 3), ([4, 5], 1), ([6], 0)], instructionSet: isa))
                .map { Float(bitPattern: $0) }
            let difference = zip(fast, reference).map { abs($0 - $1) }.max()!
            // Outputs are averages of values in [-2, 2]; float32 scores and sums stay within ~1e-6.
            #expect(difference < 1e-5, "\(isa), d \(headDimension), group \(group): max |Δ| \(difference)")
            #expect(!fast.contains { $0.isNaN }, "\(isa): an output was not written")
        }
    }
}
