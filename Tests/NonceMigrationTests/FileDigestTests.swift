import Foundation
@testable import NonceMigration
import Testing

@Suite("File digests (SHA-256)")
struct FileDigestTests {
    @Test("matches the FIPS 180-4 example digests", arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func knownDigests(message: String, digest: String) {
        #expect(FileDigest.hex(Array(message.utf8)) == digest)
    }

    @Test("a million 'a's, fed in uneven pieces, gives the reference digest")
    func longMessageInPieces() {
        var hasher = FileDigest()
        var remaining = 1_000_000
        var piece = 1
        while remaining > 0 {
            let count = min(piece, remaining)
            hasher.update([UInt8](repeating: UInt8(ascii: "a"), count: count))
            remaining -= count
            piece = piece % 997 + 13
        }
        #expect(hasher.finalizeHex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("random inputs of every length around the block edges match Python's hashlib")
    func matchesAnotherImplementation() throws {
        var generator = SystemRandomNumberGenerator()
        let inputs: [[UInt8]] = (0..<200).map { length in (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) } }
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", "-c", "import sys, hashlib\nfor line in sys.stdin: print(hashlib.sha256(bytes.fromhex(line.strip())).hexdigest())"]
        let input = Pipe(), output = Pipe()
        python.standardInput = input
        python.standardOutput = output
        try python.run()
        let hex = inputs.map { bytes in bytes.map { String(format: "%02x", $0) }.joined() }.joined(separator: "\n") + "\n"
        input.fileHandleForWriting.write(Data(hex.utf8))
        try input.fileHandleForWriting.close()
        let expected = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n").map(String.init)
        python.waitUntilExit()
        try #require(python.terminationStatus == 0 && expected.count == inputs.count, "python3 gave \(expected.count) digests")
        for (bytes, digest) in zip(inputs, expected) {
            #expect(FileDigest.hex(bytes) == digest, "\(bytes.count) bytes")
        }
    }
}
