import OpenWorkHost
import Testing

@Suite("host mode: redaction")
struct RedactorTests {
    let redactor = Redactor(secrets: ["s3cret-password-value", "tok"])

    @Test(arguments: [
        ("Authorization: Bearer abc.def", "Authorization: Bearer [REDACTED]"),
        ("header basic dXNlcjpwYXNz,", "header basic [REDACTED],"),
        ("OPENWORK_HOST_TOKEN=abc123 next", "OPENWORK_HOST_TOKEN=[REDACTED] next"),
        (
            "env OPENCODE_SERVER_PASSWORD=xyz OPENCODE_URL=http://x",
            "env OPENCODE_SERVER_PASSWORD=[REDACTED] OPENCODE_URL=http://x"
        ),
        (#"{"hostToken":"abc","port":3}"#, #"{"hostToken":"[REDACTED]","port":3}"#),
        (#"{"password": "p\"q", "user":"u"}"#, #"{"password": "[REDACTED]", "user":"u"}"#),
        ("run --host-token abc --port 3", "run --host-token [REDACTED] --port 3"),
        ("run --opencode-password=abc", "run --opencode-password=[REDACTED]"),
        ("leaked s3cret-password-value here", "leaked [REDACTED] here"),
        ("a tok is short: not masked", "a tok is short: not masked"),
        ("nothing secret at all", "nothing secret at all"),
    ])
    func redacts(_ line: String, _ expected: String) {
        #expect(redactor.redact(line) == expected)
    }
}
