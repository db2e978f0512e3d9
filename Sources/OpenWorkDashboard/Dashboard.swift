import CSystemShims
import Foundation
import OpenWorkLogging
import OpenWorkSystem
import Synchronization
import UnixSignals

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The host-mode dashboard: a ``DashboardModel`` drawn on the terminal by a thread of its own, which alone
/// touches ncurses and the model.
///
/// Anything may ``post(_:)`` events from any thread; they wait in an inbox and one byte on a wake pipe tells the
/// thread. The thread sleeps in `poll(2)` on the keyboard and that pipe, so an idle dashboard costs nothing but
/// one redraw a second while an uptime is on screen. Redraws follow events, at most 30 a
/// second (``FramePacer``), however many events arrive. Keys that ask something of the run come out of ``commands``.
///
/// While it runs, descriptor 2 points at a pipe whose lines appear on the Logs tab (a stray write to stderr
/// would tear the screen); ``close()`` gives the terminal and stderr back, and a crash does too (see
/// `openwork_terminal_guard_install`).
public final class Dashboard: Sendable {

    /// Keys that ask something of the run: quit, detach, restart (copy is done here).
    public let commands: AsyncStream<DashboardCommand>
    private let commandsInput: AsyncStream<DashboardCommand>.Continuation
    private let inbox = Mutex(Inbox())
    private let wakeRead: Int32
    private let wakeWrite: Int32
    /// The model as the thread left it, once it has ended.
    private let ended = Mutex<(model: DashboardModel?, waiters: [CheckedContinuation<DashboardModel, Never>])>(
        (nil, []))
    private let resizeWatcher: Mutex<Task<Void, Never>?> = Mutex(nil)
    private let framesDrawn = Atomic<Int>(0)
    /// Frames drawn so far.
    public var frames: Int { framesDrawn.load(ordering: .relaxed) }

    private struct Inbox {
        var events: [DashboardModel.Event] = []
        var resized = false
        var closing = false
        var wakePending = false
    }

    private init(wake: (Int32, Int32)) {
        (wakeRead, wakeWrite) = wake
        (commands, commandsInput) = AsyncStream<DashboardCommand>.makeStream()
    }

    /// Takes the terminal and starts drawing `header`'s run. Throws (with the reason) when it cannot: the caller
    /// prints plain logs instead.
    public static func open(header: DashboardModel.Header) async throws(DashboardUnavailable) -> Dashboard {
        var pipe: [Int32] = [-1, -1]
        guard openwork_pipe_cloexec(&pipe) == 0 else {
            throw DashboardUnavailable(description: "cannot make a pipe: \(String(cString: strerror(errno)))")
        }
        _ = fcntl(pipe[0], F_SETFL, fcntl(pipe[0], F_GETFL) | O_NONBLOCK)
        _ = fcntl(pipe[1], F_SETFL, fcntl(pipe[1], F_GETFL) | O_NONBLOCK)
        let dashboard = Dashboard(wake: (pipe[0], pipe[1]))
        // Trapped before ncurses starts, so ncurses leaves SIGWINCH to us: its own handler would only be heard
        // by whichever thread the signal happens to interrupt.
        let resizes = await UnixSignalsSequence(trapping: .sigwinch)
        let opened = await withCheckedContinuation {
            (continuation: CheckedContinuation<DashboardUnavailable?, Never>) in
            let thread = Thread { dashboard.run(header: header, opened: { continuation.resume(returning: $0) }) }
            thread.name = "openwork-dashboard"
            thread.start()
        }
        if let opened {
            dashboard.closeWakePipe()
            throw opened
        }
        dashboard.resizeWatcher.withLock {
            $0 = Task {
                for await _ in resizes { dashboard.signal { $0.resized = true } }
            }
        }
        return dashboard
    }

    /// Hands an event to the dashboard (any thread; never blocks).
    public func post(_ event: DashboardModel.Event) {
        signal { inbox in
            // Once closing, nobody will read them.
            if !inbox.closing { inbox.events.append(event) }
        }
    }

    /// Ends the dashboard: the thread stops, the terminal and stderr are given back. Returns the last model (its
    /// logs, e.g. to print the last lines after a failure). Idempotent.
    public func close() async -> DashboardModel {
        resizeWatcher.withLock { $0?.cancel() }
        signal { $0.closing = true }
        return await withCheckedContinuation { continuation in
            let model = ended.withLock { state -> DashboardModel? in
                if state.model == nil { state.waiters.append(continuation) }
                return state.model
            }
            if let model { continuation.resume(returning: model) }
        }
    }

    private func signal(_ change: (inout Inbox) -> Void) {
        let wake = inbox.withLock { inbox -> Bool in
            change(&inbox)
            defer { inbox.wakePending = true }
            return !inbox.wakePending
        }
        if wake {
            var byte: UInt8 = 1
            _ = write(wakeWrite, &byte, 1)
        }
    }

    private func closeWakePipe() {
        closeDescriptor(wakeRead)
        closeDescriptor(wakeWrite)
    }

    // MARK: The dashboard's thread

    private func run(header: DashboardModel.Header, opened: (DashboardUnavailable?) -> Void) {
        let standardError = StandardErrorCapture()
        let screen: TerminalScreen
        do throws(DashboardUnavailable) {
            screen = try TerminalScreen(
                savedStandardError: standardError?.saved ?? -1, standardErrorPipe: standardError?.readEnd ?? -1)
        } catch {
            standardError?.restore()
            opened(error)
            return
        }
        standardError?.start { line in self.post(.log(line)) }
        var model = DashboardModel(header: header)
        model.apply(.resize(width: screen.width, height: screen.height))
        opened(nil)
        loop(&model, screen)
        screen.close()
        standardError?.restore()
        commandsInput.finish()
        closeWakePipe()
        let waiters = ended.withLock { state in
            state.model = model
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: model) }
    }

    private func loop(_ model: inout DashboardModel, _ screen: TerminalScreen) {
        var pacer = FramePacer()
        var keyboard = true
        while true {
            var now = Self.monotonic()
            if let toast = model.toast, now >= toast.until {
                model.toast = nil
                pacer.changed()
            }
            let ticking = Self.showsUptime(model)
            if pacer.draw(at: now, ticking: ticking) {
                screen.draw(DashboardFrame.render(model, unixMillis: Self.unixMillis(), monotonic: now))
                framesDrawn.add(1, ordering: .relaxed)
            }
            // Sleep until something happens, or until the next frame is due.
            let sleep = pacer.sleep(at: now, ticking: ticking, toastUntil: model.toast?.until)
            let timeout = sleep.map { Int32(clamping: $0 / 1_000_000 + 1) } ?? -1
            var fds = [
                pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
                pollfd(fd: keyboard ? 0 : -1, events: Int16(POLLIN), revents: 0),
            ]
            _ = poll(&fds, 2, timeout)
            if fds[0].revents != 0 {
                var buffer = [UInt8](repeating: 0, count: 64)
                while read(wakeRead, &buffer, buffer.count) > 0 {}
            }
            let taken = inbox.withLock { inbox -> Inbox in
                defer {
                    inbox.events = []
                    inbox.resized = false
                    inbox.wakePending = false
                }
                return inbox
            }
            for event in taken.events { model.apply(event) }
            // Log lines change the screen only on the Logs tab (the Overview shows none).
            if taken.events.contains(where: { if case .log = $0 { model.view == .logs } else { true } }) {
                pacer.changed()
            }
            if taken.resized {
                screen.resize()
                model.apply(.resize(width: screen.width, height: screen.height))
                pacer.changed()
            }
            if taken.closing { return }
            now = Self.monotonic()
            if fds[1].revents & Int16(POLLIN) != 0 {
                for key in screen.keys() {
                    pacer.changed()
                    guard let command = model.handle(key, now: now) else { continue }
                    carryOut(command, screen)
                }
            }
            if keyboard, fds[1].revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 {
                // The terminal is gone: nobody can quit by hand any more.
                keyboard = false
                if model.phase != .stopping {
                    model.phase = .stopping
                    commandsInput.yield(.quit)
                }
            }
        }
    }

    private func carryOut(_ command: DashboardCommand, _ screen: TerminalScreen) {
        guard case .copy(let text) = command else {
            commandsInput.yield(command)
            return
        }
        screen.writeRaw(Clipboard.osc52(text))
        let environment = ProcessInfo.processInfo.environment
        if let tool = Clipboard.tool(
            environment: environment, isInstalled: { Executable.onPath($0, environment: environment) })
        {
            Task { _ = await Clipboard.copyWithTool(tool, text: text) }
        }
    }

    static func showsUptime(_ model: DashboardModel) -> Bool {
        model.view == .overview && model.services.contains { $0.state == .healthy || $0.state == .running }
    }

    /// The clock of toasts (``DashboardModel/Event/toast(_:now:)``): monotonic nanoseconds.
    public static func monotonic() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    static func unixMillis() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1_000 + Int64(time.tv_nsec) / 1_000_000
    }
}

/// `close(2)`, out of reach of the types' own `close()`.
func closeDescriptor(_ descriptor: Int32) {
    #if canImport(Glibc)
        _ = Glibc.close(descriptor)
    #else
        _ = Darwin.close(descriptor)
    #endif
}
