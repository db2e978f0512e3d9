import OpenWorkJSON
import OpenWorkSandbox
import OpenWorkSystem
import Testing

@Suite("Sandbox mount requests (--sandbox-mount)")
struct MountRequestTests {
    @Test(
        "hostPath:subpath[:ro|rw], trimmed, read-only unless rw is asked for",
        arguments: [
            ("/data:datasets", "/data", "datasets", MountRequest.Access.readOnly),
            ("/data:datasets:rw", "/data", "datasets", .readWrite),
            ("~/p:x/y:ro", "~/p", "x/y", .readOnly),
            ("  /a b : c d :rw ", "/a b", "c d", .readWrite),
        ])
    func parsesHostPathSubpathAndAccess(spec: String, hostPath: String, subpath: String, access: MountRequest.Access)
        throws
    {
        let request = try MountRequest.parse(spec)
        #expect(request.hostPath == hostPath)
        #expect(request.subpath == subpath)
        #expect(request.access == access)
        #expect(request.spec == spec.trimmingWhitespace)
    }

    @Test(
        "a value of the wrong shape is an invalid_setting with the anchor's text",
        arguments: [
            ("  ", "Empty --sandbox-mount entry"),
            ("/data", "Invalid --sandbox-mount value: /data. Use hostPath:subpath[:ro|rw]."),
            ("/data:x:RW", "Invalid --sandbox-mount value: /data:x:RW. Use hostPath:subpath[:ro|rw]."),
            ("/a:b:c:ro", "Invalid --sandbox-mount value: /a:b:c:ro. Use hostPath:subpath[:ro|rw]."),
            (" :x", "Invalid --sandbox-mount value: :x. Host path is empty."),
            ("/data: ", "Invalid --sandbox-mount value: /data:. Container subpath is empty."),
            ("/data::rw", "Invalid --sandbox-mount value: /data::rw. Container subpath is empty."),
            ("/da\0ta:x", "Invalid --sandbox-mount value: /da\0ta:x. It contains a NUL byte."),
        ])
    func refusesMalformedValues(spec: String, message: String) {
        let error = #expect(throws: OpenWorkError.self) { try MountRequest.parse(spec) }
        #expect(error?.code == .invalidSetting)
        #expect(error?.message == message)
        #expect(error?.details["setting"] == "--sandbox-mount")
        #expect(error?.details["value"] == .string(spec.trimmingWhitespace))
    }

    @Test("a list is split at commas and newlines; blank entries are skipped")
    func parsesLists() throws {
        let requests = try MountRequest.parseList("/a:x, /b:y:rw\n\n /c:z ,\r\n")
        #expect(requests.map(\.spec) == ["/a:x", "/b:y:rw", "/c:z"])
        #expect(requests.map(\.access) == [.readOnly, .readWrite, .readOnly])
        #expect(try MountRequest.parseList("").isEmpty)
        #expect(try MountRequest.parseList(" ,\n").isEmpty)
    }

    @Test("a list with a bad entry fails with that entry's error")
    func listFailsOnItsBadEntry() {
        let error = #expect(throws: OpenWorkError.self) { try MountRequest.parseList("/a:x,/b,/c:z") }
        #expect(error?.message == "Invalid --sandbox-mount value: /b. Use hostPath:subpath[:ro|rw].")
    }
}
