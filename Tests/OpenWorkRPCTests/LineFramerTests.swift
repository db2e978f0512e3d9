import OpenWorkRPC
import Testing

@Suite("Line framing")
struct LineFramerTests {
    func lines(_ events: [LineFramer.Event]) -> [String] {
        events.map { event in
            switch event {
            case .line(let bytes): String(decoding: bytes, as: UTF8.self)
            case .oversized(let limit): "<oversized \(limit)>"
            }
        }
    }

    @Test(
        "lines split on LF, CR dropped, blank lines skipped",
        arguments: [
            ("a\nb\n", ["a", "b"]),
            ("a\r\nb\r\n", ["a", "b"]),
            ("\n\n  \n\t\r\na\n", ["a"]),
            ("a\rb\n", ["a\rb"]),
            ("a", []),
        ]
    )
    func splitting(input: String, expected: [String]) {
        var framer = LineFramer(maximumLineBytes: 100)
        #expect(lines(framer.feed(Array(input.utf8))) == expected)
    }

    @Test("an unterminated last line is delivered at end of input")
    func finish() {
        var framer = LineFramer(maximumLineBytes: 100)
        #expect(lines(framer.feed(Array("a\nb".utf8))) == ["a"])
        #expect(lines(framer.finish()) == ["b"])
        #expect(lines(framer.finish()) == [])
    }

    @Test("feeding one byte at a time gives the same lines")
    func byteAtATime() {
        let input = Array("{\"a\":1}\r\n\n[1,2]\nxyz\n".utf8)
        var whole = LineFramer(maximumLineBytes: 100)
        var single = LineFramer(maximumLineBytes: 100)
        let expected = lines(whole.feed(input))
        var got: [String] = []
        for byte in input { got += lines(single.feed([byte])) }
        #expect(got == expected)
        #expect(expected == ["{\"a\":1}", "[1,2]", "xyz"])
    }

    @Test("a line over the limit is reported once, discarded, and the next line is intact")
    func oversized() {
        var framer = LineFramer(maximumLineBytes: 10)
        var events: [String] = []
        events += lines(framer.feed(Array(repeating: UInt8(ascii: "x"), count: 7)))
        events += lines(framer.feed(Array(repeating: UInt8(ascii: "x"), count: 7)))
        events += lines(framer.feed(Array(repeating: UInt8(ascii: "x"), count: 1_000)))
        events += lines(framer.feed(Array("x\nok\n".utf8)))
        #expect(events == ["<oversized 10>", "ok"])
    }

    @Test("a line of exactly the limit passes, with or without CR; one byte more does not")
    func limitBoundary() {
        var framer = LineFramer(maximumLineBytes: 5)
        #expect(lines(framer.feed(Array("12345\n12345\r\n123456\n".utf8))) == ["12345", "12345", "<oversized 5>"])
    }
}
