import CKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where one layer's keys and values of one KV head sit in KV pages of
/// `AttentionKernel.pageSize` positions (f16 bit patterns).
///
/// Page id p starts at `slabs[p / pagesPerSlab] + (p % pagesPerSlab) × pageElements`.
/// Keys are stored transposed: element j of slot s at `keyOffset + j × pageSize + s`;
/// values by slot: element j of slot s at `valueOffset + s × valueStride + j`.
public struct AttentionPageLayout {
    public var slabs: UnsafePointer<UnsafePointer<UInt16>?>
    public var pagesPerSlab: Int
    /// Elements (f16) per page.
    public var pageElements: Int
    public var keyOffset: Int
    public var valueOffset: Int
    public var valueStride: Int

    public init(slabs: UnsafePointer<UnsafePointer<UInt16>?>, pagesPerSlab: Int, pageElements: Int,
                keyOffset: Int, valueOffset: Int, valueStride: Int) {
        self.slabs = slabs
        self.pagesPerSlab = pagesPerSlab
        self.pageElements = pageElements
        self.keyOffset = keyOffset
        self.valueOffset = valueOffset
        self.valueStride = valueStride
    }

    /// The f16 bit pattern of key element `index` at position `position` of a sequence with `pageTable`.
    @inline(__always)
    func key(_ pageTable: UnsafePointer<Int32>, position: Int, index: Int) -> UInt16 {
        page(pageTable[position / AttentionKernel.pageSize])[keyOffset + index * AttentionKernel.pageSize
                                                            + position % AttentionKernel.pageSize]
    }

    /// The f16 bit pattern of value element `index` at position `position`.
    @inline(__always)
    func value(_ pageTable: UnsafePointer<Int32>, position: Int, index: Int) -> UInt16 {
        page(pageTable[position / AttentionKernel.pageSize])[valueOffset + (position % AttentionKernel.pageSize) * valueStride + index]
    }

    @inline(__always)
    private func page(_ id: Int32) -> UnsafePointer<UInt16> {
        slabs[Int(id) / pagesPerSlab].unsafelyUnwrapped + (Int(id) % pagesPerSlab) * pageElements
    }
}

/// Causal scaled dot-product attention of several batch rows, for the query heads that
/// share one KV head (grouped-query attention), over f16 KV pages: the C kernel
/// `quorum_attention_rows` (Sources/CKernels/Attention.c) and its simple reference.
///
/// Rows whose page tables begin with the same full pages (samples forked from one
/// prompt) are scored together on those `sharedPages`: each shared key and value page
/// is read once for all their query heads. A row's result is bit for bit the same
/// whether it runs alone or with others, whatever `sharedPages` (docs/ARCHITECTURE.md,
/// "Attention").
public enum AttentionKernel {
    /// Positions per KV page the kernel takes.
    public static let pageSize = Int(QUORUM_ATTENTION_PAGE)

    /// Attention for the batch rows `rows` (indices b into the per-row arrays).
    ///
    /// - Parameters:
    ///   - query: row b's `group × headDimension` query floats start at `query + b × queryStride`.
    ///   - output: row b's `group × headDimension` results start at `output + b × outputStride`.
    ///   - pageTables: per batch row, its page ids; `counts`: per batch row, the positions
    ///     it attends to (0..<count).
    ///   - sharedPages: pages 0..<sharedPages have the same ids in every listed row's table
    ///     and are full for each (`sharedPages × pageSize ≤ count`); 0 always works.
    ///   - scores: scratch of `rows.count × group × round_up(max count, pageSize)` floats.
    ///   - instructionSet: the kernel path (clamped to what the CPU has); nil = the best.
    public static func attend(rows: UnsafeBufferPointer<Int32>, query: UnsafePointer<Float>, queryStride: Int,
                              output: UnsafeMutablePointer<Float>, outputStride: Int, group: Int, headDimension: Int,
                              scale: Float, layout: AttentionPageLayout,
                              pageTables: UnsafePointer<UnsafePointer<Int32>?>, counts: UnsafePointer<Int64>,
                              sharedPages: Int, scores: UnsafeMutablePointer<Float>,
                              instructionSet: Int8InstructionSet? = nil) {
        quorum_attention_rows_isa((instructionSet ?? .best).rawValue, Int64(rows.count), rows.baseAddress, query,
                                  Int64(queryStride), output, Int64(outputStride), Int64(group), Int64(headDimension),
                                  scale, layout.slabs, Int64(layout.pagesPerSlab), Int64(layout.pageElements),
                                  pageTables, counts, Int64(sharedPages), Int64(layout.keyOffset),
                                  Int64(layout.valueOffset), Int64(layout.valueStride), scores)
    }

    /// The simple attention `attend` is tested against: per (row, head) and position,
    /// q·k × scale in float64, softmax, Σ p·v in float64, rounded to float at the end.
    public static func reference(rows: [Int], query: UnsafePointer<Float>, queryStride: Int,
                                 output: UnsafeMutablePointer<Float>, outputStride: Int, group: Int, headDimension: Int,
                                 scale: Float, layout: AttentionPageLayout,
                                 pageTables: UnsafePointer<UnsafePointer<Int32>?>, counts: UnsafePointer<Int64>) {
        for b in rows {
            let table = pageTables[b].unsafelyUnwrapped
            let count = Int(counts[b])
            for head in 0..<group {
                let q = query + b * queryStride + head * headDimension
                var scores = (0..<count).map { t in
                    var dot = 0.0
                    for j in 0..<headDimension {
                        dot += Double(q[j]) * Double(Float(Float16(bitPattern: layout.key(table, position: t, index: j))))
                    }
                    return dot * Double(scale)
                }
                let maximum = scores.max() ?? 0
                scores = scores.map { exp($0 - maximum) }
                let sum = scores.reduce(0, +)
                for j in 0..<headDimension {
                    var total = 0.0
                    for t in 0..<count {
                        total += scores[t] / sum * Double(Float(Float16(bitPattern: layout.value(table, position: t, index: j))))
                    }
                    output[b * outputStride + head * headDimension + j] = Float(total)
                }
            }
        }
    }
}
