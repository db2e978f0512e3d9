import OpenWorkCore
import OpenWorkJSON
import Testing

@Suite("opencode wire format")
struct OpenCodeWireTests {
    @Test("SSE: data lines become events; event:, id:, retry: and comments are ignored")
    func serverSentEvents() {
        var parser = ServerSentEventParser()
        let stream = Array(
            "event: message\nid: 7\ndata: {\"type\":\"server.connected\",\"properties\":{}}\n\n: comment\nretry: 10\r\ndata: {\"a\":\r\ndata: 1}\r\n\r\ndata: not json\n\n"
                .utf8)
        var events: [JSONValue] = []
        for byte in stream { events += parser.feed([byte]) }
        #expect(events == [["type": "server.connected", "properties": [:]], ["a": 1]])
    }

    @Test(
        "the listening line is found among noise",
        arguments: [
            ("opencode server listening on http://127.0.0.1:4096", "http://127.0.0.1:4096"),
            ("  opencode server listening on http://127.0.0.1:39001  ", "http://127.0.0.1:39001"),
            ("Warning: OPENCODE_SERVER_PASSWORD is not set; server is unsecured.", nil),
            ("noise opencode server listening on ftp://x", nil),
            ("", nil),
        ]
    )
    func listeningLine(line: String, url: String?) {
        #expect(OpenCodeService.listeningURL(in: line) == url)
    }
}
