import OpenWorkJSON
import OpenWorkRPC
import Testing

@Suite("Dispatcher rules")
struct DispatcherTests {
    let dispatcher = Dispatcher(table: SpecFixture.table)

    func answer(_ request: String) async throws -> JSONValue? {
        guard let bytes = await dispatcher.handle(text: Array(request.utf8)) else { return nil }
        return try JSONValue(parsing: bytes)
    }

    @Test(
        "ids of every allowed type are echoed exactly",
        arguments: [#""abc""#, "7", "-1", "0", "1.5", "null", #""""#, "9223372036854775807"]
    )
    func idsEchoed(id: String) async throws {
        let response = try #require(try await answer(#"{"jsonrpc":"2.0","method":"get_data","id":\#(id)}"#))
        #expect(response["id"] == (try JSONValue(parsing: id)))
        #expect(response["result"] == ["hello", 5])
    }

    @Test("ids of other types are invalid requests answered with id null", arguments: ["{}", "[]", "true", "[1]"])
    func idsRejected(id: String) async throws {
        let response = try #require(try await answer(#"{"jsonrpc":"2.0","method":"get_data","id":\#(id)}"#))
        #expect(response["id"] == .null)
        #expect(response["error"]?["code"] == -32_600)
    }

    @Test(
        "malformed requests are -32600, answered under their id when it is usable",
        arguments: [
            (#"{"method":"get_data","id":1}"#, JSONValue.integer(1)),
            (#"{"jsonrpc":"1.0","method":"get_data","id":2}"#, 2),
            (#"{"jsonrpc":2.0,"method":"get_data","id":3}"#, 3),
            (#"{"jsonrpc":"2.0","id":4}"#, 4),
            (#"{"jsonrpc":"2.0","method":null,"id":5}"#, 5),
            (#"{"jsonrpc":"2.0","method":"get_data","params":3,"id":6}"#, 6),
            (#"{"jsonrpc":"2.0","method":"get_data","params":"x","id":7}"#, 7),
            (#"{"jsonrpc":"2.0","method":"get_data","params":null,"id":8}"#, 8),
            ("\"just a string\"", nil),
            ("42", nil),
            ("null", nil),
        ]
    )
    func invalidRequests(request: String, id: JSONValue?) async throws {
        let response = try #require(try await answer(request))
        #expect(response["error"]?["code"] == -32_600)
        #expect(response["error"]?["data"]?["kind"] == "invalid_request")
        #expect(response["id"] == (id ?? .null))
    }

    @Test("notifications are never answered, even when they fail")
    func notificationsSilent() async throws {
        for request in [
            #"{"jsonrpc":"2.0","method":"nope"}"#, #"{"jsonrpc":"2.0","method":"throws.generic"}"#,
            #"{"jsonrpc":"2.0","method":"subtract","params":{"minuend":"x"}}"#,
            #"{"jsonrpc":"2.0","method":"subtract","params":[1,2,3]}"#,
        ] {
            #expect(try await answer(request) == nil, "\(request)")
        }
    }

    @Test(
        "errors carry the right code and a stable kind",
        arguments: [
            (#"{"jsonrpc":"2.0","id":1,"method":"nope"}"#, -32_601, "method_not_found"),
            (
                #"{"jsonrpc":"2.0","id":1,"method":"subtract","params":{"minuend":"x","subtrahend":1}}"#, -32_602,
                "invalid_params"
            ),
            (#"{"jsonrpc":"2.0","id":1,"method":"subtract","params":{"minuend":1}}"#, -32_602, "invalid_params"),
            (#"{"jsonrpc":"2.0","id":1,"method":"subtract","params":[1,2,3]}"#, -32_602, "invalid_params"),
            (
                #"{"jsonrpc":"2.0","id":1,"method":"subtract","params":{"minuend":1,"subtrahend":2,"typo":3}}"#,
                -32_602, "invalid_params"
            ),
            (#"{"jsonrpc":"2.0","id":1,"method":"throws.generic"}"#, -32_603, "internal_error"),
            (#"{"jsonrpc":"2.0","id":1,"method":"throws.domain"}"#, -32_004, "workspace_not_found"),
            (#"{"jsonrpc":"2.0","id":1,"method":"returns.nan"}"#, -32_603, "internal_error"),
            ("{oops", -32_700, "parse_error"),
            ("\"\\u00zz\"", -32_700, "parse_error"),
            (#"{"a":1,"a":2}"#, -32_700, "parse_error"),
        ]
    )
    func errorCodes(request: String, code: Int, kind: String) async throws {
        let response = try #require(try await answer(request))
        #expect(response["error"]?["code"]?.intValue == code, "\(response)")
        #expect(response["error"]?["data"]?["kind"]?.stringValue == kind)
        #expect(response["error"]?["message"]?.stringValue?.isEmpty == false)
        #expect(response["result"] == nil)
    }

    @Test("invalid params say where and why")
    func invalidParamsMessage() async throws {
        let response = try #require(
            try await answer(#"{"jsonrpc":"2.0","id":1,"method":"subtract","params":{"minuend":"x","subtrahend":1}}"#)
        )
        #expect(
            response["error"]?["message"]
                == "invalid params for subtract: at \"minuend\": expected integer, found string")
    }

    @Test("$/cancelRequest makes a running request answer -32800")
    func cancellation() async throws {
        async let slow = answer(#"{"jsonrpc":"2.0","id":"slow","method":"sleep","params":{"ms":60000}}"#)
        let clock = ContinuousClock()
        let start = clock.now
        while !dispatcher.isRunning("slow") && clock.now - start < .seconds(10) {
            try await Task.sleep(for: .milliseconds(1))
        }
        #expect(try await answer(#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":"slow"}}"#) == nil)
        var cancelled: JSONValue?
        cancelled = try await slow
        #expect(cancelled?["error"]?["code"] == -32_800)
        #expect(cancelled?["error"]?["data"]?["kind"] == "request_cancelled")
        #expect(cancelled?["id"] == "slow")
        #expect(clock.now - start < .seconds(50), "answered long before the 60 s sleep would have ended")
    }

    @Test("cancelling an unknown id changes nothing; a request with an id is answered null")
    func cancelUnknown() async throws {
        #expect(try await answer(#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":"nope"}}"#) == nil)
        let answered = try await answer(#"{"jsonrpc":"2.0","id":9,"method":"$/cancelRequest","params":{"id":"nope"}}"#)
        #expect(answered?["result"] == .null)
    }

    @Test("cancelling the caller's task cancels the handler")
    func callerCancellation() async throws {
        let task = Task { try await answer(#"{"jsonrpc":"2.0","id":1,"method":"sleep","params":{"ms":60000}}"#) }
        let clock = ContinuousClock()
        let start = clock.now
        while !dispatcher.isRunning(1) && clock.now - start < .seconds(10) {
            try await Task.sleep(for: .milliseconds(1))
        }
        task.cancel()
        let response = try await task.value
        #expect(response?["error"]?["code"] == -32_800)
    }

    @Test("batch answers keep request order even when later requests finish first")
    func batchOrder() async throws {
        let response = try #require(
            try await answer(
                #"[{"jsonrpc":"2.0","id":1,"method":"sleep","params":{"ms":50}},{"jsonrpc":"2.0","id":2,"method":"get_data"}]"#
            )
        )
        #expect(response[0]?["id"] == 1)
        #expect(response[1]?["id"] == 2)
    }

    @Test("a batch runs its requests concurrently")
    func batchConcurrent() async throws {
        // Each request waits until all ten are running at once: run one after another, they would fail.
        let requests = (0..<10).map { #"{"jsonrpc":"2.0","id":\#($0),"method":"rendezvous","params":{"n":10}}"# }
        let response = try #require(try await answer("[" + requests.joined(separator: ",") + "]"))
        #expect(response.arrayValue?.compactMap { $0["result"] } == Array(repeating: "met", count: 10))
    }
}
