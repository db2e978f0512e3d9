import Foundation
import OpenWorkSystem

/// Copying text for a person at a terminal: OSC 52 (the terminal, or tmux with `set-clipboard on`, puts it on
/// the clipboard, also over SSH), and a clipboard tool of the desktop when one is there.
enum Clipboard {
    /// The OSC 52 sequence that asks the terminal to set the clipboard to `text`.
    static func osc52(_ text: String) -> [UInt8] {
        Array("\u{1B}]52;c;\(Data(text.utf8).base64EncodedString())\u{07}".utf8)
    }

    /// The desktop's clipboard tool, as argv (the text goes on its stdin, never on argv): `pbcopy` on macOS,
    /// `wl-copy` under Wayland, `xclip` or `xsel` under X; nil when none applies or none is installed.
    static func tool(environment: [String: String], isInstalled: (String) -> String?) -> [String]? {
        var candidates: [[String]] = [["pbcopy"]]
        if !(environment["WAYLAND_DISPLAY"] ?? "").isEmpty { candidates.append(["wl-copy"]) }
        if !(environment["DISPLAY"] ?? "").isEmpty {
            candidates += [["xclip", "-selection", "clipboard"], ["xsel", "--clipboard", "--input"]]
        }
        for candidate in candidates {
            if let path = isInstalled(candidate[0]) { return [path] + candidate.dropFirst() }
        }
        return nil
    }

    /// Runs the clipboard tool with `text` on its stdin; true when it exited 0 within a few seconds.
    static func copyWithTool(_ argv: [String], text: String) async -> Bool {
        guard
            let process = try? ChildProcess(
                executable: argv[0], arguments: Array(argv.dropFirst()),
                environment: ProcessInfo.processInfo.environment,
                input: .pipe)
        else { return false }
        do {
            try await process.write(Array(text.utf8))
        } catch {}
        process.closeInput()
        guard let exit = await process.waitForExit(timeout: .seconds(5)) else {
            _ = await process.stop(grace: .milliseconds(200))
            return false
        }
        return exit == .exited(0)
    }
}
