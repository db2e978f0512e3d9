import OpenWorkJSON
import OpenWorkRPC
import Testing

/// The examples of the JSON-RPC 2.0 specification (section 7), answer for answer.
@Suite("JSON-RPC 2.0 specification examples")
struct DispatcherSpecTests {
    static let transcripts: [(String, String, String?)] = [
        (
            "positional params", #"{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":1}"#,
            #"{"jsonrpc":"2.0","result":19,"id":1}"#
        ),
        (
            "positional params reversed", #"{"jsonrpc":"2.0","method":"subtract","params":[23,42],"id":2}"#,
            #"{"jsonrpc":"2.0","result":-19,"id":2}"#
        ),
        (
            "named params", #"{"jsonrpc":"2.0","method":"subtract","params":{"subtrahend":23,"minuend":42},"id":3}"#,
            #"{"jsonrpc":"2.0","result":19,"id":3}"#
        ),
        (
            "named params in the other order",
            #"{"jsonrpc":"2.0","method":"subtract","params":{"minuend":42,"subtrahend":23},"id":4}"#,
            #"{"jsonrpc":"2.0","result":19,"id":4}"#
        ),
        ("notification", #"{"jsonrpc":"2.0","method":"update","params":[1,2,3,4,5]}"#, nil),
        ("notification without params", #"{"jsonrpc":"2.0","method":"get_data"}"#, nil),
        (
            "non-existent method", #"{"jsonrpc":"2.0","method":"foobar","id":"1"}"#,
            #"{"jsonrpc":"2.0","error":{"code":-32601},"id":"1"}"#
        ),
        (
            "invalid JSON", #"{"jsonrpc":"2.0","method":"foobar,"params":"bar","baz]"#,
            #"{"jsonrpc":"2.0","error":{"code":-32700},"id":null}"#
        ),
        (
            "invalid request object", #"{"jsonrpc":"2.0","method":1,"params":"bar"}"#,
            #"{"jsonrpc":"2.0","error":{"code":-32600},"id":null}"#
        ),
        (
            "batch with invalid JSON",
            #"[{"jsonrpc":"2.0","method":"sum","params":[1,2,4],"id":"1"},{"jsonrpc":"2.0","method""#,
            #"{"jsonrpc":"2.0","error":{"code":-32700},"id":null}"#
        ),
        ("empty batch", "[]", #"{"jsonrpc":"2.0","error":{"code":-32600},"id":null}"#),
        ("invalid batch of one", "[1]", #"[{"jsonrpc":"2.0","error":{"code":-32600},"id":null}]"#),
        (
            "invalid batch", "[1,2,3]",
            #"[{"jsonrpc":"2.0","error":{"code":-32600},"id":null},{"jsonrpc":"2.0","error":{"code":-32600},"id":null},{"jsonrpc":"2.0","error":{"code":-32600},"id":null}]"#
        ),
        (
            "mixed batch",
            #"[{"jsonrpc":"2.0","method":"sum","params":[1,2,4],"id":"1"},{"jsonrpc":"2.0","method":"notify_hello","params":[7]},{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":"2"},{"foo":"boo"},{"jsonrpc":"2.0","method":"foo.get","params":{"name":"myself"},"id":"5"},{"jsonrpc":"2.0","method":"get_data","id":"9"}]"#,
            #"[{"jsonrpc":"2.0","result":7,"id":"1"},{"jsonrpc":"2.0","result":19,"id":"2"},{"jsonrpc":"2.0","error":{"code":-32600},"id":null},{"jsonrpc":"2.0","error":{"code":-32601},"id":"5"},{"jsonrpc":"2.0","result":["hello",5],"id":"9"}]"#
        ),
        (
            "all-notification batch",
            #"[{"jsonrpc":"2.0","method":"notify_sum","params":[1,2,4]},{"jsonrpc":"2.0","method":"notify_hello","params":[7]}]"#,
            nil
        ),
    ]

    @Test("each example is answered as the specification shows", arguments: transcripts)
    func example(name: String, request: String, expected: String?) async throws {
        let dispatcher = Dispatcher(table: SpecFixture.table)
        let answer = await dispatcher.handle(text: Array(request.utf8))
        guard let expected else {
            #expect(answer == nil, "\(name) must not be answered")
            return
        }
        let bytes = try #require(answer, "\(name) must be answered")
        #expect(!bytes.contains(10), "an answer is one line")
        let parsed = try JSONValue(parsing: bytes)
        #expect(SpecFixture.skeleton(parsed) == (try JSONValue(parsing: expected)), "\(name)")
    }
}
