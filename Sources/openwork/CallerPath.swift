import ArgumentParser
import Foundation
import OpenWorkClient
import OpenWorkJSON
import OpenWorkSystem

/// Paths as the caller means them: `~` is the caller's home, relative paths are relative to the caller's
/// working directory. Resolved here so the daemon only ever sees absolute paths.
enum CallerPath {
    static var workingDirectory: String { FileManager.default.currentDirectoryPath }

    /// The absolute form of `path`; an empty or blank path stays as it is, so the daemon refuses it
    /// (`invalid_path`) instead of it becoming the working directory.
    static func absolute(_ path: String) -> String {
        if !path.contains(where: { !$0.isWhitespace }) { return path }
        if path == "~" || path.hasPrefix("~/") {
            let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
            return home + path.dropFirst()
        }
        if path.hasPrefix("/") { return path }
        return workingDirectory + "/" + path
    }

    /// A workspace reference: an id or a name goes as is (with the caller's directory as `cwd`, so the daemon
    /// resolves a relative path there too); something spelled as a path is made absolute first.
    static func reference(_ reference: String) -> JSONValue {
        let pathLike = reference.hasPrefix(".") || reference.hasPrefix("~") || reference.contains("/")
        return ["id": .string(pathLike ? absolute(reference) : reference), "cwd": .string(workingDirectory)]
    }
}
