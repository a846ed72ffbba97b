import TensorCore

/// One entry of the tensor directory.
public struct GGUFTensorInfo: Sendable, Equatable {
    /// `blk.0.attn_q.weight` and the like (llama.cpp's tensor names).
    public let name: String
    /// Dimensions, innermost first as ggml stores them: a `[rows × columns]` weight
    /// matrix is `[columns, rows]` here.
    public let shape: [Int]
    public let type: GGMLType
    /// Offset of the data from the start of the data section (aligned).
    public let relativeOffset: Int
    /// Offset of the data from the start of the file.
    public let fileOffset: Int

    public var elementCount: Int { shape.reduce(1, *) }
    /// Bytes of tensor data (whole blocks).
    public var byteCount: Int { type.byteCount(elements: elementCount) ?? 0 }
}

/// A GGUF model file (versions 2 and 3), memory-mapped.
///
/// Parsing reads the header, all metadata and the tensor directory, checking every
/// length against the file size, so a truncated or corrupt file throws a `GGUFError`
/// naming the byte offset instead of crashing. Tensor data is not copied: `data(for:)`
/// returns a view into the mapping.
///
/// ```swift
/// let file = try GGUFFile(path: "SmolLM2-135M-Instruct.Q4_1.gguf")
/// let layers = try file.int("llama.block_count")       // 30
/// let q = try file.tensor("blk.0.attn_q.weight")       // q4_1, [576, 576]
/// ```
public final class GGUFFile: Sendable {
    public let path: String
    public let version: UInt32
    /// Metadata in file order.
    public let metadata: [(key: String, value: GGUFValue)]
    public let tensors: [GGUFTensorInfo]
    /// `general.alignment`, default 32.
    public let alignment: Int
    /// Where the tensor data section starts.
    public let dataOffset: Int
    public let fileSize: Int

    private let mapping: MappedFile
    private let metadataIndex: [String: Int]
    private let tensorIndex: [String: Int]

    public convenience init(path: String) throws(GGUFError) {
        try self.init(mapping: MappedFile(path: path))
    }

    public init(mapping: MappedFile) throws(GGUFError) {
        self.mapping = mapping
        self.path = mapping.path
        let path = mapping.path
        var reader = ByteReader(bytes: mapping.bytes, path: path)
        fileSize = mapping.bytes.count

        let magic = try reader.bytes(4, section: "the header")
        guard magic == Array("GGUF".utf8) else { throw .notGGUF(path: path, foundMagic: magic) }
        let rawVersion: UInt32 = try reader.scalar(section: "the header")
        if rawVersion & 0xFFFF != 0 && rawVersion & 0xFFFF_0000 != 0 || rawVersion > 0xFFFF {
            // A byte-swapped small number: written by a big-endian machine.
            if rawVersion.byteSwapped == 2 || rawVersion.byteSwapped == 3 { throw .bigEndian(path: path) }
        }
        guard rawVersion == 2 || rawVersion == 3 else { throw .unsupportedVersion(path: path, version: rawVersion) }
        version = rawVersion
        let tensorCount: UInt64 = try reader.scalar(section: "the header")
        let metadataCount: UInt64 = try reader.scalar(section: "the header")
        // Each entry takes at least 8 bytes, so larger counts are corrupt; checking
        // here keeps a bad count from reserving absurd amounts of memory.
        try reader.checkCount(metadataCount, minimumBytesEach: 12, section: "the metadata count")
        try reader.checkCount(tensorCount, minimumBytesEach: 24, section: "the tensor count")

        var metadata: [(key: String, value: GGUFValue)] = []
        var metadataIndex: [String: Int] = [:]
        metadata.reserveCapacity(Int(metadataCount))
        for _ in 0..<Int(metadataCount) {
            let keyOffset = reader.offset
            let key = try reader.string(section: "a metadata key")
            let value = try reader.value(key: key)
            guard metadataIndex[key] == nil else { throw .duplicateKey(path: path, key: key, offset: keyOffset) }
            metadataIndex[key] = metadata.count
            metadata.append((key, value))
        }
        self.metadata = metadata
        self.metadataIndex = metadataIndex

        var alignment = 32
        if let index = metadataIndex["general.alignment"] {
            guard let a = metadata[index].value.intValue, a > 0, a & (a - 1) == 0 else {
                throw .invalidValue(path: path, key: "general.alignment",
                                    reason: "\(metadata[index].value) is not a positive power of two")
            }
            alignment = a
        }
        self.alignment = alignment

        var directory: [(name: String, shape: [Int], type: GGMLType, offset: Int)] = []
        directory.reserveCapacity(Int(tensorCount))
        for _ in 0..<Int(tensorCount) {
            let name = try reader.string(section: "a tensor name")
            let dimensionCount: UInt32 = try reader.scalar(section: "tensor '\(name)'")
            guard (1...8).contains(dimensionCount) else {
                throw .invalidTensor(path: path, tensor: name, reason: "\(dimensionCount) dimensions (expected 1 to 8)")
            }
            var shape: [Int] = []
            for _ in 0..<dimensionCount {
                let d: UInt64 = try reader.scalar(section: "tensor '\(name)'")
                guard d > 0, d < 1 << 40 else {
                    throw .invalidTensor(path: path, tensor: name, reason: "dimension \(d) is out of range")
                }
                shape.append(Int(d))
            }
            let typeOffset = reader.offset
            let rawType: UInt32 = try reader.scalar(section: "tensor '\(name)'")
            guard let type = GGMLType(rawValue: rawType) else {
                throw .unknownTensorType(path: path, tensor: name, offset: typeOffset, rawType: rawType)
            }
            let offset: UInt64 = try reader.scalar(section: "tensor '\(name)'")
            guard offset < UInt64(Int.max / 2) else {
                throw .invalidTensor(path: path, tensor: name, reason: "data offset \(offset) is out of range")
            }
            directory.append((name, shape, type, Int(offset)))
        }
        dataOffset = (reader.offset + alignment - 1) / alignment * alignment

        var tensors: [GGUFTensorInfo] = []
        var tensorIndex: [String: Int] = [:]
        tensors.reserveCapacity(directory.count)
        for entry in directory {
            let (elements, overflow) = entry.shape.reduce((1, false)) { acc, d in
                let (p, o) = acc.0.multipliedReportingOverflow(by: d)
                return (p, acc.1 || o)
            }
            guard !overflow, let bytes = entry.type.byteCount(elements: elements) else {
                throw .invalidTensor(path: path, tensor: entry.name,
                                     reason: "shape \(entry.shape) is not a whole number of \(entry.type) blocks of \(entry.type.blockSize)")
            }
            guard entry.offset % alignment == 0 else {
                throw .invalidTensor(path: path, tensor: entry.name,
                                     reason: "data offset \(entry.offset) is not a multiple of the alignment \(alignment)")
            }
            let start = dataOffset + entry.offset
            guard start + bytes <= fileSize else {
                throw .truncated(path: path, section: "the data of tensor '\(entry.name)'", offset: start,
                                 needed: start + bytes - fileSize, fileSize: fileSize)
            }
            guard tensorIndex[entry.name] == nil else {
                throw .invalidTensor(path: path, tensor: entry.name, reason: "the name appears twice in the directory")
            }
            tensorIndex[entry.name] = tensors.count
            tensors.append(GGUFTensorInfo(name: entry.name, shape: entry.shape, type: entry.type,
                                          relativeOffset: entry.offset, fileOffset: start))
        }
        self.tensors = tensors
        self.tensorIndex = tensorIndex
    }

    // MARK: Metadata

    /// The value of `key`, or nil when the file does not have it.
    public subscript(key: String) -> GGUFValue? {
        metadataIndex[key].map { metadata[$0].value }
    }

    /// The value of `key`; throws when missing.
    public func value(_ key: String) throws(GGUFError) -> GGUFValue {
        guard let v = self[key] else { throw .missingKey(path: path, key: key) }
        return v
    }

    /// An integer of any integer type.
    public func int(_ key: String) throws(GGUFError) -> Int {
        let v = try value(key)
        guard let i = v.intValue else { throw .wrongType(path: path, key: key, expected: "an integer", found: v.typeName) }
        return i
    }

    /// A float or integer as `Double`.
    public func double(_ key: String) throws(GGUFError) -> Double {
        let v = try value(key)
        guard let d = v.doubleValue else { throw .wrongType(path: path, key: key, expected: "a number", found: v.typeName) }
        return d
    }

    public func string(_ key: String) throws(GGUFError) -> String {
        let v = try value(key)
        guard let s = v.stringValue else { throw .wrongType(path: path, key: key, expected: "string", found: v.typeName) }
        return s
    }

    public func bool(_ key: String) throws(GGUFError) -> Bool {
        let v = try value(key)
        guard let b = v.boolValue else { throw .wrongType(path: path, key: key, expected: "bool", found: v.typeName) }
        return b
    }

    public func stringArray(_ key: String) throws(GGUFError) -> [String] {
        let v = try value(key)
        guard case .array(.string, let values) = v else {
            throw .wrongType(path: path, key: key, expected: "array[string]", found: v.typeName)
        }
        return values.map { $0.stringValue! }
    }

    /// An array of any integer type.
    public func intArray(_ key: String) throws(GGUFError) -> [Int] {
        let v = try value(key)
        guard case .array(_, let values) = v, let ints = Optional(values.compactMap(\.intValue)), ints.count == values.count else {
            throw .wrongType(path: path, key: key, expected: "array of integers", found: v.typeName)
        }
        return ints
    }

    /// An array of floats (or integers) as `Float`.
    public func floatArray(_ key: String) throws(GGUFError) -> [Float] {
        let v = try value(key)
        guard case .array(_, let values) = v, let ds = Optional(values.compactMap(\.doubleValue)), ds.count == values.count else {
            throw .wrongType(path: path, key: key, expected: "array of numbers", found: v.typeName)
        }
        return ds.map(Float.init)
    }

    /// `general.architecture` (`llama`, `qwen2`, ...).
    public var architecture: String? { self["general.architecture"]?.stringValue }

    // MARK: Tensors

    public func tensor(_ name: String) throws(GGUFError) -> GGUFTensorInfo {
        guard let i = tensorIndex[name] else { throw .missingTensor(path: path, tensor: name) }
        return tensors[i]
    }

    public func hasTensor(_ name: String) -> Bool { tensorIndex[name] != nil }

    /// The raw bytes of a tensor: a view into the mapping, valid while this file lives.
    public func data(for tensor: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: mapping.bytes[tensor.fileOffset ..< tensor.fileOffset + tensor.byteCount])
    }

    /// Total weights over all tensors (what model cards call the parameter count).
    public var parameterCount: Int { tensors.reduce(0) { $0 + $1.elementCount } }
}

/// A bounds-checked little-endian cursor over the mapped bytes.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    let path: String
    var offset = 0
    /// Nesting depth of arrays being read; GGUF allows nesting, a corrupt file could recurse forever.
    var arrayDepth = 0

    init(bytes: UnsafeRawBufferPointer, path: String) {
        self.bytes = bytes
        self.path = path
    }

    var remaining: Int { bytes.count - offset }

    mutating func need(_ count: Int, section: String) throws(GGUFError) {
        guard count >= 0, count <= remaining else {
            throw .truncated(path: path, section: section, offset: offset, needed: count - remaining, fileSize: bytes.count)
        }
    }

    func checkCount(_ count: UInt64, minimumBytesEach: Int, section: String) throws(GGUFError) {
        guard count <= UInt64(remaining / minimumBytesEach) else {
            throw .truncated(path: path, section: section, offset: offset,
                             needed: count > UInt64(Int.max / minimumBytesEach) ? Int.max : Int(count) * minimumBytesEach - remaining,
                             fileSize: bytes.count)
        }
    }

    mutating func scalar<T: FixedWidthInteger>(section: String) throws(GGUFError) -> T {
        try need(MemoryLayout<T>.size, section: section)
        let v = T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
        offset += MemoryLayout<T>.size
        return v
    }

    mutating func bytes(_ count: Int, section: String) throws(GGUFError) -> [UInt8] {
        try need(count, section: section)
        let out = Array(bytes[offset ..< offset + count])
        offset += count
        return out
    }

    mutating func string(section: String) throws(GGUFError) -> String {
        let length: UInt64 = try scalar(section: section)
        guard length <= UInt64(remaining) else {
            throw .truncated(path: path, section: section, offset: offset,
                             needed: length > UInt64(Int.max) ? Int.max : Int(length) - remaining, fileSize: bytes.count)
        }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset ..< offset + Int(length)])
        offset += Int(length)
        // Vocabularies occasionally hold byte sequences that are not valid UTF-8;
        // decoding with replacement keeps such a model loadable.
        return String(decoding: slice, as: UTF8.self)
    }

    mutating func value(key: String) throws(GGUFError) -> GGUFValue {
        let typeOffset = offset
        let raw: UInt32 = try scalar(section: "the type of metadata key '\(key)'")
        guard let type = GGUFValueType(rawValue: raw) else {
            throw .unknownValueType(path: path, key: key, offset: typeOffset, rawType: raw)
        }
        return try value(of: type, key: key)
    }

    mutating func value(of type: GGUFValueType, key: String) throws(GGUFError) -> GGUFValue {
        let section = "the value of metadata key '\(key)'"
        switch type {
        case .uint8: return .uint8(try scalar(section: section))
        case .int8: return .int8(try scalar(section: section))
        case .uint16: return .uint16(try scalar(section: section))
        case .int16: return .int16(try scalar(section: section))
        case .uint32: return .uint32(try scalar(section: section))
        case .int32: return .int32(try scalar(section: section))
        case .uint64: return .uint64(try scalar(section: section))
        case .int64: return .int64(try scalar(section: section))
        case .float32: return .float32(Float(bitPattern: try scalar(section: section)))
        case .float64: return .float64(Double(bitPattern: try scalar(section: section)))
        case .bool:
            let b: UInt8 = try scalar(section: section)
            guard b <= 1 else { throw .invalidValue(path: path, key: key, reason: "bool byte \(b) at offset \(offset - 1) is neither 0 nor 1") }
            return .bool(b == 1)
        case .string: return .string(try string(section: section))
        case .array:
            let elementOffset = offset
            let rawElement: UInt32 = try scalar(section: section)
            guard let elementType = GGUFValueType(rawValue: rawElement) else {
                throw .unknownValueType(path: path, key: key, offset: elementOffset, rawType: rawElement)
            }
            let count: UInt64 = try scalar(section: section)
            try checkCount(count, minimumBytesEach: elementType.fixedSize ?? 8, section: section)
            guard arrayDepth < 16 else {
                throw .invalidValue(path: path, key: key, reason: "arrays nested more than 16 deep")
            }
            arrayDepth += 1
            defer { arrayDepth -= 1 }
            var values: [GGUFValue] = []
            values.reserveCapacity(Int(count))
            for _ in 0..<Int(count) {
                values.append(try value(of: elementType, key: key))
            }
            return .array(elementType: elementType, values: values)
        }
    }
}
