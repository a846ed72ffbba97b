import Testing
import Kernels
import Training

/// The training engine's C matrix products against the plain Double-sum loops, on every
/// instruction set this CPU runs, on shapes with ragged edges (tails of the 4×4 and 8×32
/// blocks and of the 16-lane chunks).
@Suite struct MatmulTests {
    static let shapes: [(rows: Int, columns: Int, depth: Int)] = [
        (1, 1, 1), (3, 5, 7), (8, 32, 16), (13, 37, 29), (64, 100, 576), (70, 260, 33), (5, 300, 1),
    ]

    static var instructionSets: [Matmul.InstructionSet] {
        Matmul.InstructionSet.best == .avx512 ? [.portable, .avx512] : [.portable]
    }

    func random(_ count: Int, seed: UInt64) -> [Float] {
        var r = TestRandom(seed: seed)
        return (0..<count).map { _ in r.nextSigned() }
    }

    @Test(arguments: instructionSets)
    func ntMatchesReference(isa: Matmul.InstructionSet) {
        let pool = WorkerPool(threadCount: 2)
        for (i, s) in Self.shapes.enumerated() {
            let lda = s.depth + 3, ldb = s.depth + 1, ldc = s.columns + 2
            let a = random(s.rows * lda, seed: UInt64(i)), b = random(s.columns * ldb, seed: UInt64(100 + i))
            for accumulate in [false, true] {
                var fast = random(s.rows * ldc, seed: 7), slow = fast
                Matmul.nt(rows: s.rows, columns: s.columns, depth: s.depth, a: a, lda: lda, b: b, ldb: ldb,
                          c: &fast, ldc: ldc, accumulate: accumulate, pool: pool, instructionSet: isa)
                Matmul.ntReference(rows: s.rows, columns: s.columns, depth: s.depth, a: a, lda: lda, b: b, ldb: ldb,
                                   c: &slow, ldc: ldc, accumulate: accumulate)
                let error = zip(fast, slow).map { abs($0 - $1) }.max()!
                #expect(error <= 1e-5 * Float(s.depth).squareRoot() + 1e-6, "nt \(s) accumulate \(accumulate): \(error)")
            }
        }
    }

    @Test(arguments: instructionSets)
    func nnMatchesReference(isa: Matmul.InstructionSet) {
        let pool = WorkerPool(threadCount: 2)
        for (i, s) in Self.shapes.enumerated() {
            let lda = s.depth + 2, ldb = s.columns + 5, ldc = s.columns + 1
            let a = random(s.rows * lda, seed: UInt64(i)), b = random(s.depth * ldb, seed: UInt64(200 + i))
            for accumulate in [false, true] {
                var fast = random(s.rows * ldc, seed: 9), slow = fast
                Matmul.nn(rows: s.rows, columns: s.columns, depth: s.depth, a: a, lda: lda, b: b, ldb: ldb,
                          c: &fast, ldc: ldc, accumulate: accumulate, pool: pool, instructionSet: isa)
                Matmul.nnReference(rows: s.rows, columns: s.columns, depth: s.depth, a: a, lda: lda, b: b, ldb: ldb,
                                   c: &slow, ldc: ldc, accumulate: accumulate)
                let error = zip(fast, slow).map { abs($0 - $1) }.max()!
                #expect(error <= 1e-5 * Float(s.depth).squareRoot() + 1e-6, "nn \(s) accumulate \(accumulate): \(error)")
            }
        }
    }

    /// The thread count never changes a result (resume after a kill relies on it).
    @Test(arguments: instructionSets)
    func resultsDoNotDependOnThreads(isa: Matmul.InstructionSet) {
        let (rows, columns, depth) = (150, 300, 200)
        let a = random(rows * depth, seed: 1), b = random(columns * depth, seed: 2), bn = random(depth * columns, seed: 3)
        var results: [[Float]] = []
        for threads in [1, 2, 3] {
            let pool = WorkerPool(threadCount: threads)
            var c = [Float](repeating: 0, count: rows * columns), d = c
            Matmul.nt(rows: rows, columns: columns, depth: depth, a: a, lda: depth, b: b, ldb: depth, c: &c, ldc: columns,
                      accumulate: false, pool: pool, instructionSet: isa)
            Matmul.nn(rows: rows, columns: columns, depth: depth, a: a, lda: depth, b: bn, ldb: columns, c: &d, ldc: columns,
                      accumulate: false, pool: pool, instructionSet: isa)
            results.append(c + d)
        }
        #expect(results[0] == results[1] && results[1] == results[2])
    }

    @Test func transposeIsExact() {
        let (rows, columns) = (37, 53)
        let source = random(rows * (columns + 1), seed: 4)
        var destination = [Float](repeating: -1, count: columns * (rows + 2))
        Matmul.transpose(rows: rows, columns: columns, source: source, sourceStride: columns + 1,
                         destination: &destination, destinationStride: rows + 2, pool: WorkerPool(threadCount: 2))
        for r in 0..<rows {
            for c in 0..<columns { #expect(destination[c * (rows + 2) + r] == source[r * (columns + 1) + c]) }
        }
    }
}
