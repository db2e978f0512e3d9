import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The directories an ELF executable names for its shared libraries beyond the system's: its `DT_RUNPATH` (or
/// `DT_RPATH`), with `$ORIGIN` replaced by the executable's directory. A sandbox binds them read-only so a
/// dynamically linked sidecar (e.g. a Swift debug build, whose runtime lives in the toolchain) still loads; the
/// system's own library directories are bound anyway.
///
/// Only 64-bit little-endian ELF (x86-64, arm64) is read; anything else (a script, a Mach-O, a 32-bit binary)
/// has no run path here.
public enum ExecutableLibraries {
    /// The run-path directories of the executable at `path`, in order, without duplicates.
    public static func runPath(of path: String) -> [String] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return [] }
        defer { close(descriptor) }
        let read: (Int, Int) -> [UInt8]? = { offset, count in
            guard offset >= 0, count >= 0, count <= 1 << 20 else { return nil }
            var bytes = [UInt8](repeating: 0, count: count)
            let got = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, count, off_t(offset)) }
            return got >= 0 ? Array(bytes.prefix(got)) : nil
        }
        let origin = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        return runPath(read: read).flatMap { entry in
            entry.split(separator: ":").map {
                String($0).replacingOccurrences(of: "$ORIGIN", with: origin.isEmpty ? "." : origin)
                    .replacingOccurrences(of: "${ORIGIN}", with: origin.isEmpty ? "." : origin)
            }
        }.reduce(into: [String]()) { paths, path in if !paths.contains(path) { paths.append(path) } }
    }

    /// What a sandbox binds read-only for `executable` at their own paths: its real path (and the path as given,
    /// when that is a link), then the run-path directories that exist; a missing one is left out, never created.
    public static func readOnlyPaths(for executable: String) -> [String] {
        let real = MountPolicy.systemRealPath(executable) ?? executable
        var paths = [real]
        if real != executable { paths.append(executable) }
        for directory in runPath(of: real).compactMap(MountPolicy.systemRealPath) where !paths.contains(directory) {
            paths.append(directory)
        }
        return paths
    }

    /// The raw `DT_RUNPATH` / `DT_RPATH` strings, reading the file through `read(offset, count)` (at most `count`
    /// bytes: fewer at the end of the file): pure.
    static func runPath(read: (Int, Int) -> [UInt8]?) -> [String] {
        guard let header = read(0, 64), header.count == 64, header[0..<4] == [0x7F, 0x45, 0x4C, 0x46],
            header[4] == 2, header[5] == 1
        else { return [] }
        let programOffset = Int(integer(header, 0x20, 8))
        let entrySize = Int(integer(header, 0x36, 2))
        let count = Int(integer(header, 0x38, 2))
        guard entrySize >= 56, count > 0, count < 4096, let table = read(programOffset, entrySize * count),
            table.count == entrySize * count
        else { return [] }
        var loads: [(address: UInt64, offset: UInt64, size: UInt64)] = []
        var dynamic: (offset: Int, size: Int)?
        for index in 0..<count {
            let base = index * entrySize
            let type = integer(table, base, 4)
            let offset = integer(table, base + 8, 8)
            let address = integer(table, base + 16, 8)
            let size = integer(table, base + 32, 8)
            if type == 1 { loads.append((address, offset, size)) }
            if type == 2 { dynamic = (Int(offset), Int(size)) }
        }
        guard let dynamic, let entries = read(dynamic.offset, dynamic.size) else { return [] }
        var stringTable: UInt64?
        var pathOffsets: [UInt64] = []
        for base in stride(from: 0, to: entries.count - 15, by: 16) {
            let tag = integer(entries, base, 8)
            let value = integer(entries, base + 8, 8)
            if tag == 0 { break }
            if tag == 5 { stringTable = value }
            if tag == 15 || tag == 29 { pathOffsets.append(value) }
        }
        guard let stringTable,
            let load = loads.first(where: { stringTable >= $0.address && stringTable < $0.address + $0.size })
        else { return [] }
        let tableOffset = Int(stringTable - load.address + load.offset)
        return pathOffsets.compactMap { offset in
            guard let bytes = read(tableOffset + Int(offset), 4096), let end = bytes.firstIndex(of: 0)
            else { return nil }
            return String(decoding: bytes[..<end], as: UTF8.self)
        }
    }

    private static func integer(_ bytes: [UInt8], _ offset: Int, _ width: Int) -> UInt64 {
        guard offset + width <= bytes.count else { return 0 }
        var value: UInt64 = 0
        for index in (0..<width).reversed() { value = value << 8 | UInt64(bytes[offset + index]) }
        return value
    }
}
