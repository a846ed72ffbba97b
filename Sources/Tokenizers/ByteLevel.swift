/// GPT-2's reversible map between bytes and printable Unicode scalars (`bytes_to_unicode` in
/// OpenAI's encoder.py): byte-level BPE vocabularies spell every byte as one of these scalars,
/// so a space is `Ġ` (U+0120) and a newline `Ċ` (U+010A).
enum ByteLevel {
    /// The scalar that stands for each byte.
    static let scalarForByte: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            let printable = (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b)
            if printable {
                table[b] = UInt32(b)
            } else {
                table[b] = next
                next += 1
            }
        }
        return table
    }()

    /// The byte each of those scalars stands for (indexed by scalar value, below 324).
    static let byteForScalar: [Int16] = {
        var table = [Int16](repeating: -1, count: 324)
        for (b, s) in scalarForByte.enumerated() { table[Int(s)] = Int16(b) }
        return table
    }()

    /// The byte-level spelling of `bytes` (how the vocabulary writes them).
    static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var out = String.UnicodeScalarView()
        for b in bytes { out.append(Unicode.Scalar(scalarForByte[Int(b)])!) }
        return String(out)
    }

    /// The bytes a vocabulary entry spells, or nil when it holds a scalar outside the map
    /// (which byte-level vocabularies only do for added tokens).
    static func decode(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for s in text.unicodeScalars {
            guard s.value < 324 else { return nil }
            let b = byteForScalar[Int(s.value)]
            guard b >= 0 else { return nil }
            out.append(UInt8(b))
        }
        return out
    }
}
