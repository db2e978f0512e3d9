import OpenWorkJSON

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension SystemCalls {
    /// `POST /__fake/fs`: whether each path can be read (a file opened and read, a directory listed) and each
    /// `writing` path created and written, with the errno's text when not; and this process's namespaces.
    static func probe(reading: [String], writing: [String]) -> JSONValue {
        var reads: [String: JSONValue] = [:]
        for path in reading { reads[path] = result(of: { canRead(path) }) }
        var writes: [String: JSONValue] = [:]
        for path in writing { writes[path] = result(of: { canWrite(path) }) }
        return [
            "read": .object(reads), "write": .object(writes),
            "mountNamespace": namespace("mnt").map(JSONValue.string) ?? .null,
            "pidNamespace": namespace("pid").map(JSONValue.string) ?? .null,
            "pid": .integer(Int64(getpid())), "home": getenv("HOME").map { .string(String(cString: $0)) } ?? .null,
        ]
    }

    /// `readlink /proc/self/ns/<name>`, e.g. `mnt:[4026531841]`.
    static func namespace(_ name: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 128)
        let count = readlink("/proc/self/ns/\(name)", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func result(of attempt: () -> Int32) -> JSONValue {
        let error = attempt()
        guard error != 0 else { return ["ok": true] }
        return ["ok": false, "error": .string(String(cString: strerror(error)))]
    }

    /// 0, or the errno of the first call that failed.
    private static func canRead(_ path: String) -> Int32 {
        if let directory = opendir(path) {
            defer { closedir(directory) }
            errno = 0
            return readdir(directory) == nil && errno != 0 ? errno : 0
        }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return errno }
        defer { close(descriptor) }
        var byte: UInt8 = 0
        return read(descriptor, &byte, 1) < 0 ? errno : 0
    }

    private static func canWrite(_ path: String) -> Int32 {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return errno }
        defer { close(descriptor) }
        return writeAll("written by fake-opencode \(getpid())\n", to: descriptor) ? 0 : errno
    }
}
