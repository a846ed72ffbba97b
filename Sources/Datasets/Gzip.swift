import CZlib

/// Gzip decompression over system zlib, just enough for gzipped data sets.
enum Gzip {
    /// True when `bytes` start with the gzip magic number (RFC 1952: 0x1f 0x8b).
    static func isGzip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
    }

    /// The decompressed bytes of a gzip file; concatenated members (as `cat a.gz b.gz`
    /// makes, and `gzip -d` accepts) are decompressed one after another.
    /// Throws a message describing zlib's complaint.
    static func decompress(_ input: [UInt8]) throws(GzipFailure) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(input.count * 4)
        var stream = z_stream()
        // windowBits 15 + 32: accept a gzip or zlib header, detected automatically.
        guard inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw GzipFailure(reason: "zlib could not start")
        }
        defer { inflateEnd(&stream) }

        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var status: Int32 = Z_OK
        var consumed = 0
        try input.withUnsafeBufferPointer { (source) throws(GzipFailure) in
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.avail_in = UInt32(source.count)
            while true {
                let produced = chunk.withUnsafeMutableBufferPointer { target in
                    stream.next_out = target.baseAddress
                    stream.avail_out = UInt32(target.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                    return target.count - Int(stream.avail_out)
                }
                output.append(contentsOf: chunk[0..<produced])
                consumed = source.count - Int(stream.avail_in)
                switch status {
                case Z_OK:
                    // No progress with input left over means the input stops mid-stream.
                    if produced == 0 && stream.avail_in == 0 {
                        throw GzipFailure(reason: "unexpected end of data after \(consumed) compressed bytes")
                    }
                case Z_STREAM_END:
                    if stream.avail_in == 0 { return }
                    // Another member follows, unless the rest is zero padding.
                    if source[consumed...].allSatisfy({ $0 == 0 }) { return }
                    guard inflateReset(&stream) == Z_OK else {
                        throw GzipFailure(reason: "zlib could not restart at byte \(consumed)")
                    }
                case Z_BUF_ERROR where stream.avail_in == 0:
                    throw GzipFailure(reason: "unexpected end of data after \(consumed) compressed bytes")
                default:
                    let detail = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                    throw GzipFailure(reason: "\(detail) (near compressed byte \(consumed))")
                }
            }
        }
        return output
    }
}

/// Why decompression failed; `DatasetReader` wraps it into `DatasetError.badGzip`.
struct GzipFailure: Error {
    var reason: String
}
