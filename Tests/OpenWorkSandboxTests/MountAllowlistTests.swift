import Foundation
import OpenWorkJSON
import OpenWorkSandbox
import OpenWorkSystem
import OpenWorkTesting
import Testing

@Suite("Sandbox mount allowlist file")
struct MountAllowlistTests {
    private static let file = "/home/u/.config/openwork/sandbox-mount-allowlist.json"

    @Test("the example printed when the file is missing is a valid allowlist")
    func exampleIsValid() throws {
        let allowlist = try MountAllowlist(json: JSONValue(parsing: MountAllowlist.example), file: Self.file)
        #expect(
            allowlist.allowedRoots == [
                .init(path: "~/projects", allowReadWrite: true, description: "Development projects"),
                .init(path: "~/Documents", allowReadWrite: false, description: "Documents (read-only)"),
            ])
        #expect(allowlist.blockedPatterns == ["password", "secret", "token"])
    }

    @Test("the defaults are always blocked; the file's patterns are added once, after them")
    func effectivePatternsAddTheFilesToTheDefaults() throws {
        let json = try JSONValue(parsing: #"{"allowedRoots":[{"path":"/p"}],"blockedPatterns":[".ssh","password"]}"#)
        let allowlist = try MountAllowlist(json: json, file: Self.file)
        #expect(allowlist.allowedRoots == [.init(path: "/p", allowReadWrite: false, description: nil)])
        #expect(allowlist.effectiveBlockedPatterns == MountAllowlist.defaultBlockedPatterns + ["password"])
        #expect(MountAllowlist.defaultBlockedPatterns.count == 17)
    }

    @Test("an empty allowedRoots is an allowlist that allows nothing, not a missing one")
    func emptyRootsIsAnAllowlist() throws {
        let allowlist = try MountAllowlist(json: JSONValue(parsing: #"{"allowedRoots":[]}"#), file: Self.file)
        #expect(allowlist.allowedRoots.isEmpty)
        #expect(allowlist.effectiveBlockedPatterns == MountAllowlist.defaultBlockedPatterns)
    }

    @Test(
        "every malformed shape is an invalid_setting naming the file and the member",
        arguments: [
            (#"["~/p"]"#, nil, "must be a JSON object, not array"),
            (#"{}"#, "allowedRoots", "is missing"),
            (#"{"allowedRoots":{"path":"/p"}}"#, "allowedRoots", "must be an array, not object"),
            (#"{"allowedRoots":["/p"]}"#, "allowedRoots[0]", "must be an object, not string"),
            (#"{"allowedRoots":[{"path":"/p"},{"allowReadWrite":true}]}"#, "allowedRoots[1].path", "is missing"),
            (#"{"allowedRoots":[{"path":7}]}"#, "allowedRoots[0].path", "must be a string, not integer"),
            (#"{"allowedRoots":[{"path":"projects"}]}"#, "allowedRoots[0].path", "must be absolute or start with ~/"),
            (
                #"{"allowedRoots":[{"path":"/p","allowReadWrite":"yes"}]}"#, "allowedRoots[0].allowReadWrite",
                "must be true or false, not string"
            ),
            (#"{"allowedRoots":[{"path":"/p","description":1}]}"#, "allowedRoots[0].description", "must be a string"),
            (
                #"{"allowedRoots":[{"path":"/p","allowReadwrite":true}]}"#, "allowedRoots[0].allowReadwrite",
                "is not an allowlist member"
            ),
            (#"{"allowedRoots":[],"blockedPattern":["x"]}"#, "blockedPattern", "is not an allowlist member"),
            (#"{"allowedRoots":[],"blockedPatterns":"x"}"#, "blockedPatterns", "must be an array, not string"),
            (#"{"allowedRoots":[],"blockedPatterns":[null]}"#, "blockedPatterns[0]", "must be a string, not null"),
            (
                #"{"allowedRoots":[],"blockedPatterns":["ok","a/b"]}"#, "blockedPatterns[1]",
                "must be one path component"
            ),
            (#"{"allowedRoots":[],"blockedPatterns":[" "]}"#, "blockedPatterns[0]", "must be one path component"),
        ] as [(String, String?, String)])
    func refusesMalformedFiles(text: String, member: String?, problem: String) throws {
        let json = try JSONValue(parsing: text)
        let error = #expect(throws: OpenWorkError.self) { try MountAllowlist(json: json, file: Self.file) }
        #expect(error?.code == .invalidSetting)
        #expect(error?.details["file"] == .string(Self.file))
        #expect(error?.details["member"] == member.map(JSONValue.string))
        let subject = member.map { "\($0) in \(Self.file)" } ?? Self.file
        #expect(error?.message.hasPrefix("sandbox mount allowlist: \(subject) \(problem)") == true)
    }

    @Test("load: no file is nil; a file (also through a symbolic link) is parsed")
    func loadsTheFile() throws {
        let directory = try TemporaryDirectory("allowlist")
        #expect(try MountAllowlist.load(path: directory.appending("missing.json")) == nil)
        let file = directory.appending("allowlist.json")
        try #"{"allowedRoots":[{"path":"~/projects","allowReadWrite":true}]}"#.write(
            toFile: file, atomically: true, encoding: .utf8)
        let link = directory.appending("link.json")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: file)
        let expected = MountAllowlist(allowedRoots: [.init(path: "~/projects", allowReadWrite: true)])
        #expect(try MountAllowlist.load(path: file) == expected)
        #expect(try MountAllowlist.load(path: link) == expected)
    }

    @Test("load: a file that is not JSON, or not a file, is an invalid_setting naming it")
    func loadRefusesUnusableFiles() throws {
        let directory = try TemporaryDirectory("allowlist")
        let file = directory.appending("allowlist.json")
        try #"{"allowedRoots": ["#.write(toFile: file, atomically: true, encoding: .utf8)
        let notJSON = #expect(throws: OpenWorkError.self) { try MountAllowlist.load(path: file) }
        #expect(notJSON?.code == .invalidSetting)
        #expect(notJSON?.message.hasPrefix("sandbox mount allowlist: \(file) is not JSON") == true)
        let folder = try directory.makeDirectories("folder.json")[0]
        let notFile = #expect(throws: OpenWorkError.self) { try MountAllowlist.load(path: folder) }
        #expect(notFile?.message == "sandbox mount allowlist: \(folder) is not a regular file")
        #expect(notFile?.details["file"] == .string(folder))
    }

    @Test("the file is the override (~ expanded, relative to the working directory) or the default under home")
    func resolvesThePath() {
        let home = "/home/u"
        #expect(MountAllowlist.path(override: nil, home: home, workingDirectory: "/w") == Self.file)
        #expect(MountAllowlist.path(override: " ", home: home, workingDirectory: "/w") == Self.file)
        #expect(MountAllowlist.path(override: "~/a.json", home: home, workingDirectory: "/w") == "/home/u/a.json")
        #expect(MountAllowlist.path(override: "cfg/a.json ", home: home, workingDirectory: "/w") == "/w/cfg/a.json")
    }
}
