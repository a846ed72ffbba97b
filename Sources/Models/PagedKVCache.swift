/// Keys and values of past positions for many sequences, in fixed-size pages that
/// sequences can share.
///
/// Each sequence has a page table (page ids, one per `pageSize` positions). A page
/// holds `pageSize` positions of keys and values for every layer. Pages are
/// reference-counted: `fork` gives new sequences the parent's page table without
/// copying, and a sequence that appends into a shared page first copies that page
/// (copy-on-write; only the partial last page ever needs it). This is how N samples
/// of one prompt share one prefill (llama.cpp tags cells with sequence ids instead).
///
/// Memory is allocated in slabs of pages as sequences grow and reused after
/// `release`; pointers to a page stay valid for the cache's lifetime.
///
/// Keys and values are stored as IEEE half floats (f16, as llama.cpp's default cache):
/// half the memory and memory traffic of f32. Layout of a page, per layer: keys
/// transposed, `[kvWidth][pageSize]` (element j of slot s at `j × pageSize + s`, so the
/// attention kernel scores 16 positions per vector), then values `[pageSize][kvWidth]`.
public typealias KVElement = UInt16

public final class PagedKVCache {
    public let layerCount: Int
    /// Floats per position per layer for keys (and again for values): kvHeads × headDimension.
    public let kvWidth: Int
    /// Positions per page.
    public let pageSize: Int
    /// Sequences that can exist at once (ids are `0..<maxSequences`).
    public let maxSequences: Int
    /// Positions one sequence can hold (the model's context length).
    public let maxPositions: Int
    /// Pages the cache may allocate in total.
    public let maxPages: Int

    /// Elements (f16) per page.
    let pageFloatCount: Int
    let pagesPerSlab = 64
    private var slabs: UnsafeMutablePointer<UnsafeMutablePointer<KVElement>?>
    private var slabCount = 0
    private var referenceCounts: [Int32] = []
    private var freePages: [Int32] = []
    /// `[maxSequences × maxPagesPerSequence]` page ids.
    let pageTables: UnsafeMutablePointer<Int32>
    let maxPagesPerSequence: Int
    private var lengths: [Int]
    private var live: [Bool]

    /// - Parameters:
    ///   - maxTotalPositions: bound on the positions held over all sequences (shared
    ///     pages counted once); memory grows up to `maxTotalPositions × layerCount × 2 × kvWidth × 2` bytes.
    public init(layerCount: Int, kvWidth: Int, maxPositions: Int, maxSequences: Int = 256,
                pageSize: Int = 16, maxTotalPositions: Int = 1 << 18) {
        precondition(layerCount > 0 && kvWidth > 0 && maxPositions > 0 && maxSequences > 0 && pageSize > 0)
        self.layerCount = layerCount
        self.kvWidth = kvWidth
        self.pageSize = pageSize
        self.maxSequences = maxSequences
        self.maxPositions = maxPositions
        self.maxPages = max(1, (maxTotalPositions + pageSize - 1) / pageSize)
        pageFloatCount = layerCount * 2 * pageSize * kvWidth
        maxPagesPerSequence = (maxPositions + pageSize - 1) / pageSize
        let maxSlabs = (maxPages + pagesPerSlab - 1) / pagesPerSlab
        slabs = .allocate(capacity: maxSlabs)
        slabs.initialize(repeating: nil, count: maxSlabs)
        pageTables = .allocate(capacity: maxSequences * maxPagesPerSequence)
        pageTables.initialize(repeating: -1, count: maxSequences * maxPagesPerSequence)
        lengths = Array(repeating: 0, count: maxSequences)
        live = Array(repeating: false, count: maxSequences)
    }

    deinit {
        for i in 0..<slabCount { slabs[i]?.deallocate() }
        slabs.deallocate()
        pageTables.deallocate()
    }

    // MARK: Sequences

    /// A new empty sequence.
    public func createSequence() throws(ModelsError) -> Int {
        guard let id = live.firstIndex(of: false) else {
            throw .cacheExhausted(reason: "all \(maxSequences) sequence slots are in use")
        }
        live[id] = true
        lengths[id] = 0
        return id
    }

    /// `count` new sequences that start as copies of `parent` (sharing its pages).
    public func fork(_ parent: Int, count: Int) throws(ModelsError) -> [Int] {
        try checkLive(parent)
        var children: [Int] = []
        for _ in 0..<count {
            let child: Int
            do { child = try createSequence() } catch {
                for c in children { release(c) }
                throw error
            }
            let pages = pageCount(parent)
            for i in 0..<pages {
                let page = pageTables[parent * maxPagesPerSequence + i]
                pageTables[child * maxPagesPerSequence + i] = page
                referenceCounts[Int(page)] += 1
            }
            lengths[child] = lengths[parent]
            children.append(child)
        }
        return children
    }

    /// Frees a sequence; pages no other sequence uses return to the free list.
    public func release(_ sequence: Int) {
        guard sequence >= 0, sequence < maxSequences, live[sequence] else { return }
        for i in 0..<pageCount(sequence) {
            let page = pageTables[sequence * maxPagesPerSequence + i]
            referenceCounts[Int(page)] -= 1
            if referenceCounts[Int(page)] == 0 { freePages.append(page) }
            pageTables[sequence * maxPagesPerSequence + i] = -1
        }
        lengths[sequence] = 0
        live[sequence] = false
    }

    /// Positions stored for `sequence`.
    public func length(of sequence: Int) -> Int { lengths[sequence] }

    /// Pages in use (shared pages counted once): for tests and memory reports.
    public var pagesInUse: Int { referenceCounts.count - freePages.count }

    /// The reference count of the page holding `position` of `sequence` (1 = private).
    public func pageReferenceCount(sequence: Int, position: Int) -> Int {
        Int(referenceCounts[Int(pageTables[sequence * maxPagesPerSequence + position / pageSize])])
    }

    func pageCount(_ sequence: Int) -> Int { (lengths[sequence] + pageSize - 1) / pageSize }

    private func checkLive(_ sequence: Int) throws(ModelsError) {
        guard sequence >= 0, sequence < maxSequences, live[sequence] else {
            throw .invalidBatch(reason: "sequence \(sequence) does not exist in the KV cache")
        }
    }

    // MARK: Writing

    /// Makes room for the next position of `sequence` and returns where its keys and
    /// values go: a new page at a page boundary, a private copy of a shared last page.
    func appendSlot(_ sequence: Int, position: Int) throws(ModelsError) -> (page: Int32, slot: Int) {
        try checkLive(sequence)
        guard position == lengths[sequence] else {
            throw .invalidBatch(reason: "sequence \(sequence) has \(lengths[sequence]) positions; the next row must be position \(lengths[sequence]), got \(position)")
        }
        guard position < maxPositions else {
            throw .cacheExhausted(reason: "sequence \(sequence) reached the context length \(maxPositions)")
        }
        let slot = position % pageSize
        let tableIndex = sequence * maxPagesPerSequence + position / pageSize
        if slot == 0 {
            pageTables[tableIndex] = try allocatePage()
        } else {
            let page = pageTables[tableIndex]
            if referenceCounts[Int(page)] > 1 {
                let copy = try allocatePage()
                pagePointer(copy).update(from: pagePointer(page), count: pageFloatCount)
                referenceCounts[Int(page)] -= 1
                pageTables[tableIndex] = copy
            }
        }
        lengths[sequence] += 1
        return (pageTables[tableIndex], slot)
    }

    private func allocatePage() throws(ModelsError) -> Int32 {
        if let page = freePages.popLast() {
            referenceCounts[Int(page)] = 1
            return page
        }
        if referenceCounts.count == slabCount * pagesPerSlab {
            guard slabCount * pagesPerSlab < maxPages else {
                throw .cacheExhausted(reason: "all \(maxPages) pages (\(maxPages * pageSize) positions) are in use")
            }
            slabs[slabCount] = .allocate(capacity: pagesPerSlab * pageFloatCount)
            slabCount += 1
        }
        referenceCounts.append(1)
        return Int32(referenceCounts.count - 1)
    }

    // MARK: Reading

    @inline(__always)
    func pagePointer(_ page: Int32) -> UnsafeMutablePointer<KVElement> {
        let p = Int(page)
        return slabs[p / pagesPerSlab].unsafelyUnwrapped + (p % pagesPerSlab) * pageFloatCount
    }

    /// Floats from a page's start to `layer`'s transposed keys.
    @inline(__always)
    func keyOffset(layer: Int) -> Int { layer &* 2 &* pageSize &* kvWidth }

    /// Floats from a page's start to `layer`'s values (slot 0).
    @inline(__always)
    func valueOffset(layer: Int) -> Int { (layer &* 2 &+ 1) &* pageSize &* kvWidth }

    /// Element `index` of the key at `slot` of `page`, `layer`.
    @inline(__always)
    func key(page: Int32, layer: Int, slot: Int, index: Int) -> Float {
        Float(Float16(bitPattern: pagePointer(page)[keyOffset(layer: layer) &+ index &* pageSize &+ slot]))
    }

    /// The values of `layer` at `slot` of `page`: `kvWidth` f16 bit patterns.
    @inline(__always)
    func valuePointer(page: Int32, layer: Int, slot: Int) -> UnsafeMutablePointer<KVElement> {
        pagePointer(page) + (valueOffset(layer: layer) &+ slot &* kvWidth)
    }

    /// Writes one position's keys and values (`kvWidth` floats each, rounded to f16).
    @inline(__always)
    func store(key: UnsafePointer<Float>, value: UnsafePointer<Float>, page: Int32, layer: Int, slot: Int) {
        let keys = pagePointer(page) + (keyOffset(layer: layer) &+ slot)
        for j in 0..<kvWidth { keys[j &* pageSize] = Float16(key[j]).bitPattern }
        let values = valuePointer(page: page, layer: layer, slot: slot)
        for j in 0..<kvWidth { values[j] = Float16(value[j]).bitPattern }
    }

    /// Bytes one position takes in every layer (keys and values, f16).
    public var bytesPerPosition: Int { Self.bytesPerPosition(layerCount: layerCount, kvWidth: kvWidth) }

    /// Bytes one position takes for a model of this shape (keys and values, f16).
    public static func bytesPerPosition(layerCount: Int, kvWidth: Int) -> Int {
        layerCount * 2 * kvWidth * MemoryLayout<KVElement>.size
    }

    /// The slab table, for the C attention kernel: page p starts at
    /// `slabs[p / pagesPerSlab] + (p % pagesPerSlab) × pageFloatCount`.
    var slabTable: UnsafePointer<UnsafePointer<KVElement>?> {
        UnsafeRawPointer(slabs).assumingMemoryBound(to: UnsafePointer<KVElement>?.self)
    }

    /// The page table of `sequence`: `(length + pageSize - 1) / pageSize` page ids.
    @inline(__always)
    func pageTable(_ sequence: Int) -> UnsafePointer<Int32> {
        UnsafePointer(pageTables + sequence * maxPagesPerSequence)
    }
}
