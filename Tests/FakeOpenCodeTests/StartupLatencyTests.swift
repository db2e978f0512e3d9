import OpenWorkTesting
import Testing

/// The fake's time from exec to its listening line, the figure scenario timeouts are sized from.
@Suite("fake-opencode: startup latency", .serialized)
struct StartupLatencyTests {
    @Test func medianOfTwentyStartsIsReported() async throws {
        var samples: [Duration] = []
        for _ in 0..<20 {
            let server = try await Subject.fake()
            samples.append(server.process.startupDuration)
            await server.stop()
        }
        samples.sort()
        let median = (samples[9] + samples[10]) / 2
        let milliseconds = { (duration: Duration) in
            Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        }
        print(
            "fake-opencode exec → listening line: median \(milliseconds(median)) ms over 20 starts "
                + "(min \(milliseconds(samples[0])) ms, max \(milliseconds(samples[19])) ms)"
        )
        #expect(median < .seconds(2))
    }
}
