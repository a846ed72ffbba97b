import Testing
import GGUF
import TensorCore
import TestSupport

/// Row access and whole tensors of the default model (SmolLM2-135M-Instruct Q4_1: Q4_1
/// layer matrices, a Q8_0 token embedding, F32 norms) against gguf-py's numbers.
struct DequantizeRowTests {
    /// Rows 0 and 1 of a matrix from `dequantizeRow` equal gguf-py's dequantisation of
    /// the model's first two rows (fixtures `model_*_rows`).
    @Test(arguments: [("token_embd.weight", "model_token_embd_rows"), ("blk.0.attn_q.weight", "model_attn_q_rows")])
    func rowsOfTheModelMatchGGUFPy(_ tensorName: String, _ fixture: String) throws {
        let file = try GGUFFile(path: TestPaths.defaultModel().path)
        let tensor = try file.tensor(tensorName)
        let columns = tensor.shape[0]
        let expected = try QuantFixtures.floats(fixture, ".f32")
        #expect(expected.count == 2 * columns)
        var row = [Float](repeating: 0, count: columns)
        for r in 0..<2 {
            try row.withUnsafeMutableBufferPointer { destination in
                try dequantizeRow(tensor.type, of: file.data(for: tensor), row: r, columns: columns, into: destination)
            }
            let comparison = FloatComparison(row, Array(expected[r * columns ..< (r + 1) * columns]))
            #expect(comparison.bitMismatches == 0, "\(tensorName) row \(r): \(comparison)")
        }
        #expect(tensor.type.rowByteCount(columns: columns) == columns / tensor.type.blockSize * tensor.type.bytesPerBlock)
    }

    /// Whole tensors dequantised through `GGUFFile` match gguf-py's checksum, sum and
    /// sampled values (the manifest's `tensors`).
    @Test func wholeTensorsMatchGGUFPyChecksums() throws {
        let fixtures = try QuantFixtures.load()
        let file = try GGUFFile(path: TestPaths.defaultModel().path)
        #expect(!fixtures.tensors.isEmpty)
        for summary in fixtures.tensors {
            let tensor = try file.tensor(summary.tensor)
            #expect(tensor.type.name == summary.type)
            let values = try dequantize(tensor.type, from: file.data(for: tensor), count: tensor.elementCount)
            #expect(values.count == summary.count)
            let checksum = values.withUnsafeBufferPointer(positionWeightedChecksum)
            #expect(String(checksum, radix: 16).leftPadded(to: 16) == summary.checksum,
                    "\(summary.tensor): checksum differs from gguf-py's")
            let sum = values.reduce(0.0) { $0 + Double($1) }
            // float64 sums of the same values in a different order (numpy sums pairwise).
            #expect(abs(sum - summary.sum) <= 1e-9 * max(1, abs(summary.sum)) + 1e-6, "\(summary.tensor): sum \(sum) vs \(summary.sum)")
            for sample in summary.samples {
                #expect(values[sample.index].bitPattern == sample.bits,
                        "\(summary.tensor)[\(sample.index)] = \(values[sample.index]), gguf-py \(Float(bitPattern: sample.bits))")
            }
        }
    }

    @Test func rowOutsideTheMatrixIsRejected() throws {
        let bytes = [UInt8](repeating: 0, count: 2 * 40)   // two Q4_1 rows of 64 weights
        var row = [Float](repeating: 0, count: 64)
        try bytes.withUnsafeBytes { matrix in
            try row.withUnsafeMutableBufferPointer { destination in
                try dequantizeRow(.q4_1, of: matrix, row: 1, columns: 64, into: destination)
                #expect(throws: TensorCoreError.rowOutOfRange(row: 2, rows: 2)) {
                    try dequantizeRow(.q4_1, of: matrix, row: 2, columns: 64, into: destination)
                }
                #expect(throws: TensorCoreError.partialBlock(.q4_1, count: 48)) {
                    try dequantizeRow(.q4_1, of: matrix, row: 0, columns: 48, into: destination)
                }
                #expect(throws: TensorCoreError.destinationTooSmall(count: 64, capacity: 32)) {
                    try dequantizeRow(.q4_1, of: matrix, row: 0, columns: 64,
                                      into: UnsafeMutableBufferPointer(rebasing: destination[0..<32]))
                }
            }
        }
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
