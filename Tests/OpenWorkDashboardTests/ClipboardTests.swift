import Foundation
import Testing

@testable import OpenWorkDashboard

@Suite("dashboard: copying")
struct ClipboardTests {
    @Test func osc52CarriesTheTextInBase64() {
        let bytes = Clipboard.osc52("attach ü")
        #expect(String(decoding: bytes, as: UTF8.self) == "\u{1B}]52;c;YXR0YWNoIMO8\u{07}")
    }

    @Test func theToolIsTheDesktopsAndOnlyOneThatIsInstalled() {
        let everything: (String) -> String? = { "/usr/bin/" + $0 }
        let nothing: (String) -> String? = { _ in nil }
        #expect(Clipboard.tool(environment: [:], isInstalled: nothing) == nil)
        #expect(Clipboard.tool(environment: [:], isInstalled: everything) == ["/usr/bin/pbcopy"])
        let linux: (String) -> String? = { $0 == "pbcopy" ? nil : "/usr/bin/" + $0 }
        #expect(Clipboard.tool(environment: [:], isInstalled: linux) == nil, "no display: no desktop clipboard")
        #expect(
            Clipboard.tool(environment: ["WAYLAND_DISPLAY": "wayland-0"], isInstalled: linux) == ["/usr/bin/wl-copy"])
        #expect(
            Clipboard.tool(environment: ["DISPLAY": ":0"], isInstalled: linux)
                == ["/usr/bin/xclip", "-selection", "clipboard"])
        let xselOnly: (String) -> String? = { $0 == "xsel" ? "/usr/bin/xsel" : nil }
        #expect(
            Clipboard.tool(environment: ["DISPLAY": ":0"], isInstalled: xselOnly)
                == ["/usr/bin/xsel", "--clipboard", "--input"])
    }

    /// The tool gets the text on its stdin (never on argv) and its exit status decides.
    @Test func theToolReadsTheTextOnItsStandardInput() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("clip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("copied").path
        #expect(await Clipboard.copyWithTool(["/bin/sh", "-c", "cat > \(out)"], text: "the secret command"))
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "the secret command")
        #expect(!(await Clipboard.copyWithTool(["/bin/sh", "-c", "exit 3"], text: "x")))
    }
}
