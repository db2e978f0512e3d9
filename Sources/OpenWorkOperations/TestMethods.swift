import OpenWorkJSON
import OpenWorkRPC
import OpenWorkSystem

/// Methods that exist only so tests can exercise the protocol (cancellation, slow handlers, domain errors).
/// Registered only when ``Operations/Configuration/testMethods`` is set.
enum TestMethods {
    static let all: [RPCMethod] = [sleep, echo, fail]

    private struct SleepParams: Decodable {
        var ms: Int
    }

    static let sleep = RPCMethod(
        "test.sleep",
        summary: "Sleeps for `ms` milliseconds, honouring cancellation.",
        params: [.integer("ms", "how long to sleep")],
        result: RPCResultDescription(
            "slept", schema: ["type": "object", "required": ["slept"], "properties": ["slept": ["type": "integer"]]]),
        decoding: SleepParams.self
    ) { params in
        try await Task.sleep(for: .milliseconds(params.ms))
        return ["slept": JSONValue.integer(Int64(params.ms))]
    }

    static let echo = RPCMethod(
        "test.echo",
        summary: "Returns its `value` param unchanged.",
        params: [RPCParameter("value", "anything", schema: ["description": "any JSON value"], required: false)],
        result: RPCResultDescription("value", schema: ["description": "the `value` param, whatever it is"])
    ) { call in
        call.params["value"] ?? .null
    }

    private struct FailParams: Decodable {
        var kind: String
        var message: String?
    }

    static let fail = RPCMethod(
        "test.fail",
        summary: "Fails with a domain error of the given `kind`.",
        params: [.string("kind", "the error kind"), .string("message", "the message", required: false)],
        result: RPCResultDescription("never", schema: ["not": [:], "description": "it always fails"]),
        decoding: FailParams.self
    ) { (params: FailParams) -> JSONValue in
        throw RPCError.domain(params.kind, params.message ?? "test failure")
    }
}
