import Foundation
import GGUF
import TensorCore

/// The weight types a trained model can be exported as. Norms and biases stay f32.
public enum ExportType: String, Sendable, CaseIterable, Codable {
    case f32, f16
    case q8_0 = "q8_0"

    var ggmlType: GGMLType {
        switch self {
        case .f32: .f32
        case .f16: .f16
        case .q8_0: .q8_0
        }
    }

    /// `general.file_type` (llama.cpp's `llama_ftype`).
    var fileType: UInt32 {
        switch self {
        case .f32: 0
        case .f16: 1
        case .q8_0: 7
        }
    }

    public static func named(_ name: String) throws(TrainingError) -> ExportType {
        guard let type = ExportType(rawValue: name.lowercased()) else {
            throw .unsupportedExportType(name, supported: allCases.map(\.rawValue))
        }
        return type
    }
}

/// How much of a training run's weight change an export type keeps.
///
/// Requantising to 4 bits erases updates made at learning rates of 1e-6 to 1e-5 (a Q4_1
/// step is about a fifteenth of a block's range), so export measures, per type, the
/// relative error of the update after a round trip through the type:
/// `‖(dequant(quant(θ)) − θ₀) − (θ − θ₀)‖ / ‖θ − θ₀‖` over the matrices (0 keeps all of
/// the update, 1 or more keeps nothing of it).
public struct UpdateRetention: Sendable, Equatable {
    public let type: ExportType
    /// ‖θ − θ₀‖ / ‖θ₀‖ over the matrices.
    public let relativeUpdate: Double
    public let updateError: Double
    public var keptFraction: Double { max(0, 1 - updateError) }
}

/// Writes trained weights as GGUF files the embedded engine and llama.cpp load.
public enum ModelExport {
    /// Lineage recorded in the exported file's metadata under `quorum.training.*`.
    public struct Lineage: Sendable {
        public var baseSHA256: String
        public var objective: String
        public var data: String
        public var steps: Int
        public var finalLoss: Double
        public init(baseSHA256: String, objective: String, data: String, steps: Int, finalLoss: Double) {
            self.baseSHA256 = baseSHA256
            self.objective = objective
            self.data = data
            self.steps = steps
            self.finalLoss = finalLoss
        }
    }

    /// Writes `parameters` as a GGUF of `type` at `path`: the base file's metadata (its
    /// tokenizer, template and hyper-parameters) plus the lineage, every trained tensor under
    /// its GGUF name. The file is written beside `path` and renamed over it only when
    /// complete, so an existing file is never left half-written.
    public static func write(_ parameters: ParameterArena, base: GGUFFile, type: ExportType, lineage: Lineage,
                             to path: String) throws(TrainingError) {
        let writer = try gguf(parameters, base: base, type: type, lineage: lineage)
        let temporary = path + ".partial-\(getpid())"
        do { try writer.write(to: temporary) } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw .file(error)
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw .io(path: path, reason: "cannot move the finished export into place: \(reason)")
        }
    }

    /// The same GGUF as `write`, as bytes in memory: how the trainer hands new weights to
    /// the inference engine without a file (`ModelBackend.embedded(inMemory:name:)`, or
    /// `GGUFFile(mapping: MappedFile(copying:name:))`).
    public static func serialize(_ parameters: ParameterArena, base: GGUFFile, type: ExportType,
                                 lineage: Lineage) throws(TrainingError) -> [UInt8] {
        try gguf(parameters, base: base, type: type, lineage: lineage).serialize()
    }

    static func gguf(_ parameters: ParameterArena, base: GGUFFile, type: ExportType,
                     lineage: Lineage) throws(TrainingError) -> GGUFWriter {
        var writer = GGUFWriter()
        for (key, value) in base.metadata where !key.hasPrefix("quorum.training.") {
            writer.add(key, value)
        }
        writer.add("general.file_type", .uint32(type.fileType))
        writer.add("quorum.training.base_sha256", .string(lineage.baseSHA256))
        writer.add("quorum.training.objective", .string(lineage.objective))
        writer.add("quorum.training.data", .string(lineage.data))
        writer.add("quorum.training.steps", .uint64(UInt64(lineage.steps)))
        writer.add("quorum.training.final_loss", .float64(lineage.finalLoss))
        writer.add("quorum.training.export_type", .string(type.rawValue))
        let trained = Set(parameters.layout.tensors.map(\.name))
        for tensor in parameters.layout.tensors {
            let values = UnsafeBufferPointer(start: parameters[tensor], count: tensor.count)
            let tensorType: GGMLType = tensor.rows == 1 ? .f32 : type.ggmlType
            writer.addTensor(name: tensor.name, shape: tensor.ggufShape, type: tensorType,
                             data: try encode(values, as: tensorType, tensor: tensor.name))
        }
        // Tensors the trainer does not hold (none in the supported architectures today) go across unchanged.
        for info in base.tensors where !trained.contains(info.name) {
            writer.addTensor(name: info.name, shape: info.shape, type: info.type, data: Array(base.data(for: info)))
        }
        return writer
    }

    /// The update each type keeps, measured against the base file's weights (dequantised
    /// again tensor by tensor, so no second copy of the model is held).
    public static func retention(of parameters: ParameterArena, base: GGUFFile,
                                 types: [ExportType] = ExportType.allCases) throws(TrainingError) -> [UpdateRetention] {
        var baseSquares = 0.0, updateSquares = 0.0
        var errorSquares = [Double](repeating: 0, count: types.count)
        for tensor in parameters.layout.tensors where tensor.rows > 1 {
            let info: GGUFTensorInfo
            do { info = try base.tensor(tensor.name) } catch { throw .file(error) }
            var original = [Float](repeating: 0, count: tensor.count)
            do { try dequantize(info.type, from: base.data(for: info).baseAddress!, count: tensor.count, into: &original) }
            catch { throw .untrainableTensor(path: base.path, tensor: tensor.name, type: info.type) }
            let trained = UnsafeBufferPointer(start: parameters[tensor], count: tensor.count)
            for i in 0..<tensor.count {
                baseSquares += Double(original[i]) * Double(original[i])
                let d = Double(trained[i] - original[i])
                updateSquares += d * d
            }
            for (k, type) in types.enumerated() {
                let bytes = try encode(trained, as: type.ggmlType, tensor: tensor.name)
                var roundTrip = [Float](repeating: 0, count: tensor.count)
                do { try dequantize(type.ggmlType, from: bytes, count: tensor.count, into: &roundTrip) }
                catch { throw .unsupportedExportType(type.rawValue, supported: ExportType.allCases.map(\.rawValue)) }
                var sum = 0.0
                for i in 0..<tensor.count {
                    let e = Double(roundTrip[i]) - Double(trained[i])
                    sum += e * e
                }
                errorSquares[k] += sum
            }
        }
        let update = updateSquares.squareRoot()
        return types.enumerated().map { k, type in
            UpdateRetention(type: type, relativeUpdate: update / max(baseSquares.squareRoot(), 1e-30),
                            updateError: update > 0 ? errorSquares[k].squareRoot() / update : (errorSquares[k] > 0 ? .infinity : 0))
        }
    }

    /// The bytes of `values` in `type`.
    static func encode(_ values: UnsafeBufferPointer<Float>, as type: GGMLType, tensor: String) throws(TrainingError) -> [UInt8] {
        switch type {
        case .f32:
            return Array(UnsafeRawBufferPointer(values))
        case .f16:
            var out = [UInt8](repeating: 0, count: values.count * 2)
            for (i, v) in values.enumerated() {
                let bits = Float16(v).bitPattern
                out[2 * i] = UInt8(bits & 0xFF)
                out[2 * i + 1] = UInt8(bits >> 8)
            }
            return out
        case .q8_0:
            guard values.count % 32 == 0 else {
                throw .invalidOption(name: "export type q8_0", reason: "tensor \(tensor) has \(values.count) values, not whole blocks of 32")
            }
            return quantizeQ8_0(values)
        default:
            throw .unsupportedExportType("\(type)", supported: ExportType.allCases.map(\.rawValue))
        }
    }
}

/// ggml's `quantize_row_q8_0_ref` (bit-exact with gguf-py's `Q8_0.quantize_blocks`, which
/// the tests compare against): per block of 32, `d = max|x| / 127` (stored f16),
/// `q = roundf(x / d)` computed as `x · (1/d)` rounding half away from zero.
public func quantizeQ8_0(_ values: UnsafeBufferPointer<Float>) -> [UInt8] {
    let blocks = values.count / 32
    var out = [UInt8](repeating: 0, count: blocks * 34)
    for b in 0..<blocks {
        var maximum: Float = 0
        for j in 0..<32 { maximum = max(maximum, abs(values[b * 32 + j])) }
        let d = maximum / 127
        let inverse: Float = d == 0 ? 0 : 1 / d
        let bits = Float16(d).bitPattern
        out[b * 34] = UInt8(bits & 0xFF)
        out[b * 34 + 1] = UInt8(bits >> 8)
        for j in 0..<32 {
            let q = (values[b * 32 + j] * inverse).rounded(.toNearestOrAwayFromZero)
            out[b * 34 + 2 + j] = UInt8(bitPattern: Int8(q))
        }
    }
    return out
}
