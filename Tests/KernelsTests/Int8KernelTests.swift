import Kernels
import TensorCore
import Testing

/// The int8 matrix path (C kernels over packed weights) against its simple Swift
/// version `Int8Reference` — bit for bit, on every instruction set this CPU has — and
/// the reference against float64 products of the dequantised operands.
struct Int8KernelTests {
    /// The kernel's paths this machine can run.
    static let instructionSets = Int8InstructionSet.allCases.filter { $0.rawValue <= Int8InstructionSet.best.rawValue }

    /// Activations with a zero block, large and tiny values.
    static func activations(batch: Int, columns: Int) -> [Float] {
        (0..<batch * columns).map { i in
            let column = i % columns
            if column < 32 && i / columns == 1 { return 0 }   // an all-zero block (d = 0)
            return Float((i * 7919) % 2003 - 1001) / Float(column % 3 == 0 ? 37 : 3)
        }
    }

    /// The int8 product of `matrix` and `input` on instruction set `isa`: the engine's
    /// path (`MatrixMultiply` over a pool) for the best set, the kernel directly for others.
    static func int8Product(_ matrix: WeightMatrix, input: [Float], batch: Int, bias: [Float]?,
                            isa: Int8InstructionSet) -> [Float] {
        let rows = matrix.rows, columns = matrix.columns
        let packed = matrix.packedForInt8()
        let activations = QuantizedActivations(rows: batch, columns: columns)
        var output = [Float](repeating: .nan, count: batch * rows)
        output.withUnsafeMutableBufferPointer { out in
            (bias ?? []).withUnsafeBufferPointer { biasPointer in
                let biasBase = bias == nil ? nil : biasPointer.baseAddress
                input.withUnsafeBufferPointer { x in
                    if isa == .best {
                        let pool = WorkerPool(threadCount: 2)
                        let rowBuffers = UnsafeMutablePointer<Float>.allocate(capacity: 2 * columns)
                        defer { rowBuffers.deallocate() }
                        let jobs = [MatrixJob(weight: packed, output: out.baseAddress!, outputStride: rows, bias: biasBase)]
                        jobs.withUnsafeBufferPointer { jobs in
                            MatrixMultiply.multiply(jobs, input: x.baseAddress!, inputStride: columns, batch: batch, pool: pool,
                                                    rowBuffers: rowBuffers, rowBufferStride: columns, activations: activations)
                        }
                    } else {
                        activations.quantize(x.baseAddress!, stride: columns, rows: batch, columns: columns, instructionSet: isa)
                        packed.packed!.multiply(rows: 0..<rows, activations: activations, batch: batch, output: out.baseAddress!,
                                                outputStride: rows, bias: biasBase, instructionSet: isa)
                    }
                }
            }
        }
        return output
    }

    @Test func quantisationEqualsTheReferenceOnEveryPath() {
        let columns = 96, batch = 3
        let input = Self.activations(batch: batch, columns: columns)
        for isa in Self.instructionSets {
            let activations = QuantizedActivations(rows: batch, columns: columns)
            input.withUnsafeBufferPointer {
                activations.quantize($0.baseAddress!, stride: columns, rows: batch, columns: columns, instructionSet: isa)
            }
            for b in 0..<batch {
                let fast = activations.row(b)
                let reference = Int8Reference.quantize(Array(input[b * columns ..< (b + 1) * columns]))
                #expect(fast.quants == reference.quants, "\(isa) row \(b)")
                #expect(fast.scales == reference.scales && fast.sums == reference.sums && fast.quantSums == reference.quantSums,
                        "\(isa) row \(b)")
                #expect(fast.halfSums == reference.halfSums, "\(isa) row \(b)")
            }
        }
    }

    /// Random blocks of `type` with sane scales: `MatrixKernelTests.randomBlocks`, plus
    /// for the k-quants f16 d (and dmin) in a model's range instead of random bits.
    static func blocks(_ type: GGMLType, weights: Int, seed: UInt64) -> [UInt8] {
        var bytes = MatrixKernelTests.randomBlocks(type, weights: weights, seed: seed)
        func setHalf(_ offset: Int, _ value: Float) {
            let bits = Float16(value).bitPattern
            bytes[offset] = UInt8(bits & 0xFF)
            bytes[offset + 1] = UInt8(bits >> 8)
        }
        for b in 0..<weights / 256 {
            let x = Float((b * 37 + Int(seed)) % 97 + 1)
            switch type {
            case .q4_K:
                setHalf(b * 144, x / 20_000)
                setHalf(b * 144 + 2, x / 50_000)
            case .q6_K:
                setHalf(b * 210 + 208, -x / 30_000)
            default: break
            }
        }
        return bytes
    }

    @Test(arguments: [GGMLType.q4_0, .q4_1, .q8_0, .q4_K, .q6_K])
    func productEqualsTheSwiftReferenceBitForBitOnEveryPath(_ type: GGMLType) throws {
        // 70 rows: four full packed groups and a padded one; k-quants need 256-column super-blocks.
        let rows = 70, columns = type.blockSize == 256 ? 512 : 128, batch = 11
        let data = Self.blocks(type, weights: rows * columns, seed: 11)
        let input = Self.activations(batch: batch, columns: columns)
        let bias = (0..<rows).map { Float($0) / 10 - 3 }
        try data.withUnsafeBytes { raw in
            let matrix = try WeightMatrix(name: "m", type: type, rows: rows, columns: columns, data: raw)
            #expect(matrix.packedForInt8().packed != nil)
            let quantized = (0..<batch).map { Int8Reference.quantize(Array(input[$0 * columns ..< ($0 + 1) * columns])) }
            for isa in Self.instructionSets {
                let output = Self.int8Product(matrix, input: input, batch: batch, bias: bias, isa: isa)
                for b in 0..<batch {
                    for r in 0..<rows {
                        let expected = Int8Reference.dot(matrix, row: r, activation: quantized[b], bias: bias[r])
                        #expect(output[b * rows + r].bitPattern == expected.bitPattern,
                                "\(type) \(isa) batch row \(b) weight row \(r): \(output[b * rows + r]) vs \(expected)")
                    }
                }
                // The same rows alone (batch 1) give the same bits: results do not depend on the batch.
                for b in [0, 3, 6, 10] {
                    let alone = Self.int8Product(matrix, input: Array(input[b * columns ..< (b + 1) * columns]), batch: 1,
                                                 bias: bias, isa: isa)
                    #expect(alone == Array(output[b * rows ..< (b + 1) * rows]), "\(type) \(isa) row \(b) alone")
                }
            }
        }
    }

    @Test(arguments: [GGMLType.q4_0, .q4_1, .q8_0])
    func referenceEqualsTheFloat64ProductOfTheDequantisedOperands(_ type: GGMLType) throws {
        let rows = 20, columns = 96
        let data = MatrixKernelTests.randomBlocks(type, weights: rows * columns, seed: 3)
        let weights = try data.withUnsafeBytes { try dequantize(type, from: $0, count: rows * columns) }
        let input = Self.activations(batch: 1, columns: columns)
        let a = Int8Reference.quantize(input)
        try data.withUnsafeBytes { raw in
            let matrix = try WeightMatrix(name: "m", type: type, rows: rows, columns: columns, data: raw)
            for r in 0..<rows {
                var expected = 0.0, magnitude = 0.0
                for c in 0..<columns {
                    let term = Double(weights[r * columns + c]) * Double(a.quants[c]) * Double(a.scales[c / 32])
                    expected += term
                    magnitude += abs(term)
                }
                let actual = Double(Int8Reference.dot(matrix, row: r, activation: a))
                #expect(abs(actual - expected) <= 1e-5 * magnitude + 1e-6, "\(type) row \(r): \(actual) vs \(expected)")
            }
            // Exact integer block sums, recomputed from the dequantised weights.
            let sums = Int8Reference.blockSums(matrix, row: 0, quants: a.quants)
            let (_, scales, minimums) = Int8Reference.integerRow(matrix, row: 0)
            for k in 0..<columns / 32 {
                var integer = 0.0
                for c in k * 32 ..< (k + 1) * 32 {
                    integer += (Double(weights[c]) - Double(minimums[k])) / Double(scales[k]) * Double(a.quants[c])
                }
                #expect(abs(Double(sums[k]) - integer) < 1e-3, "block \(k)")
            }
        }
    }

    @Test(arguments: [GGMLType.q4_K, .q6_K])
    func kQuantReferenceEqualsTheFloat64ProductOfTheDequantisedOperands(_ type: GGMLType) throws {
        let rows = 20, columns = 512
        let data = Self.blocks(type, weights: rows * columns, seed: 5)
        // TensorCore's dequantiser (a port of ggml's dequantize_row_*) is the independent decoding.
        let weights = try data.withUnsafeBytes { try dequantize(type, from: $0, count: rows * columns) }
        let input = Self.activations(batch: 2, columns: columns)
        let a = Int8Reference.quantize(Array(input[columns...]))
        try data.withUnsafeBytes { raw in
            let matrix = try WeightMatrix(name: "m", type: type, rows: rows, columns: columns, data: raw)
            for r in 0..<rows {
                var expected = 0.0, magnitude = 0.0
                for c in 0..<columns {
                    let term = Double(weights[r * columns + c]) * Double(a.quants[c]) * Double(a.scales[c / 32])
                    expected += term
                    magnitude += abs(term)
                }
                let actual = Double(Int8Reference.dot(matrix, row: r, activation: a))
                #expect(abs(actual - expected) <= 1e-5 * magnitude + 1e-9, "\(type) row \(r): \(actual) vs \(expected)")
            }
            // The reference's integer decoding, scaled back, is the dequantised weight exactly.
            let row = Int8Reference.kQuantRow(matrix, row: 3)
            for c in 0..<columns {
                let s = c / 256
                let value: Float = type == .q4_K
                    ? row.d[s] * Float(row.subScales[c / 32]) * Float(row.values[c]) - row.dmin[s] * Float(row.subMinimums[c / 32])
                    : row.d[s] * Float(row.subScales[c / 16]) * Float(row.values[c])
                #expect(abs(value - weights[3 * columns + c]) <= weights[3 * columns + c].ulp, "\(type) column \(c)")
            }
        }
    }

    @Test func swiGLUMatchesTheLibmVersion() {
        let count = 1000
        let up = (0..<count).map { Float($0 % 17) / 4 - 2 }
        let gate = (0..<count).map { Float($0) / 10 - 50 }
        var fast = gate, simple = gate
        up.withUnsafeBufferPointer { u in
            fast.withUnsafeMutableBufferPointer { VectorKernels.swiGLU(gate: $0.baseAddress!, up: u.baseAddress!, count: count) }
            simple.withUnsafeMutableBufferPointer { VectorKernels.swiGLUSimple(gate: $0.baseAddress!, up: u.baseAddress!, count: count) }
        }
        for i in 0..<count {
            #expect(abs(fast[i] - simple[i]) <= 1e-6 * abs(simple[i]) + 1e-30, "gate \(gate[i])")
        }
    }

    @Test func rmsNormMatchesTheSimpleLoop() {
        for count in [7, 64, 576, 1539] {
            let input = (0..<count).map { Float(($0 * 31) % 97) / 9 - 5 }
            let weight = (0..<count).map { 1 + Float($0 % 13) / 50 }
            var fast = [Float](repeating: .nan, count: count), simple = fast
            input.withUnsafeBufferPointer { x in
                weight.withUnsafeBufferPointer { w in
                    fast.withUnsafeMutableBufferPointer { VectorKernels.rmsNorm(x.baseAddress!, weight: w.baseAddress!, epsilon: 1e-5, into: $0.baseAddress!, count: count) }
                    simple.withUnsafeMutableBufferPointer { VectorKernels.rmsNormSimple(x.baseAddress!, weight: w.baseAddress!, epsilon: 1e-5, into: $0.baseAddress!, count: count) }
                }
            }
            for i in 0..<count { #expect(abs(fast[i] - simple[i]) <= 2 * simple[i].ulp, "count \(count) element \(i)") }
        }
    }

    @Test func typesWithoutAnInt8KernelStayUnpacked() throws {
        let data = MatrixKernelTests.randomBlocks(.f16, weights: 64, seed: 1)
        try data.withUnsafeBytes { raw in
            let matrix = try WeightMatrix(name: "m", type: .f16, rows: 2, columns: 32, data: raw)
            #expect(matrix.packedForInt8().packed == nil)
        }
    }
}
