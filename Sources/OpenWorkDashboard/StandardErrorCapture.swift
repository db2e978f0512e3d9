import CSystemShims
import Foundation
import Logging
import OpenWorkLogging
import OpenWorkSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Descriptor 2 pointed at a pipe while the dashboard holds the terminal: whatever writes to stderr (a runtime
/// warning, a library) becomes a line of the Logs tab instead of tearing the screen. Every byte is also noted
/// for the crash guard, which shows the last of them once the terminal is restored.
final class StandardErrorCapture: @unchecked Sendable {
    /// Where descriptor 2 pointed before (close-on-exec).
    let saved: Int32
    /// The pipe's read end (close-on-exec).
    let readEnd: Int32
    private var reader: Thread?
    private let done = DispatchSemaphore(value: 0)
    private var restored = false

    /// Redirects descriptor 2; nil when it cannot (stderr then stays as it is).
    init?() {
        var pipe: [Int32] = [-1, -1]
        guard openwork_pipe_cloexec(&pipe) == 0 else { return nil }
        let saved = fcntl(2, F_DUPFD_CLOEXEC, 3)
        guard saved >= 0, dup2(pipe[1], 2) >= 0 else {
            closeDescriptor(pipe[0])
            closeDescriptor(pipe[1])
            if saved >= 0 { closeDescriptor(saved) }
            return nil
        }
        closeDescriptor(pipe[1])
        self.saved = saved
        readEnd = pipe[0]
    }

    /// Starts reading the pipe: each line becomes a warning record of component `stderr`.
    func start(_ onLine: @escaping @Sendable (LogLine) -> Void) {
        let readEnd = readEnd
        let done = done
        let thread = Thread {
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4_096)
            while true {
                let count = read(readEnd, &buffer, buffer.count)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                buffer.withUnsafeBufferPointer { bytes in
                    bytes.withMemoryRebound(to: CChar.self) { openwork_terminal_guard_note($0.baseAddress, count) }
                }
                pending += buffer[0..<count]
                while let newline = pending.firstIndex(of: 10) {
                    let line = String(decoding: pending[..<newline], as: UTF8.self)
                    pending.removeSubrange(...newline)
                    onLine(Self.record(line))
                }
            }
            if !pending.isEmpty { onLine(Self.record(String(decoding: pending, as: UTF8.self))) }
            done.signal()
        }
        thread.name = "openwork-dashboard-stderr"
        reader = thread
        thread.start()
    }

    static func record(_ line: String) -> LogLine {
        LogLine(timeUnixNano: LogSettings.now(), level: .warning, body: line, component: "stderr")
    }

    /// Points descriptor 2 back where it was; the reader reads what is left and ends (waited for, 2 s at most).
    func restore() {
        guard !restored else { return }
        restored = true
        _ = dup2(saved, 2)
        closeDescriptor(saved)
        if reader != nil { _ = done.wait(timeout: .now() + 2) }
        closeDescriptor(readEnd)
    }
}
