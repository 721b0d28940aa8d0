import Crypto

/// The SHA-256 of a legacy file's bytes as lower-case hex, fed as the file is read: what
/// `legacy_imports.sha256` records and a repeated import compares. The hash is swift-crypto's.
struct FileDigest {
    private var hasher = SHA256()

    mutating func update(_ bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBytes { hasher.update(bufferPointer: $0) }
    }

    mutating func update(_ bytes: [UInt8]) {
        update(bytes[...])
    }

    func finalizeHex() -> String {
        hasher.finalize().map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
    }

    /// The digest of `bytes` in one go.
    static func hex(_ bytes: [UInt8]) -> String {
        var digest = FileDigest()
        digest.update(bytes)
        return digest.finalizeHex()
    }
}
