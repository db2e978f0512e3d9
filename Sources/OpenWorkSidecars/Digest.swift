import Crypto

/// Hex digests for the modules that must not link swift-crypto themselves (this module is its only user).
public enum Digest {
    /// The SHA-1 of `bytes` as lowercase hex: what the orchestrator's workspace ids are made of (an identifier,
    /// not a security boundary).
    public static func sha1Hex(_ bytes: [UInt8]) -> String {
        hex(Insecure.SHA1.hash(data: bytes))
    }

    /// Lowercase hex of a digest.
    static func hex(_ digest: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        for byte in digest {
            bytes.append(digits[Int(byte >> 4)])
            bytes.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
