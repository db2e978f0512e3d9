import OpenWorkSystem

/// When to restart opencode and when to give up: pure decisions, driven by the instants passed in.
///
/// - A child that dies before it is ready is a *start failure*; `maximumStartFailures` of them within
///   `startFailureWindow` mean a crash loop: give up (state `failed`) until someone asks for a restart.
/// - Any exit is followed by a restart after a delay that starts at `floor` and doubles with each consecutive
///   exit up to `cap`; the sequence resets once a child has stayed ready for `resetAfter`.
///
/// It does not spawn, sleep or signal anything; ``Supervisor`` performs what it decides.
public struct RestartPolicy: Sendable, Hashable {
    public var floor: Duration = .milliseconds(250)
    public var cap: Duration = .seconds(30)
    public var resetAfter: Duration = .seconds(60)
    public var maximumStartFailures = 5
    public var startFailureWindow: Duration = .seconds(60)

    public init() {}

    /// The decision after a child ended.
    public enum Action: Sendable, Hashable {
        case restart(after: Duration, attempt: Int)
        case giveUp(reason: String)
    }

    /// The state the decisions depend on.
    public struct State: Sendable, Hashable {
        /// Exits since the last reset, for the backoff.
        public var consecutiveExits = 0
        public var startFailures: [ContinuousClock.Instant] = []
        public var readySince: ContinuousClock.Instant?

        public init() {}
    }

    /// The child became ready at `now`.
    public func ready(_ state: inout State, at now: ContinuousClock.Instant) {
        state.readySince = now
    }

    /// The child ended at `now`, before becoming ready when `wasReady` is false.
    public func ended(_ state: inout State, wasReady: Bool, at now: ContinuousClock.Instant) -> Action {
        if let since = state.readySince, now - since >= resetAfter {
            state.consecutiveExits = 0
            state.startFailures = []
        }
        state.readySince = nil
        if !wasReady {
            state.startFailures = state.startFailures.filter { now - $0 < startFailureWindow } + [now]
            if state.startFailures.count >= maximumStartFailures {
                return .giveUp(
                    reason: "\(state.startFailures.count) start failures within \(startFailureWindow.secondsText)")
            }
        }
        let delay = delay(afterExits: state.consecutiveExits)
        state.consecutiveExits += 1
        return .restart(after: delay, attempt: state.consecutiveExits)
    }

    /// A restart requested by a person: forget the history.
    public func reset(_ state: inout State) {
        state = State()
    }

    /// `floor × 2^exits`, capped.
    public func delay(afterExits exits: Int) -> Duration {
        var delay = floor
        for _ in 0..<min(exits, 32) {
            delay *= 2
            if delay >= cap { return cap }
        }
        return min(delay, cap)
    }
}
