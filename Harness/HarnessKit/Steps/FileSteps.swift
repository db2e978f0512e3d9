import Foundation
public import OpenWorkJSON
import OpenWorkSidecars

#if canImport(Glibc)
    import Glibc
#endif

/// The files of a scenario: `mkdir`, `write`, `rm`, `sidecar-manifest`, and `expect file`.
enum FileSteps: StepFamily {
    static let verbs: [StepVerb] = [
        StepVerb("mkdir", parse: MkdirStep.parse),
        StepVerb("write", parse: WriteStep.parse),
        StepVerb("rm", parse: RemoveStep.parse),
        StepVerb("sidecar-manifest", parse: SidecarManifestStep.parse),
    ]
    static let expectations: [StepVerb] = [StepVerb("file", parse: ExpectFileStep.parse)]

    /// Writes through a close-on-exec descriptor: a child spawned meanwhile by another scenario must not
    /// inherit it, or executing the file (a wrapper script) fails with ETXTBSY while that child holds it.
    static func write(_ path: String, _ bytes: [UInt8], mode: Int) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode_t(mode))
        guard fd >= 0 else { throw StepFailure("cannot write \(path): errno \(errno)") }
        defer { close(fd) }
        fchmod(fd, mode_t(mode))
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { throw StepFailure("cannot write \(path): errno \(errno)") }
            offset += written
        }
    }
}

/// `mkdir PATH…`: creates the directories, with their parents.
public struct MkdirStep: StepAction {
    public var paths: [Template]

    static func parse(_ arguments: String, _ parser: inout StepParser) throws -> Self {
        let paths = ScenarioParser.words(arguments)
        guard !paths.isEmpty else { throw parser.fail("mkdir wants at least one path") }
        return Self(paths: try paths.map { try parser.template($0) })
    }

    public func run(in run: ScenarioRun) async throws {
        for path in paths {
            try FileManager.default.createDirectory(atPath: run.text(path), withIntermediateDirectories: true)
        }
    }
}

/// `write PATH SECTION [mode OCTAL]`: the text of a `-- SECTION --` of the file, as is (mode 0644 by default).
public struct WriteStep: StepAction {
    public var path: Template
    public var section: String
    public var mode: Int?

    static func parse(_ arguments: String, _ parser: inout StepParser) throws -> Self {
        let words = ScenarioParser.words(arguments)
        guard words.count == 2 || (words.count == 4 && words[2] == "mode") else {
            throw parser.fail("write wants PATH SECTION [mode OCTAL]")
        }
        var mode: Int?
        if words.count == 4 {
            guard let parsed = Int(words[3], radix: 8) else { throw parser.fail("bad mode \"\(words[3])\"") }
            mode = parsed
        }
        let step = Self(path: try parser.template(words[0]), section: words[1], mode: mode)
        parser.reference(section: step.section)
        return step
    }

    public func run(in run: ScenarioRun) async throws {
        let text = run.scenario.sections[section] ?? ""
        try FileSteps.write(run.text(path), Array(text.utf8), mode: mode ?? 0o644)
    }
}

/// `rm PATH`: removes a file or a directory tree.
public struct RemoveStep: StepAction {
    public var path: Template

    static func parse(_ arguments: String, _ parser: inout StepParser) throws -> Self {
        let words = ScenarioParser.words(arguments)
        guard words.count == 1 else { throw parser.fail("rm wants one path") }
        return Self(path: try parser.template(words[0]))
    }

    public func run(in run: ScenarioRun) async throws {
        try FileManager.default.removeItem(atPath: run.text(path))
    }
}

/// `sidecar-manifest PATH VERSION`: writes a sidecar manifest pinning the opencode under test (size, SHA-256,
/// `file://` URL) as opencode VERSION for this host.
public struct SidecarManifestStep: StepAction {
    public var path: Template
    public var version: Template

    static func parse(_ arguments: String, _ parser: inout StepParser) throws -> Self {
        let words = ScenarioParser.words(arguments)
        guard words.count == 2 else { throw parser.fail("sidecar-manifest wants PATH VERSION") }
        return Self(path: try parser.template(words[0]), version: try parser.template(words[1]))
    }

    public func run(in run: ScenarioRun) async throws {
        let binary = run.configuration.opencodeExecutable
        let version = run.text(version)
        guard case .success(let target) = HostTarget.current(),
            let pin = SidecarManifest.pin(file: binary, asset: "opencode", url: "file://" + binary)
        else { throw StepFailure("cannot pin \(binary) for this host") }
        let manifest = SidecarManifest(
            version: version, entries: ["opencode": .init(version: version, targets: [target: pin])])
        try FileSteps.write(run.text(path), try manifest.json.serializedBytes(.pretty), mode: 0o644)
    }
}

/// `expect file PATH exists|absent|equals SECTION|matches [exact] JSON|mode OCTAL`.
public struct ExpectFileStep: StepAction {
    /// What the file must be.
    public enum Condition: Sendable {
        case exists
        case absent
        case matches(JSONValue, MatchMode)
        case equals(section: String)
        /// The permission bits, e.g. `0600`.
        case mode(Int)
    }

    public var path: Template
    public var condition: Condition

    static func parse(_ arguments: String, _ parser: inout StepParser) throws -> Self {
        let (path, condition) = ScenarioParser.split(arguments)
        guard !path.isEmpty else { throw parser.fail("expect file wants PATH CONDITION") }
        let (word, argument) = ScenarioParser.split(condition)
        let parsed: Condition
        switch word {
        case "exists": parsed = .exists
        case "absent": parsed = .absent
        case "equals":
            guard !argument.isEmpty, !argument.contains(" ") else {
                throw parser.fail("expect file … equals SECTION")
            }
            parsed = .equals(section: argument)
        case "matches":
            let (mode, json) = ScenarioParser.mode(argument)
            parsed = .matches(try parser.json(json), mode)
        case "mode":
            guard argument.count >= 3, let bits = Int(argument, radix: 8), bits <= 0o7777 else {
                throw parser.fail("expect file … mode wants octal bits like 0600")
            }
            parsed = .mode(bits)
        default:
            throw parser.fail("expect file PATH wants exists, absent, equals SECTION, matches JSON or mode OCTAL")
        }
        let step = Self(path: try parser.template(path), condition: parsed)
        if case .equals(let section) = parsed { parser.reference(section: section) }
        return step
    }

    public func run(in run: ScenarioRun) async throws {
        let path = run.text(path)
        let exists = FileManager.default.fileExists(atPath: path)
        switch condition {
        case .exists: if !exists { throw StepFailure("\(path) does not exist") }
        case .absent: if exists { throw StepFailure("\(path) exists") }
        case .equals(let section):
            let data = try contents(of: path)
            let wanted = run.scenario.sections[section] ?? ""
            if Array(data) != Array(wanted.utf8) {
                throw StepFailure(
                    "\(path) differs from section \(section)", expected: wanted,
                    actual: String(decoding: data, as: UTF8.self))
            }
        case .mode(let bits):
            var info = stat()
            guard stat(path, &info) == 0 else { throw StepFailure("cannot stat \(path): errno \(errno)") }
            let actual = Int(info.st_mode) & 0o7777
            guard actual == bits else {
                throw StepFailure(
                    "\(path) has mode \(String(actual, radix: 8)), expected \(String(bits, radix: 8))",
                    expected: "0" + String(bits, radix: 8), actual: "0" + String(actual, radix: 8))
            }
        case .matches(let expected, let mode):
            let data = try contents(of: path)
            let actual: JSONValue
            do {
                actual = try JSONValue(parsing: Array(data))
            } catch {
                throw StepFailure("\(path) is not JSON: \(error)", actual: String(decoding: data, as: UTF8.self))
            }
            if let mismatch = JSONMatcher.match(expected, actual, mode: mode, variables: run.variables) {
                throw StepFailure(
                    "\(path) does not match \(mismatch)", expected: run.pretty(expected), actual: run.pretty(actual))
            }
        }
    }

    private func contents(of path: String) throws -> Data {
        guard let data = FileManager.default.contents(atPath: path) else { throw StepFailure("cannot read \(path)") }
        return data
    }
}
