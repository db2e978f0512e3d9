import Testing

@testable import OpenWorkDashboard

@Suite("dashboard: when frames are drawn")
struct FramePacerTests {
    static let millisecond: UInt64 = 1_000_000

    /// A flood of changes (one each millisecond for a second, as 1,000 log lines/s on the Logs tab) draws at
    /// most 30 frames, and the last change is drawn within a frame interval.
    @Test func aFloodOfChangesDrawsAtMostThirtyFramesASecond() {
        var pacer = FramePacer()
        var frames: [UInt64] = []
        var now: UInt64 = 5_000 * Self.millisecond
        for _ in 0..<1_000 {
            pacer.changed()
            if pacer.draw(at: now, ticking: false) { frames.append(now) }
            now += Self.millisecond
        }
        #expect(frames.count <= 30 && frames.count >= 29, "\(frames.count) frames")
        #expect(zip(frames, frames.dropFirst()).allSatisfy { $1 - $0 >= FramePacer.interval })
        // What is left to draw is due within an interval, and drawn then.
        let wait = pacer.sleep(at: now, ticking: false, toastUntil: nil)
        #expect(wait != nil && (wait ?? .max) <= FramePacer.interval)
        let drawn = pacer.draw(at: now + (wait ?? 0), ticking: false)
        #expect(drawn)
    }

    @Test func idleItSleepsUntilSomethingHappensOrTheClockTicks() {
        var pacer = FramePacer()
        let first = pacer.draw(at: 0, ticking: false)
        #expect(first, "the first frame")
        #expect(pacer.sleep(at: 1, ticking: false, toastUntil: nil) == nil, "nothing to do: sleep until an event")
        let later = pacer.draw(at: 10 * FramePacer.tick, ticking: false)
        #expect(!later)
        // With an uptime on screen: one frame a second, no more.
        let start = 10 * FramePacer.tick
        var frames = 0
        var now = start
        while now < start + 10 * FramePacer.tick {
            if pacer.draw(at: now, ticking: true) { frames += 1 }
            now += pacer.sleep(at: now, ticking: true, toastUntil: nil) ?? FramePacer.tick
        }
        #expect(frames == 10, "\(frames) frames in 10 s")
        // A toast bounds the sleep.
        #expect(pacer.sleep(at: now, ticking: false, toastUntil: now + 5) == 5)
    }
}
