import GGUF
import Kernels
import TensorCore
import Testing
import TestSupport

/// The fast decoders and matrix products against the slow paths: TensorCore's
/// ggml-mirroring `dequantize` (itself checked against gguf-py) and scalar loops.
struct MatrixKernelTests {
    /// Random blocks of `type` with sane fp16 scales (random scale bits could be NaN or huge).
    static func randomBlocks(_ type: GGMLType, weights: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var bytes = (0..<type.byteCount(elements: weights)!).map { _ in UInt8(truncatingIfNeeded: next()) }
        func setHalf(_ offset: Int, _ value: Float) {
            let bits = Float16(value).bitPattern
            bytes[offset] = UInt8(bits & 0xFF)
            bytes[offset + 1] = UInt8(bits >> 8)
        }
        let blocks = weights / type.blockSize
        for b in 0..<blocks {
            let base = b * type.bytesPerBlock
            let scale = Float(Int(next() % 1000) + 1) / 10_000
            switch type {
            case .q4_0, .q8_0: setHalf(base, scale)
            case .q4_1:
                setHalf(base, scale)
                setHalf(base + 2, -Float(next() % 100) / 1000)
            case .f16: setHalf(base, Float(Int(next() % 2001) - 1000) / 500)
            default: break
            }
        }
        return bytes
    }

    @Test(arguments: [GGMLType.q4_0, .q4_1, .q8_0, .f16])
    func fastDecodersEqualTheReferenceDequantiser(_ type: GGMLType) throws {
        let count = 1536
        let bytes = Self.randomBlocks(type, weights: count, seed: UInt64(type.rawValue))
        let reference = try bytes.withUnsafeBytes { try dequantize(type, from: $0, count: count) }
        var fast = [Float](repeating: .nan, count: count)
        var portable = [Float](repeating: .nan, count: count)
        bytes.withUnsafeBytes { raw in
            fast.withUnsafeMutableBufferPointer { RowDecoding.decode(type, from: raw.baseAddress!, count: count, into: $0.baseAddress!) }
            portable.withUnsafeMutableBufferPointer { RowDecoding.decodePortable(type, from: raw.baseAddress!, count: count, into: $0.baseAddress!) }
        }
        // q·d + m may be fused (one rounding) or not: equal within 1 ulp of the value.
        for i in 0..<count {
            #expect(abs(fast[i] - reference[i]) <= reference[i].ulp * 2 + 1e-9, "\(type) weight \(i): \(fast[i]) vs \(reference[i])")
            #expect(abs(portable[i] - reference[i]) <= reference[i].ulp * 2 + 1e-9, "\(type) weight \(i): \(portable[i]) vs \(reference[i])")
        }
    }

    @Test func dotEqualsTheScalarLoop() {
        for count in [0, 1, 31, 32, 64, 100, 576] {
            let a = (0..<count).map { Float(($0 * 37) % 19) / 7 - 1 }
            let b = (0..<count).map { Float(($0 * 11) % 23) / 5 - 2 }
            let reference = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let fast = VectorKernels.dot(a, b, count: count)
            let portable = VectorKernels.dotPortable(a, b, count: count)
            #expect(abs(Double(fast) - reference) < 1e-3, "count \(count)")
            #expect(abs(Double(portable) - reference) < 1e-3, "count \(count)")
        }
    }

    @Test(arguments: [GGMLType.q4_1, .q8_0, .f32])
    func batchedMatrixProductEqualsScalarReference(_ type: GGMLType) throws {
        let rows = 70, columns = 96, batch = 5
        let data: [UInt8]
        if type == .f32 {
            data = (0..<rows * columns).flatMap { i -> [UInt8] in
                withUnsafeBytes(of: (Float((i * 13) % 29) / 29 - 0.5).bitPattern.littleEndian) { Array($0) }
            }
        } else {
            data = Self.randomBlocks(type, weights: rows * columns, seed: 99)
        }
        let weights = try data.withUnsafeBytes { try dequantize(type, from: $0, count: rows * columns) }
        let input = (0..<batch * columns).map { Float(($0 * 7) % 17) / 8 - 1 }
        let bias = (0..<rows).map { Float($0) / 10 }
        var output = [Float](repeating: .nan, count: batch * rows)
        let pool = WorkerPool(threadCount: 2)
        let rowBuffers = UnsafeMutablePointer<Float>.allocate(capacity: 2 * MatrixMultiply.rowBufferFloats(columns: columns))
        defer { rowBuffers.deallocate() }
        try data.withUnsafeBytes { raw in
            let matrix = try WeightMatrix(name: "test", type: type, rows: rows, columns: columns, data: raw)
            try bias.withUnsafeBufferPointer { biasPointer in
                try output.withUnsafeMutableBufferPointer { out in
                    let jobs = [MatrixJob(weight: matrix, output: out.baseAddress!, outputStride: rows, bias: biasPointer.baseAddress)]
                    try jobs.withUnsafeBufferPointer { jobs in
                        try input.withUnsafeBufferPointer { x in
                            MatrixMultiply.multiply(jobs, input: x.baseAddress!, inputStride: columns, batch: batch, pool: pool,
                                                    rowBuffers: rowBuffers, rowBufferStride: MatrixMultiply.rowBufferFloats(columns: columns))
                            _ = try #require(x.baseAddress)
                        }
                    }
                }
            }
        }
        for b in 0..<batch {
            for r in 0..<rows {
                var expected = Double(bias[r])
                for c in 0..<columns { expected += Double(weights[r * columns + c]) * Double(input[b * columns + c]) }
                #expect(abs(Double(output[b * rows + r]) - expected) < 1e-3, "\(type) batch \(b) row \(r)")
            }
        }
    }

    @Test func unsupportedTypesAreRejectedWithTheSupportedList() {
        let bytes = [UInt8](repeating: 0, count: 64)
        do {
            _ = try bytes.withUnsafeBytes { (raw) throws(KernelsError) in try WeightMatrix(name: "blk.0.attn_q.weight", type: .iq2_xxs, rows: 1, columns: 256, data: raw) }
            Issue.record("iq2_xxs accepted")
        } catch {
            #expect("\(error)".contains("blk.0.attn_q.weight"))
            #expect("\(error)".contains("q4_1"))
        }
    }

    @Test func workerPoolRunsEveryTaskOnceAcrossConcurrentCallers() async {
        let pool = WorkerPool(threadCount: 2)
        await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    let counts = UnsafeMutablePointer<Int>.allocate(capacity: 1000)
                    counts.initialize(repeating: 0, count: 1000)
                    defer { counts.deallocate() }
                    for _ in 0..<50 {
                        pool.run(taskCount: 1000) { task, _ in counts[task] += 1 }
                    }
                    return (0..<1000).allSatisfy { counts[$0] == 50 }
                }
            }
            for await ok in group { #expect(ok) }
        }
    }
}

/// A row's result must not depend on the batch it is computed in: small batches use
/// the fused decode-and-dot, large ones decode once and reuse the row.
struct BatchInvarianceTests {
    @Test(arguments: [GGMLType.q4_1, .q4_0, .q8_0, .f16])
    func fusedAndTwoPassProductsAreBitwiseEqual(_ type: GGMLType) throws {
        let rows = 42, columns = 128, batch = MatrixMultiply.fusedBatchLimit + 6
        let data = MatrixKernelTests.randomBlocks(type, weights: rows * columns, seed: 5)
        let input = (0..<batch * columns).map { Float(($0 * 7) % 17) / 8 - 1 }
        let pool = WorkerPool(threadCount: 2)
        let rowBuffers = UnsafeMutablePointer<Float>.allocate(capacity: 2 * MatrixMultiply.rowBufferFloats(columns: columns))
        defer { rowBuffers.deallocate() }
        func product(batchStart: Int, batchCount: Int) throws -> [Float] {
            var output = [Float](repeating: .nan, count: batchCount * rows)
            try data.withUnsafeBytes { raw in
                let matrix = try WeightMatrix(name: "m", type: type, rows: rows, columns: columns, data: raw)
                output.withUnsafeMutableBufferPointer { out in
                    let jobs = [MatrixJob(weight: matrix, output: out.baseAddress!, outputStride: rows)]
                    jobs.withUnsafeBufferPointer { jobs in
                        input.withUnsafeBufferPointer { x in
                            MatrixMultiply.multiply(jobs, input: x.baseAddress! + batchStart * columns, inputStride: columns,
                                                    batch: batchCount, pool: pool, rowBuffers: rowBuffers, rowBufferStride: MatrixMultiply.rowBufferFloats(columns: columns))
                        }
                    }
                }
            }
            return output
        }
        let together = try product(batchStart: 0, batchCount: batch)
        for b in 0..<batch {
            let alone = try product(batchStart: b, batchCount: 1)
            #expect(Array(together[b * rows ..< (b + 1) * rows]) == alone, "\(type) batch row \(b)")
        }
    }
}
