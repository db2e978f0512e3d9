import OpenWorkJSON
import Testing

@testable import openwork_bench

@Suite("benchmark figures and tool output")
struct BenchParsingTests {
    @Test("nearest-rank percentiles of 1…100 are the 50th, 95th and 99th values")
    func percentilesUseNearestRank() {
        let samples = Samples((1...100).map(Double.init).shuffled())
        #expect(samples.p50 == 50)
        #expect(samples.p95 == 95)
        #expect(samples.p99 == 99)
        #expect(samples.percentile(100) == 100)
        #expect(Samples([7]).p99 == 7)
        #expect(Samples().p50 == 0)
    }

    @Test("ratios and figures are written with a fixed precision")
    func figuresAreFormatted() {
        #expect(Figure.ratio(3, 2) == "1.50×")
        #expect(Figure.ratio(250, 2) == "125×")
        #expect(Figure.ratio(1, 0) == "—")
        #expect(Figure.ms(0.1234) == "0.123")
        #expect(Figure.ms(275.6) == "276")
        #expect(Figure.us(0.0259) == "25.9")
    }

    @Test("wrk's latency distribution and rate are read in milliseconds")
    func wrkReportIsParsed() throws {
        let report = try WrkReport(parsing: Fixtures.wrk)
        #expect(report.requestsPerSecond == 12_151.23)
        #expect(report.p50 == 0.259)
        #expect(report.p99 == 3.12)
        #expect(report.failedResponses == 0)
        let failing = try WrkReport(parsing: Fixtures.wrk + "  Non-2xx or 3xx responses: 17\n")
        #expect(failing.failedResponses == 17)
        #expect(WrkReport.milliseconds("2.00s") == 2_000)
        #expect(WrkReport.milliseconds("1.50m") == 90_000)
        #expect(WrkReport.milliseconds("fast") == nil)
    }

    @Test("output without a latency distribution is refused")
    func wrkWithoutLatencyIsRefused() {
        #expect(throws: BenchError.self) { _ = try WrkReport(parsing: "Requests/sec: 10\n") }
    }

    @Test("hyperfine's exported times become samples in milliseconds, one per command")
    func hyperfineExportIsParsed() throws {
        let samples = try Hyperfine.parse(Array(Fixtures.hyperfine.utf8))
        #expect(samples.count == 2)
        #expect(samples[0].values == [25, 27, 26])
        #expect(samples[1].p50 == 10)
        #expect(throws: BenchError.self) { _ = try Hyperfine.parse(Array(#"{"results":[{"times":[]}]}"#.utf8)) }
    }

    @Test("the soak's model reports lost, extra and altered workspaces and a wrong active id")
    func registryModelDifferences() throws {
        var model = RegistryModel()
        model.workspaces = ["ws-a": "/a", "ws-b": "/b"]
        model.activeId = "ws-a"
        let same = try RegistryModel(
            listing: [
                "activeId": "ws-a", "workspaces": [["id": "ws-b", "path": "/b"], ["id": "ws-a", "path": "/a"]],
            ])
        #expect(model.difference(from: same).isEmpty)
        let changed = try RegistryModel(
            listing: [
                "activeId": "ws-c", "workspaces": [["id": "ws-a", "path": "/x"], ["id": "ws-c", "path": "/c"]],
            ])
        let difference = model.difference(from: changed)
        #expect(difference.contains("activeId: expected ws-a, found ws-c"))
        #expect(difference.contains("ws-a: expected /a, found /x"))
        #expect(difference.contains("ws-b: expected /b, found nothing"))
        #expect(difference.contains("ws-c: not expected"))
        #expect(throws: BenchError.self) {
            _ = try RegistryModel(listing: [
                "workspaces": [["id": "ws-a", "path": "/a"], ["id": "ws-a", "path": "/b"]]
            ])
        }
    }
}

private enum Fixtures {
    /// `wrk -t1 -c16 -d3s --latency` against the control plane's `GET /health`.
    static let wrk = """
        Running 3s test @ http://127.0.0.1:40123/health
          1 threads and 16 connections
          Thread Stats   Avg      Stdev     Max   +/- Stdev
            Latency   412.50us  520.11us  12.01ms   95.12%
            Req/Sec    12.21k     1.02k   13.50k    80.00%
          Latency Distribution
             50%  259.00us
             75%  401.00us
             90%  712.00us
             99%    3.12ms
          36456 requests in 3.00s, 9.13MB read
        Requests/sec:  12151.23
        Transfer/sec:      3.04MB

        """

    static let hyperfine = """
        {"results":[{"command":"openwork status --json","mean":0.026,"times":[0.025,0.027,0.026]},\
        {"command":"curl -sf http://127.0.0.1:1/health","mean":0.01,"times":[0.01,0.011,0.009]}]}
        """
}
