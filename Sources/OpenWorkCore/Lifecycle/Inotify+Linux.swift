/// One change an ``Inotify`` descriptor reported (the same shape on every platform).
struct InotifyEvent {
    var descriptor: Int32
    var name: String
    var isDirectory: Bool
    /// The watch was removed (its directory is gone).
    var ignored: Bool
    /// The kernel's queue overflowed: events were lost.
    var overflow: Bool
}

#if canImport(Glibc)
    import Glibc

    /// One non-blocking inotify descriptor (Linux), closed when the value is released.
    ///
    /// Watches directories for entries created, deleted, moved, written or modified. ``read()`` never blocks.
    final class Inotify {
        typealias Event = InotifyEvent

        // The <sys/inotify.h> values (stable kernel ABI), spelled out: some are not imported as constants.
        private static let modify: UInt32 = 0x2
        private static let closeWrite: UInt32 = 0x8
        private static let movedFrom: UInt32 = 0x40
        private static let movedTo: UInt32 = 0x80
        private static let create: UInt32 = 0x100
        private static let delete: UInt32 = 0x200
        private static let deleteSelf: UInt32 = 0x400
        private static let queueOverflow: UInt32 = 0x4000
        private static let ignoredFlag: UInt32 = 0x8000
        private static let onlyDirectory: UInt32 = 0x0100_0000
        private static let isDirectoryFlag: UInt32 = 0x4000_0000
        private static let nonBlocking: Int32 = 0o4000
        private static let closeOnExec: Int32 = 0o2_000_000

        private let descriptor: Int32
        /// Reused by every ``read()``: it runs on each lifecycle tick.
        private var buffer = [UInt8](repeating: 0, count: 64 << 10)

        /// `nil` when inotify cannot be used (not supported, or the per-user instance limit is reached).
        init?() {
            let descriptor = inotify_init1(Self.nonBlocking | Self.closeOnExec)
            guard descriptor >= 0 else { return nil }
            self.descriptor = descriptor
        }

        deinit { close(descriptor) }

        /// Watches a directory; `nil` when the watch cannot be added (errno says why: ENOSPC at the limit).
        func add(_ path: String) -> Int32? {
            let mask =
                Self.modify | Self.closeWrite | Self.movedFrom | Self.movedTo | Self.create | Self.delete
                | Self.deleteSelf | Self.onlyDirectory
            let watch = inotify_add_watch(descriptor, path, mask)
            return watch >= 0 ? watch : nil
        }

        func remove(_ watch: Int32) {
            _ = inotify_rm_watch(descriptor, watch)
        }

        /// Every event queued now.
        func read() -> [Event] {
            var events: [Event] = []
            while true {
                let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
                guard count > 0 else {
                    if count < 0, errno == EINTR { continue }
                    return events
                }
                var offset = 0
                // struct inotify_event { int wd; uint32_t mask, cookie, len; char name[]; }
                while offset + 16 <= count {
                    let (watch, mask, length) = buffer.withUnsafeBytes { raw in
                        (
                            raw.loadUnaligned(fromByteOffset: offset, as: Int32.self),
                            raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self),
                            Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                        )
                    }
                    let nameBytes = buffer[(offset + 16)..<min(offset + 16 + length, count)].prefix { $0 != 0 }
                    events.append(
                        Event(
                            descriptor: watch, name: String(decoding: nameBytes, as: UTF8.self),
                            isDirectory: mask & Self.isDirectoryFlag != 0, ignored: mask & Self.ignoredFlag != 0,
                            overflow: mask & Self.queueOverflow != 0))
                    offset += 16 + length
                }
            }
        }
    }
#else
    /// No inotify here: every workspace is polled.
    final class Inotify {
        typealias Event = InotifyEvent

        init?() { return nil }
        func add(_ path: String) -> Int32? { nil }
        func remove(_ watch: Int32) {}
        func read() -> [Event] { [] }
    }
#endif
