import Foundation
import ScalingCore
import TestSupport
import Testing

/// SHA-256 against the FIPS 180-2 example vectors and coreutils' `sha256sum`.
struct SHA256Tests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func standardVectors(input: String, digest: String) {
        var h = SHA256()
        h.update(Array(input.utf8))
        #expect(h.finalizeHex() == digest)
    }

    @Test func oneMillionAs() {
        var h = SHA256()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { h.update(chunk) }
        #expect(h.finalizeHex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func chunkingDoesNotChangeTheDigest() throws {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<5000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let whole = bytes.withUnsafeBytes { SHA256.hex(of: $0) }
        for chunkSize in [1, 3, 63, 64, 65, 1000] {
            var h = SHA256()
            var i = 0
            while i < bytes.count {
                h.update(bytes[i..<min(i + chunkSize, bytes.count)])
                i += chunkSize
            }
            #expect(h.finalizeHex() == whole, "chunk size \(chunkSize)")
        }
        // Same bytes through sha256sum. (ModelHubTests checks the file hashing built on this, `ModelCache.sha256(of:)`.)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-sha-\(UUID().uuidString)")
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(whole == String(try Shell.output(["sha256sum", url.path]).prefix(64)))
    }
}
