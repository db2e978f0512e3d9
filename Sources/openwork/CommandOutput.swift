import ArgumentParser
import Foundation
import Logging
import OpenWorkClient
import OpenWorkCore
import OpenWorkDaemon
import OpenWorkJSON
import OpenWorkLogging
import OpenWorkOperations
import OpenWorkSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Prints a command's outcome: `--json` → one object on stdout; otherwise a line for people.
enum CommandOutput {
    static func success(_ result: JSONValue, json: Bool, human: @autoclosure () -> String) {
        if json {
            var members = result.objectValue ?? ["result": result]
            members["ok"] = true
            print((try? JSONValue.object(members).serialized(.compact)) ?? #"{"ok":true}"#)
        } else {
            print(human())
        }
    }

    /// Reports the failure (stdout JSON with `--json`, else one line on stderr) and exits 1.
    static func failure(_ error: OpenWorkError, json: Bool) -> ExitCode {
        if json {
            var members = error.details
            members["ok"] = false
            members["error"] = .string(error.message)
            members["kind"] = .string(error.code.rawValue)
            print((try? JSONValue.object(members).serialized(.compact)) ?? #"{"ok":false}"#)
        } else {
            FileHandle.standardError.write(Data("openwork: \(error.message) [\(error.code)]\n".utf8))
        }
        return ExitCode(1)
    }

    static func run(json: Bool, _ body: () async throws(OpenWorkError) -> Void) async throws {
        do {
            try await body()
        } catch {
            throw failure(error, json: json)
        }
    }
}
