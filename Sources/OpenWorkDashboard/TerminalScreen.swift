import CNCurses
import CSystemShims
import OpenWorkSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why the dashboard could not take the terminal (the command then prints plain logs, and says why).
public struct DashboardUnavailable: Error, Sendable, CustomStringConvertible {
    public var description: String
}

/// The terminal, through ncurses: the alternate screen, keys without echo, colours; and the way back, on every
/// path (``close()``, or the crash guard's handler when the process dies of a signal).
///
/// Not thread-safe, as ncurses is not: only the dashboard's own thread calls it.
final class TerminalScreen {
    private var screen: OpaquePointer?
    private let utf8: Bool
    private(set) var width = 0
    private(set) var height = 0
    private var pairs = false

    /// Takes the terminal on stdin/stdout, first arming the crash guard (see
    /// `openwork_terminal_guard_install`) with the terminal's modes as they are now. Throws when ncurses cannot
    /// (an unknown `TERM`).
    ///
    /// - Parameters:
    ///   - savedStandardError: where descriptor 2 pointed before it was redirected, for the crash guard; -1 if not.
    ///   - standardErrorPipe: the read end of the pipe descriptor 2 now points at, for the crash guard; -1 if none.
    init(savedStandardError: Int32, standardErrorPipe: Int32) throws(DashboardUnavailable) {
        setlocale(LC_ALL, "")
        utf8 = String(cString: nl_langinfo(nl_item(CODESET))).uppercased().filter { $0 != "-" } == "UTF8"
        // Lone Escape is read after 25 ms, not the default second.
        setenv("ESCDELAY", "25", 0)
        let term = getenv("TERM").map { String(cString: $0) } ?? ""
        guard cncurses_setupterm() == 0 else {
            throw DashboardUnavailable(description: "the terminal type TERM=\(term) is unknown to ncurses here")
        }
        let restore = Self.restoreSequence()
        let armed = restore.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) {
                openwork_terminal_guard_install(1, $0.baseAddress, $0.count, savedStandardError, standardErrorPipe)
            }
        }
        guard armed == 0 else {
            throw DashboardUnavailable(description: "cannot arm the terminal's crash guard (errno \(armed))")
        }
        guard let screen = cncurses_newterm() else {
            openwork_terminal_guard_remove()
            throw DashboardUnavailable(description: "ncurses cannot drive TERM=\(term) here")
        }
        self.screen = screen
        _ = set_term(screen)
        _ = cbreak()
        _ = noecho()
        _ = nonl()
        _ = cncurses_keypad(1)
        _ = cncurses_nodelay(1)
        _ = curs_set(0)
        if has_colors() {
            _ = start_color()
            _ = use_default_colors()
            for colour in Style.Colour.allCases {
                // ncurses numbers: red 1, green 2, yellow 3, blue 4, magenta 5, cyan 6.
                _ = init_pair(Int16(colour.rawValue), Int16(colour.rawValue), -1)
            }
            pairs = true
        }
        measure()
    }

    /// The bytes that give the terminal back as ``close()`` leaves it (for the crash guard, which cannot call
    /// ncurses): leave the alternate screen, show the cursor, reset colours, keypad mode off.
    static func restoreSequence() -> [UInt8] {
        var bytes: [UInt8] = []
        for capability in ["rmcup", "cnorm", "sgr0", "rmkx"] {
            guard let value = tigetstr(capability), Int(bitPattern: value) != -1 else { continue }
            bytes += Array(String(cString: value).utf8)
        }
        return bytes + Array("\r\n".utf8)
    }

    /// Reads the terminal's size (after a SIGWINCH) and tells ncurses.
    func resize() {
        var size = winsize()
        if ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_row > 0, size.ws_col > 0 {
            _ = resizeterm(Int32(size.ws_row), Int32(size.ws_col))
        }
        measure()
    }

    private func measure() {
        height = Int(cncurses_lines())
        width = Int(cncurses_columns())
    }

    /// Draws `frame` (ncurses sends only what changed since the last frame).
    func draw(_ frame: Screen) {
        // After a crash gave the terminal back, this thread may still run a moment: it must not draw over it.
        guard openwork_terminal_guard_released() == 0 else { return }
        _ = erase()
        for (row, spans) in frame.lines.enumerated() where row < height {
            _ = move(Int32(row), 0)
            var column = 0
            for span in spans where column < width {
                let text = utf8 ? span.text : String(span.text.map { $0.isASCII ? $0 : "?" })
                let attributes = self.attributes(span.style)
                _ = attrset(attributes)
                // The last cell of the last row cannot be written without scrolling: leave it.
                let room = width - column - (row == height - 1 ? 1 : 0)
                let cut = TextWidth.of(text) > room ? TextWidth.truncate(text, to: room) : text
                _ = addstr(cut)
                column += TextWidth.of(cut)
            }
        }
        _ = attrset(0)
        _ = refresh()
    }

    private func attributes(_ style: Style) -> Int32 {
        var value: Int32 = 0
        if let colour = style.colour, pairs { value |= cncurses_color_pair(Int32(colour.rawValue)) }
        if style.bold { value |= cncurses_bold() }
        if style.dim { value |= cncurses_dim() }
        if style.reverse { value |= cncurses_reverse() }
        return value
    }

    /// Every key waiting (none when there is none: it never blocks).
    func keys() -> [DashboardKey] {
        var keys: [DashboardKey] = []
        var pending: [UInt8] = []
        while true {
            let code = getch()
            if code == cncurses_err() { break }
            if let key = Self.key(code) {
                keys.append(key)
            } else if (0x80...0xFF).contains(code) {
                // A UTF-8 sequence arrives a byte at a time.
                pending.append(UInt8(code))
                if let text = String(validating: pending, as: UTF8.self), let character = text.first {
                    keys.append(.character(character))
                    pending = []
                }
            }
        }
        return keys
    }

    static func key(_ code: Int32) -> DashboardKey? {
        switch code {
        case cncurses_key_up(): .up
        case cncurses_key_down(): .down
        case cncurses_key_left(): .left
        case cncurses_key_right(): .right
        case cncurses_key_page_up(): .pageUp
        case cncurses_key_page_down(): .pageDown
        case cncurses_key_home(): .home
        case cncurses_key_end(): .end
        case cncurses_key_enter(), 10, 13: .enter
        case cncurses_key_backspace(), 8, 127: .backspace
        case 9: .tab
        case 3: .interrupt
        case 27: .escape
        case 32..<127: .character(Character(Unicode.Scalar(UInt8(code))))
        default: nil
        }
    }

    /// Writes bytes straight to the terminal (an OSC 52 sequence), after ncurses' own output.
    func writeRaw(_ bytes: [UInt8]) {
        cncurses_flush_stdout()
        _ = FileIO.writeAll(1, bytes)
    }

    /// Gives the terminal back and disarms the crash guard (idempotent).
    func close() {
        guard let screen else { return }
        _ = endwin()
        delscreen(screen)
        self.screen = nil
        cncurses_flush_stdout()
        openwork_terminal_guard_remove()
    }

    deinit { close() }
}
