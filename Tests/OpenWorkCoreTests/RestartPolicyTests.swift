import OpenWorkCore
import OpenWorkSystem
import Testing

/// The supervisor's decisions, driven with hand-made instants: no processes, no sleeping.
@Suite("Restart policy")
struct RestartPolicyTests {
    let policy = RestartPolicy()
    let zero = ContinuousClock.now

    @Test("exits back off from 250 ms, doubling to a 30 s cap (R3)")
    func backoffSchedule() {
        var state = RestartPolicy.State()
        var delays: [Duration] = []
        for index in 0..<10 {
            let now = zero + .seconds(index)
            policy.ready(&state, at: now)
            guard
                case .restart(let delay, let attempt) = policy.ended(
                    &state, wasReady: true, at: now + .milliseconds(500))
            else {
                Issue.record("gave up")
                return
            }
            #expect(attempt == index + 1)
            delays.append(delay)
        }
        #expect(
            delays == [
                .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(8),
                .seconds(16), .seconds(30), .seconds(30), .seconds(30),
            ])
    }

    @Test("the backoff resets after 60 s of healthy uptime, not before")
    func resetAfterHealthyUptime() {
        var state = RestartPolicy.State()
        for index in 0..<4 {
            policy.ready(&state, at: zero + .seconds(index))
            _ = policy.ended(&state, wasReady: true, at: zero + .seconds(index) + .milliseconds(100))
        }
        policy.ready(&state, at: zero + .seconds(10))
        #expect(
            policy.ended(&state, wasReady: true, at: zero + .seconds(69)) == .restart(after: .seconds(4), attempt: 5))
        policy.ready(&state, at: zero + .seconds(100))
        #expect(
            policy.ended(&state, wasReady: true, at: zero + .seconds(160))
                == .restart(after: .milliseconds(250), attempt: 1))
    }

    @Test("five start failures within 60 s give up (R4); ready exits do not count")
    func crashLoop() {
        var state = RestartPolicy.State()
        for index in 0..<4 {
            guard case .restart = policy.ended(&state, wasReady: false, at: zero + .seconds(index)) else {
                Issue.record("gave up after \(index + 1) failures")
                return
            }
        }
        guard case .giveUp(let reason) = policy.ended(&state, wasReady: false, at: zero + .seconds(5)) else {
            Issue.record("did not give up")
            return
        }
        #expect(reason.contains("5 start failures"))

        var healthy = RestartPolicy.State()
        for index in 0..<20 {
            policy.ready(&healthy, at: zero + .seconds(index))
            if case .giveUp = policy.ended(&healthy, wasReady: true, at: zero + .seconds(index) + .milliseconds(10)) {
                Issue.record("gave up on exits after readiness")
            }
        }
    }

    @Test("start failures spread wider than the window never give up")
    func failuresOutsideWindow() {
        var state = RestartPolicy.State()
        for index in 0..<20 {
            if case .giveUp = policy.ended(&state, wasReady: false, at: zero + .seconds(index * 16)) {
                Issue.record("gave up at failure \(index + 1)")
            }
        }
    }

    @Test("a reset forgets the history")
    func reset() {
        var state = RestartPolicy.State()
        for index in 0..<4 { _ = policy.ended(&state, wasReady: false, at: zero + .seconds(index)) }
        policy.reset(&state)
        #expect(
            policy.ended(&state, wasReady: false, at: zero + .seconds(5))
                == .restart(after: .milliseconds(250), attempt: 1))
    }
}

/// When a failed request to opencode is retried against a replacement rather than reported.
@Suite("Request retry decision")
struct RetryDecisionTests {
    @Test(
        "retry when opencode is going away, or the responder is not ours; report its real answers",
        arguments: [
            (Int?.none, .ready, Int32(7), true),  // no answer at all
            (503, .ready, 7, true),  // shutting down
            (401, .ready, 7, true),  // a foreign server on the dead child's port
            (500, .restarting, nil, true),  // it died meanwhile
            (500, .ready, 8, true),  // a different child by now
            (500, .ready, 7, false),  // our opencode's own error
            (404, .ready, 7, false),
            (400, .ready, 7, false),
        ] as [(Int?, Supervisor.Phase, Int32?, Bool)]
    )
    func decision(status: Int?, phase: Supervisor.Phase, nowPID: Int32?, retry: Bool) {
        #expect(Engine.shouldRetry(httpStatus: status, servedBy: 7, nowPhase: phase, nowPID: nowPID) == retry)
    }
}
