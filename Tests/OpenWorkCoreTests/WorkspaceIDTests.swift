import OpenWorkCore
import OpenWorkSystem
import Testing

@Suite("Workspace ids and path normalization")
struct WorkspaceIDTests {
    @Test("ids match the reference vectors")
    func referenceVectors() {
        #expect(WorkspaceID.local(path: "/Users/susan/Finance") == "ws-511b74233395")
        #expect(WorkspaceID.remote(baseURL: "http://127.0.0.1:4096", directory: "/srv/proj") == "ws-b395799b3eab")
        #expect(WorkspaceID.remote(baseURL: "http://127.0.0.1:4096", directory: nil) == "ws-9ebf8726e1c5")
        #expect(WorkspaceID.remote(baseURL: "http://127.0.0.1:4096", directory: "") == "ws-9ebf8726e1c5")
    }

    @Test(
        "paths normalize lexically against the caller's directory",
        arguments: [
            ("/a/b", "/cwd", "/a/b"),
            ("/a/b/", "/cwd", "/a/b"),
            ("/a//b///", "/cwd", "/a/b"),
            ("/a/./b/../c", "/cwd", "/a/c"),
            ("/../..", "/cwd", "/"),
            ("/", "/cwd", "/"),
            ("rel", "/cwd", "/cwd/rel"),
            ("./rel/", "/cwd/", "/cwd/rel"),
            ("../up", "/cwd/sub", "/cwd/up"),
            ("~", "/cwd", "/home/u"),
            ("~/x/../y", "/cwd", "/home/u/y"),
            ("~user/x", "/cwd", "/cwd/~user/x"),
            ("dir with spaces/é", "/cwd", "/cwd/dir with spaces/é"),
        ]
    )
    func normalization(input: String, cwd: String, expected: String) throws {
        #expect(try PathNormalizer.normalize(input, relativeTo: cwd, home: "/home/u") == expected)
    }

    @Test("a relative path without a base, an empty path and NUL are refused")
    func refusals() {
        #expect(throws: PathNormalizer.Failure.relativeWithoutBase("x")) {
            try PathNormalizer.normalize("x", relativeTo: nil, home: nil)
        }
        #expect(throws: PathNormalizer.Failure.relativeWithoutBase("x")) {
            try PathNormalizer.normalize("x", relativeTo: "relative/base", home: nil)
        }
        #expect(throws: PathNormalizer.Failure.empty) { try PathNormalizer.normalize("", relativeTo: "/", home: nil) }
        #expect(throws: PathNormalizer.Failure.containsNUL) {
            try PathNormalizer.normalize("/a\u{0}b", relativeTo: "/", home: nil)
        }
    }

    @Test("base names", arguments: [("/a/b", "b"), ("/", "/"), ("/a", "a")])
    func baseNames(path: String, name: String) {
        #expect(PathNormalizer.baseName(path) == name)
    }
}
