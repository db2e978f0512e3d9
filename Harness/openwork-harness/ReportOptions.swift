import ArgumentParser
import Foundation
import HarnessKit
import OpenWorkJSON

#if canImport(Glibc)
    import Glibc
#endif

/// The format printed on stdout.
enum StdoutFormat: String, ExpressibleByArgument, CaseIterable {
    /// A line per scenario, the slowest steps, the closing counts.
    case text
    /// The JSON report.
    case json
    /// TAP version 14.
    case tap
}

/// Where the reports go: stdout's format, report files, artifacts.
struct ReportOptions: ParsableArguments {
    @Option(help: "What stdout carries: text, json or tap (the text lines then go to stderr).")
    var report: StdoutFormat = .text

    @Flag(help: "TAP version 14 on stdout (--report tap).")
    var tap = false

    @Option(help: ArgumentHelp("Write the JSON report to FILE (- for stdout).", valueName: "FILE"))
    var json: String?

    @Option(help: ArgumentHelp("Write JUnit XML to FILE (- for stdout).", valueName: "FILE"))
    var junit: String?

    @Option(
        help: ArgumentHelp(
            "JUnit testsuites: one per scenario file or per (first) tag (values: file, tag; default: file).",
            valueName: "GROUP"),
        transform: { text in
            guard let grouping = JUnitGrouping(rawValue: text) else {
                throw ValidationError("--junit-group wants file or tag, got \(text)")
            }
            return grouping
        })
    var junitGroup: JUnitGrouping = .file

    @Option(help: ArgumentHelp("Write each failed scenario's logs, events and state to DIR/NAME/.", valueName: "DIR"))
    var artifacts: String?

    @Flag(help: "With --artifacts: every scenario's, not only the failed ones'.")
    var artifactsAll = false

    var stdoutFormat: StdoutFormat { tap ? .tap : report }

    func validate() throws {
        if tap, report != .text, report != .tap {
            throw ValidationError("--tap and --report \(report) both want stdout")
        }
        let onStdout = [stdoutFormat != .text, json == "-", junit == "-"].filter { $0 }.count
        guard onStdout <= 1 else { throw ValidationError("only one report can go to stdout") }
        if artifactsAll, artifacts == nil { throw ValidationError("--artifacts-all needs --artifacts DIR") }
    }

    var artifactPolicy: ArtifactPolicy? {
        artifacts.map { ArtifactPolicy(directory: $0, includePassed: artifactsAll) }
    }

    /// Where the text report goes: stdout unless another report takes it.
    var output: ReportOutput {
        ReportOutput(textDescriptor: stdoutFormat == .text && json != "-" && junit != "-" ? 1 : 2)
    }

    /// Writes the finished run's reports.
    func write(_ report: SuiteReport) throws {
        switch stdoutFormat {
        case .text: break
        case .json: print(try report.json.serialized(.pretty))
        case .tap: print(report.tap, terminator: "")
        }
        if let json { try Self.write(try report.json.serialized(.pretty) + "\n", to: json) }
        if let junit { try Self.write(report.junitXML(groupedBy: junitGroup), to: junit) }
    }

    private static func write(_ text: String, to path: String) throws {
        if path == "-" {
            print(text, terminator: "")
            return
        }
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw ValidationError("cannot write \(path): \(error.localizedDescription)")
        }
    }
}

/// Lines for people: the text report (stdout, or stderr when stdout carries a report) and notes (stderr).
struct ReportOutput: Sendable {
    let textDescriptor: Int32

    func text(_ line: String) { Self.write(line, to: textDescriptor) }

    func note(_ line: String) { Self.write(line, to: 2) }

    private static func write(_ line: String, to descriptor: Int32) {
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
    }
}
