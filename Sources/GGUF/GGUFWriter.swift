#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TensorCore

/// Writes GGUF files: tiny synthetic models and fixtures for tests, and any tool
/// that needs to emit GGUF. Mirrors the layout of ggml's `gguf_write_to_file`.
///
/// ```swift
/// var writer = GGUFWriter()
/// writer.add("general.architecture", .string("llama"))
/// writer.addTensor(name: "token_embd.weight", shape: [8, 16], type: .f32, data: bytes)
/// try writer.write(to: "/tmp/tiny.gguf")
/// ```
public struct GGUFWriter: Sendable {
    public var version: UInt32
    public private(set) var metadata: [(key: String, value: GGUFValue)] = []
    public private(set) var tensors: [(name: String, shape: [Int], type: GGMLType, data: [UInt8])] = []

    public init(version: UInt32 = 3) {
        self.version = version
    }

    /// Adds or replaces a metadata entry (`general.alignment` sets the alignment).
    public mutating func add(_ key: String, _ value: GGUFValue) {
        if let i = metadata.firstIndex(where: { $0.key == key }) {
            metadata[i].value = value
        } else {
            metadata.append((key, value))
        }
    }

    /// Adds a tensor; `shape` is innermost first (ggml order), `data` its raw bytes.
    public mutating func addTensor(name: String, shape: [Int], type: GGMLType, data: [UInt8]) {
        precondition(type.byteCount(elements: shape.reduce(1, *)) == data.count,
                     "GGUFWriter: tensor '\(name)' has \(data.count) bytes, its shape \(shape) of \(type) needs \(type.byteCount(elements: shape.reduce(1, *)) ?? -1)")
        tensors.append((name, shape, type, data))
    }

    /// Adds an f32 tensor from floats.
    public mutating func addTensor(name: String, shape: [Int], floats: [Float]) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(floats.count * 4)
        for f in floats { appendLittleEndian(f.bitPattern, to: &bytes) }
        addTensor(name: name, shape: shape, type: .f32, data: bytes)
    }

    private var alignment: Int { metadata.first { $0.key == "general.alignment" }?.value.intValue ?? 32 }

    /// The whole file as bytes.
    public func serialize() -> [UInt8] {
        var out: [UInt8] = Array("GGUF".utf8)
        appendLittleEndian(version, to: &out)
        appendLittleEndian(UInt64(tensors.count), to: &out)
        appendLittleEndian(UInt64(metadata.count), to: &out)
        for (key, value) in metadata {
            appendString(key, to: &out)
            appendLittleEndian(value.type.rawValue, to: &out)
            appendValue(value, to: &out)
        }
        let alignment = self.alignment
        var offset = 0
        var offsets: [Int] = []
        for t in tensors {
            offsets.append(offset)
            offset += (t.data.count + alignment - 1) / alignment * alignment
        }
        for (t, o) in zip(tensors, offsets) {
            appendString(t.name, to: &out)
            appendLittleEndian(UInt32(t.shape.count), to: &out)
            for d in t.shape { appendLittleEndian(UInt64(d), to: &out) }
            appendLittleEndian(t.type.rawValue, to: &out)
            appendLittleEndian(UInt64(o), to: &out)
        }
        pad(&out, to: alignment)
        for t in tensors {
            out += t.data
            pad(&out, to: alignment)
        }
        return out
    }

    /// Writes the file (replacing any file at `path`).
    public func write(to path: String) throws(GGUFError) {
        let bytes = serialize()
        guard let f = fopen(path, "wb") else {
            throw .cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        defer { fclose(f) }
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
        guard written == bytes.count else {
            throw .cannotOpen(path: path, reason: "short write: \(written) of \(bytes.count) bytes")
        }
    }

    private func pad(_ out: inout [UInt8], to alignment: Int) {
        while out.count % alignment != 0 { out.append(0) }
    }

    private func appendString(_ s: String, to out: inout [UInt8]) {
        let utf8 = Array(s.utf8)
        appendLittleEndian(UInt64(utf8.count), to: &out)
        out += utf8
    }

    private func appendValue(_ value: GGUFValue, to out: inout [UInt8]) {
        switch value {
        case .uint8(let v): out.append(v)
        case .int8(let v): out.append(UInt8(bitPattern: v))
        case .uint16(let v): appendLittleEndian(v, to: &out)
        case .int16(let v): appendLittleEndian(v, to: &out)
        case .uint32(let v): appendLittleEndian(v, to: &out)
        case .int32(let v): appendLittleEndian(v, to: &out)
        case .uint64(let v): appendLittleEndian(v, to: &out)
        case .int64(let v): appendLittleEndian(v, to: &out)
        case .float32(let v): appendLittleEndian(v.bitPattern, to: &out)
        case .float64(let v): appendLittleEndian(v.bitPattern, to: &out)
        case .bool(let b): out.append(b ? 1 : 0)
        case .string(let s): appendString(s, to: &out)
        case .array(let elementType, let values):
            appendLittleEndian(elementType.rawValue, to: &out)
            appendLittleEndian(UInt64(values.count), to: &out)
            for v in values { appendValue(v, to: &out) }
        }
    }
}

@inline(__always)
func appendLittleEndian<T: FixedWidthInteger>(_ v: T, to out: inout [UInt8]) {
    withUnsafeBytes(of: v.littleEndian) { out += $0 }
}
