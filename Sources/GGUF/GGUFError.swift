import TensorCore

/// Everything that can be wrong with a GGUF file, with where and what was expected.
///
/// Each message names the file and the byte offset, so a user can tell a truncated
/// download (re-download) from a file of a kind Quorum does not read.
public enum GGUFError: Error, Equatable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case notGGUF(path: String, foundMagic: [UInt8])
    case bigEndian(path: String)
    case unsupportedVersion(path: String, version: UInt32)
    case truncated(path: String, section: String, offset: Int, needed: Int, fileSize: Int)
    case unknownValueType(path: String, key: String, offset: Int, rawType: UInt32)
    case unknownTensorType(path: String, tensor: String, offset: Int, rawType: UInt32)
    case invalidTensor(path: String, tensor: String, reason: String)
    case duplicateKey(path: String, key: String, offset: Int)
    case missingKey(path: String, key: String)
    case wrongType(path: String, key: String, expected: String, found: String)
    case missingTensor(path: String, tensor: String)
    case invalidValue(path: String, key: String, reason: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            "Cannot open '\(path)': \(reason). Check the path, or pull the model with `quorum model pull NAME`."
        case .notGGUF(let path, let magic):
            "'\(path)' is not a GGUF file: it starts with bytes \(magic.map(hexByte).joined(separator: " ")), expected 'GGUF' (47 47 55 46). Convert the model to GGUF first."
        case .bigEndian(let path):
            "'\(path)' is a big-endian GGUF file; Quorum reads little-endian GGUF only. Convert it on a little-endian machine."
        case .unsupportedVersion(let path, let version):
            "'\(path)' is GGUF version \(version); Quorum reads versions 2 and 3. Re-convert the model with a current llama.cpp `convert_hf_to_gguf.py`."
        case .truncated(let path, let section, let offset, let needed, let size):
            "'\(path)' is truncated in \(section) at byte \(offset): need \(needed) more byte(s), the file has \(size). Re-download it."
        case .unknownValueType(let path, let key, let offset, let raw):
            "'\(path)': metadata key '\(key)' at byte \(offset) has unknown value type \(raw) (known: 0-12). The file is corrupt or from a newer GGUF version."
        case .unknownTensorType(let path, let tensor, let offset, let raw):
            "'\(path)': tensor '\(tensor)' at byte \(offset) has unknown ggml type \(raw) (known: \(GGMLType.allCases.map { "\($0.rawValue) \($0.name)" }.joined(separator: ", ")))."
        case .invalidTensor(let path, let tensor, let reason):
            "'\(path)': tensor '\(tensor)' is invalid: \(reason). The file is corrupt; re-download it."
        case .duplicateKey(let path, let key, let offset):
            "'\(path)': metadata key '\(key)' appears twice (second at byte \(offset)). The file is corrupt."
        case .missingKey(let path, let key):
            "'\(path)': metadata key '\(key)' is missing."
        case .wrongType(let path, let key, let expected, let found):
            "'\(path)': metadata key '\(key)' has type \(found), expected \(expected)."
        case .missingTensor(let path, let tensor):
            "'\(path)': tensor '\(tensor)' is missing."
        case .invalidValue(let path, let key, let reason):
            "'\(path)': metadata key '\(key)' is invalid: \(reason)."
        }
    }
}

private func hexByte(_ b: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(b >> 4)], digits[Int(b & 15)]])
}
