import CTrainingKernels
import Kernels

/// The float32 matrix products of the training engine, spread over a `WorkerPool`.
///
/// Two shapes cover every product of the forward and backward passes (row-major,
/// strides in floats):
/// - `nt`: `C[m][n] (+)= Σ_k A[m][k] · B[n][k]`: `y = x·Wᵀ`, attention scores `q·kᵀ`;
/// - `nn`: `C[m][n] (+)= Σ_k A[m][k] · B[k][n]`: `dx = dy·W`, `dW = dyᵀ·x` (after `transpose`).
///
/// Tiles are fixed by the shape, never by the thread count, and each output is computed
/// by one tile in a fixed order, so results are the same on 1 or 64 threads (resume after
/// a kill gives the same weights bit for bit). The C kernels (`CTrainingKernels`) have an
/// AVX-512 and a portable variant; `ntReference` / `nnReference` are the plain loops the
/// tests hold them to.
public enum Matmul {
    /// Instruction set of the C kernels: the best this CPU runs, unless a test forces one.
    public enum InstructionSet: Int32, Sendable, CaseIterable {
        case portable = 0
        case avx512 = 1
        public static var best: InstructionSet { InstructionSet(rawValue: quorum_train_best_isa()) ?? .portable }
    }

    /// Rows and columns of one task's output tile.
    static let tileRows = 64, tileColumns = 256

    /// `C[m][n] (+)= Σ_k A[m][k] · B[n][k]` for `m < rows`, `n < columns`.
    public static func nt(rows: Int, columns: Int, depth: Int,
                          a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                          c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool,
                          pool: WorkerPool?, instructionSet: InstructionSet = .best) {
        tiled(rows: rows, columns: columns, pool: pool) { m0, m1, n0, n1 in
            quorum_train_gemm_nt(instructionSet.rawValue, Int64(depth), a, Int64(lda), b, Int64(ldb), c, Int64(ldc),
                                 accumulate ? 1 : 0, Int64(m0), Int64(m1), Int64(n0), Int64(n1))
        }
    }

    /// `C[m][n] (+)= Σ_k A[m][k] · B[k][n]` for `m < rows`, `n < columns`.
    public static func nn(rows: Int, columns: Int, depth: Int,
                          a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                          c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool,
                          pool: WorkerPool?, instructionSet: InstructionSet = .best) {
        tiled(rows: rows, columns: columns, pool: pool) { m0, m1, n0, n1 in
            quorum_train_gemm_nn(instructionSet.rawValue, Int64(depth), a, Int64(lda), b, Int64(ldb), c, Int64(ldc),
                                 accumulate ? 1 : 0, Int64(m0), Int64(m1), Int64(n0), Int64(n1))
        }
    }

    /// `destination[c][r] = source[r][c]` for `r < rows`, `c < columns`.
    public static func transpose(rows: Int, columns: Int, source: UnsafePointer<Float>, sourceStride: Int,
                                 destination: UnsafeMutablePointer<Float>, destinationStride: Int, pool: WorkerPool?) {
        let chunk = 64
        let tasks = (rows + chunk - 1) / chunk
        run(tasks, pool) { t in
            quorum_train_transpose(source, Int64(sourceStride), Int64(columns), Int64(t * chunk),
                                   Int64(min(rows, (t + 1) * chunk)), destination, Int64(destinationStride))
        }
    }

    /// The simple NT loop (Double sums): the reference for `nt`.
    public static func ntReference(rows: Int, columns: Int, depth: Int,
                                   a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                                   c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        for m in 0..<rows {
            for n in 0..<columns {
                var sum = 0.0
                for k in 0..<depth { sum += Double(a[m * lda + k]) * Double(b[n * ldb + k]) }
                c[m * ldc + n] = accumulate ? c[m * ldc + n] + Float(sum) : Float(sum)
            }
        }
    }

    /// The simple NN loop (Double sums): the reference for `nn`.
    public static func nnReference(rows: Int, columns: Int, depth: Int,
                                   a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                                   c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        for m in 0..<rows {
            for n in 0..<columns {
                var sum = 0.0
                for k in 0..<depth { sum += Double(a[m * lda + k]) * Double(b[k * ldb + n]) }
                c[m * ldc + n] = accumulate ? c[m * ldc + n] + Float(sum) : Float(sum)
            }
        }
    }

    private static func tiled(rows: Int, columns: Int, pool: WorkerPool?,
                              _ body: (_ m0: Int, _ m1: Int, _ n0: Int, _ n1: Int) -> Void) {
        guard rows > 0, columns > 0 else { return }
        let rowTiles = (rows + tileRows - 1) / tileRows
        let columnTiles = (columns + tileColumns - 1) / tileColumns
        run(rowTiles * columnTiles, pool) { t in
            let r = t / columnTiles, col = t % columnTiles
            body(r * tileRows, min(rows, (r + 1) * tileRows), col * tileColumns, min(columns, (col + 1) * tileColumns))
        }
    }

    static func run(_ taskCount: Int, _ pool: WorkerPool?, _ body: (Int) -> Void) {
        if let pool, taskCount > 1 {
            pool.run(taskCount: taskCount) { task, _ in body(task) }
        } else {
            for task in 0..<taskCount { body(task) }
        }
    }
}
