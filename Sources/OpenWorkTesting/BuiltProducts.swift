public import Foundation

/// Finds executables built by SwiftPM next to the running test binary.
public enum BuiltProducts {
    /// The directory holding the built products: `OPENWORK_BUILD_DIR` when set, else the test binary's folder
    /// (on macOS, the folder holding the `.xctest` bundle).
    public static var directory: URL {
        if let override = ProcessInfo.processInfo.environment["OPENWORK_BUILD_DIR"], !override.isEmpty {
            return URL(fileURLWithPath: override)
        }
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        #if os(Linux)
            if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
                url = URL(fileURLWithPath: exe)
            }
        #endif
        while url.path != "/" {
            url.deleteLastPathComponent()
            if !url.path.hasSuffix(".xctest") && !url.path.contains(".xctest/") { break }
        }
        return url
    }

    /// The path of the built executable `name` (for example `openwork` or `fake-opencode`).
    public static func path(of name: String) -> String {
        directory.appendingPathComponent(name).path
    }
}
