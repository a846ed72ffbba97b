#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory mapping of a whole file.
///
/// `@unchecked Sendable` because the mapping is never written after `init`: any number
/// of threads may read it, and the pages are shared with the OS page cache, so the
/// weights of a model cost no heap memory.
public final class MappedFile: @unchecked Sendable {
    public let path: String
    public let bytes: UnsafeRawBufferPointer
    /// True when `bytes` is a heap copy (`init(copying:name:)`), freed instead of unmapped.
    private let ownsHeapCopy: Bool

    public init(path: String) throws(GGUFError) {
        self.path = path
        ownsHeapCopy = false
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw .cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw .cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw .cannotOpen(path: path, reason: "not a regular file")
        }
        let size = Int(info.st_size)
        if size == 0 {
            // mmap of zero bytes fails; an empty file is simply an empty buffer.
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw .cannotOpen(path: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        bytes = UnsafeRawBufferPointer(start: base, count: size)
    }

    /// A file that exists only in memory: a GGUF the training engine has just serialised
    /// (`GGUFWriter.serialize()`), handed to the inference engine without a round trip
    /// through the disk. `name` stands in for the path in messages. The copy is aligned to
    /// 64 bytes, so tensor data keeps the alignment the file format promises.
    public init(copying contents: [UInt8], name: String) {
        path = name
        ownsHeapCopy = true
        guard !contents.isEmpty else { bytes = UnsafeRawBufferPointer(start: nil, count: 0); return }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: contents.count, alignment: 64)
        buffer.copyBytes(from: contents)
        bytes = UnsafeRawBufferPointer(buffer)
    }

    deinit {
        guard let base = bytes.baseAddress else { return }
        if ownsHeapCopy {
            UnsafeMutableRawPointer(mutating: base).deallocate()
        } else {
            munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        }
    }
}
