import OpenWorkJSON
import Testing

/// The example document and expectations of RFC 6901, section 5.
@Suite("JSON Pointer (RFC 6901)")
struct JSONPointerTests {
    static let document: JSONValue = [
        "foo": ["bar", "baz"], "": 0, "a/b": 1, "c%d": 2, "e^f": 3, "g|h": 4, "i\\j": 5, "k\"l": 6, " ": 7, "m~n": 8,
    ]

    @Test(
        "the RFC's examples resolve",
        arguments: [
            ("/foo", JSONValue.array(["bar", "baz"])),
            ("/foo/0", "bar"),
            ("/", 0),
            ("/a~1b", 1),
            ("/c%d", 2),
            ("/e^f", 3),
            ("/g|h", 4),
            ("/i\\j", 5),
            ("/k\"l", 6),
            ("/ ", 7),
            ("/m~0n", 8),
        ]
    )
    func examples(pointer: String, expected: JSONValue) throws {
        #expect(try Self.document.value(atPointer: pointer) == expected)
    }

    @Test("the empty pointer is the whole document")
    func wholeDocument() throws {
        #expect(try Self.document.value(atPointer: "") == Self.document)
    }

    @Test("missing steps resolve to nil", arguments: ["/nope", "/foo/2", "/foo/-", "/foo/01", "/foo/bar", "/ /x"])
    func missing(pointer: String) throws {
        #expect(try Self.document.value(atPointer: pointer) == nil)
    }

    @Test("malformed pointers are errors", arguments: ["foo", "/a~", "/a~2"])
    func malformed(pointer: String) {
        #expect(throws: JSONError.self) { try JSONPointer(pointer) }
    }

    @Test("tokens escape back to the same text")
    func description() throws {
        #expect(try JSONPointer("/a~1b/m~0n/0").description == "/a~1b/m~0n/0")
        #expect(try JSONPointer("/a~1b").tokens == ["a/b"])
    }
}
