/// When the dashboard draws: after a change, but never sooner than ``interval`` after the last frame (so at
/// most 30 frames a second however many events arrive); once a second while an uptime is on screen; and it says
/// how long the thread may sleep until then. Pure: the caller passes the monotonic time, in nanoseconds.
struct FramePacer {
    static let interval: UInt64 = 1_000_000_000 / 30
    static let tick: UInt64 = 1_000_000_000

    private(set) var lastDraw: UInt64?
    private(set) var dirty = true

    /// Something on screen changed.
    mutating func changed() { dirty = true }

    /// Whether to draw at `now`; `ticking` when a clock (an uptime) is on screen. A yes counts as the frame.
    mutating func draw(at now: UInt64, ticking: Bool) -> Bool {
        if ticking, let lastDraw, now >= lastDraw + Self.tick { dirty = true }
        guard dirty else { return false }
        if let lastDraw, now < lastDraw + Self.interval { return false }
        lastDraw = now
        dirty = false
        return true
    }

    /// How long the thread may sleep at `now` before a frame can be due (nil: until something happens), with a
    /// toast to take down at `toastUntil`.
    func sleep(at now: UInt64, ticking: Bool, toastUntil: UInt64?) -> UInt64? {
        var deadline: UInt64?
        if dirty { deadline = (lastDraw ?? 0) + Self.interval }
        if ticking { deadline = min(deadline ?? .max, (lastDraw ?? 0) + Self.tick) }
        if let toastUntil { deadline = min(deadline ?? .max, toastUntil) }
        return deadline.map { $0 > now ? $0 - now : 0 }
    }
}
