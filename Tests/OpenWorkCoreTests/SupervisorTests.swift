import Foundation
import OpenWorkCore
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting
import Synchronization
import Testing

/// The supervisor's state machine with a plain child (`/bin/sleep`, `/bin/sh`) whose readiness the test decides:
/// no opencode, no HTTP. Order is read from the event bus's tap, which runs inside `publish`, in the
/// supervisor's own step. Tests wait for events, never for a clock: the suite's time limit is the hang deadline
/// (a loaded machine has stalled these tests for a minute).
@Suite("Supervisor state machine", .timeLimit(.minutes(2)))
struct SupervisorTests {
    /// Lets readiness checks pass when the test says so; a check also ends when its child exits.
    final class Gate: Sendable {
        private struct Slots {
            var permits = 0
            var waiting: [UUID: CheckedContinuation<Bool, Never>] = [:]
        }
        private let slots = Mutex(Slots())

        /// The next check (the one waiting now, or the next to come) passes.
        func open() {
            let waiter = slots.withLock { slots -> CheckedContinuation<Bool, Never>? in
                guard let first = slots.waiting.first else {
                    slots.permits += 1
                    return nil
                }
                slots.waiting[first.key] = nil
                return first.value
            }
            waiter?.resume(returning: true)
        }

        /// True once opened; false when the waiting task is cancelled.
        func pass() async -> Bool {
            let id = UUID()
            return await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    let now: Bool? = slots.withLock { slots in
                        if slots.permits > 0 {
                            slots.permits -= 1
                            return true
                        }
                        if Task.isCancelled { return false }
                        slots.waiting[id] = continuation
                        return nil
                    }
                    if let now { continuation.resume(returning: now) }
                }
            } onCancel: {
                slots.withLock { $0.waiting.removeValue(forKey: id) }?.resume(returning: false)
            }
        }
    }

    /// Events by type as they are published, plus the test's own marks, in one order.
    let log = Locked<[String]>([])
    let gate = Gate()
    let events: EventBus
    let stream: AsyncStream<JSONValue>

    init() {
        let log = log
        events = EventBus(tap: { type, _ in log.withLock { $0.append(type) } })
        stream = events.subscribe()
    }

    /// A service named `svc` that runs `command` and is ready when ``gate`` opens.
    func service(_ command: String = "exec sleep 600", floor: Duration = .milliseconds(10)) -> ServiceDescription {
        let gate = gate
        var service = ServiceDescription(
            name: "svc", executable: "/bin/sh", arguments: ["-c", command], environment: [:],
            preStart: { _ in "1.0.0" },
            readiness: { child, deadline in
                let passed = await withTaskGroup(of: Bool.self) { group in
                    group.addTask { await gate.pass() }
                    group.addTask {
                        _ = await child.waitForExit()
                        return false
                    }
                    group.addTask {
                        try? await Task.sleep(until: deadline)
                        return false
                    }
                    let first = await group.next() ?? false
                    group.cancelAll()
                    return first
                }
                return passed ? ServiceEndpoint(baseURL: "http://127.0.0.1:\(child.pid)") : nil
            },
            probe: { _, _ in true }, startFailedCode: .opencodeStartFailed, unavailableCode: .opencodeUnavailable)
        service.startTimeout = .seconds(600)
        service.health.interval = .seconds(600)
        service.policy.floor = floor
        service.policy.maximumStartFailures = 100
        return service
    }

    /// The next event of `type` on `feed` (an iterator of ``stream``).
    @discardableResult
    func next(_ type: String, on feed: inout AsyncStream<JSONValue>.Iterator) async throws -> JSONValue {
        while let event = await feed.next() {
            if event["type"] == .string(type) { return event }
        }
        throw CancellationError()
    }

    func mark(_ text: String) { log.withLock { $0.append(text) } }

    @Test("a waiter is resumed by the transition to ready, after the ready event and not before")
    func waiterResumedOnReady() async throws {
        let supervisor = Supervisor(service(), events: events)
        var feed = stream.makeAsyncIterator()
        let waiter = Task {
            let ready = try await supervisor.readyEndpoint(within: .seconds(600))
            mark("answered")
            return ready
        }
        try await next("svc.starting", on: &feed)
        #expect(await supervisor.snapshot.phase == .starting)
        mark("opening")
        gate.open()
        let ready = try await waiter.value
        #expect(ready.generation == 1)
        #expect(ready.pid == (await supervisor.snapshot.pid))
        #expect(log.value == ["svc.starting", "opening", "svc.ready", "answered"])
        await supervisor.stop()
        #expect(await supervisor.snapshot.phase == .stopped)
        #expect(log.value.suffix(1) == ["svc.exited"])
    }

    @Test("a waiter's deadline is a timer: a child that is not ready in time gives the unavailable error")
    func waiterDeadline() async throws {
        let supervisor = Supervisor(service(), events: events)
        var feed = stream.makeAsyncIterator()
        await supervisor.start()
        try await next("svc.starting", on: &feed)
        do {
            _ = try await supervisor.readyEndpoint(within: .milliseconds(100))
            Issue.record("ready without the gate")
        } catch {
            #expect(error.code == .opencodeUnavailable)
            #expect(error.message == "svc was not ready within 0.1 s")
            #expect(error.details["state"] == "starting")
        }
        await supervisor.stop()
    }

    @Test("stop answers the callers still waiting for a ready child; a later caller starts it again")
    func stopAnswersWaiters() async throws {
        let supervisor = Supervisor(service(), events: events)
        var feed = stream.makeAsyncIterator()
        let waiter = Task { try await supervisor.readyEndpoint(within: .seconds(600)) }
        try await next("svc.starting", on: &feed)
        await supervisor.stop()
        do {
            _ = try await waiter.value
            Issue.record("ready although stopped")
        } catch let error as OpenWorkError {
            #expect(error.code == .opencodeUnavailable)
            #expect(error.message == "svc was stopped")
        }
        let later = Task { try await supervisor.readyEndpoint(within: .seconds(600)) }
        try await next("svc.starting", on: &feed)
        gate.open()
        #expect(try await later.value.generation == 2)
        await supervisor.stop()
    }

    @Test("replace stops the child and runs the new description, with the executable chosen so far, on demand")
    func replaceDescription() async throws {
        let supervisor = Supervisor(service(), events: events)
        var feed = stream.makeAsyncIterator()
        let first = Task { try await supervisor.readyEndpoint(within: .seconds(600)) }
        try await next("svc.starting", on: &feed)
        gate.open()
        let pid = try await first.value.pid
        var replacement = service("exec sleep 601")
        replacement.executable = "/nonexistent"
        await supervisor.replace(replacement)
        #expect(FakeOpenCode.isGone(pid))
        #expect(await supervisor.snapshot.phase == .stopped)
        let second = Task { try await supervisor.readyEndpoint(within: .seconds(600)) }
        try await next("svc.starting", on: &feed)
        gate.open()
        let child = try await second.value
        #expect(child.pid != pid)
        let line = (FileManager.default.contents(atPath: "/proc/\(child.pid)/cmdline") ?? Data())
        #expect(String(decoding: line, as: UTF8.self).contains("601"), "the new description's arguments")
        await supervisor.stop()
    }

    @Test("stop during a long backoff ends the wait at once and spawns nothing more")
    func stopDuringBackoff() async throws {
        let supervisor = Supervisor(service("exit 3", floor: .seconds(3_600)), events: events)
        var feed = stream.makeAsyncIterator()
        await supervisor.start()
        try await next("svc.restarting", on: &feed)
        #expect(await supervisor.snapshot.phase == .restarting)
        #expect(await supervisor.snapshot.lastExit == .exited(3))
        await supervisor.stop()
        #expect(await supervisor.snapshot.phase == .stopped)
        #expect(log.value == ["svc.starting", "svc.exited", "svc.restarting"], "no second start")
    }

    @Test("restart during a long backoff starts the next child at once")
    func restartDuringBackoff() async throws {
        let supervisor = Supervisor(service("exit 3", floor: .seconds(3_600)), events: events)
        var feed = stream.makeAsyncIterator()
        await supervisor.start()
        try await next("svc.restarting", on: &feed)
        mark("restart")
        #expect(await supervisor.restart() == 1)
        try await next("svc.starting", on: &feed)
        await supervisor.stop()
        #expect(log.value.prefix(5) == ["svc.starting", "svc.exited", "svc.restarting", "restart", "svc.starting"])
    }

    @Test("restart during a start replaces the child; waiters old and new get the replacement")
    func restartDuringStart() async throws {
        let supervisor = Supervisor(service(), events: events)
        var feed = stream.makeAsyncIterator()
        let early = Task { try await supervisor.readyEndpoint(within: .seconds(600)) }
        try await next("svc.starting", on: &feed)
        let first = try #require(await supervisor.snapshot.pid)
        let replaced = await supervisor.restart()
        #expect(replaced == 1)
        let late = Task { try await supervisor.readyEndpoint(within: .seconds(600), newerThan: replaced) }
        let exited = try await next("svc.exited", on: &feed)
        #expect(exited["pid"] == .integer(Int64(first)))
        #expect(exited["stopping"] == true && exited["requested"] == "restart")
        try await next("svc.starting", on: &feed)
        gate.open()
        let answers = [try await early.value, try await late.value]
        #expect(answers.map(\.generation) == [2, 2])
        #expect(answers.allSatisfy { $0.pid != first })
        #expect(FakeOpenCode.isGone(first))
        #expect(log.value == ["svc.starting", "svc.exited", "svc.restarting", "svc.starting", "svc.ready"])
        await supervisor.stop()
    }

    @Test("a child that ends before it is ready is the waiting caller's error at once")
    func startFailureIsTheAnswer() async throws {
        let supervisor = Supervisor(service("echo broken >&2; exit 3", floor: .seconds(3_600)), events: events)
        do {
            _ = try await supervisor.readyEndpoint(within: .seconds(600))
            Issue.record("ready while broken")
        } catch {
            #expect(error.code == .opencodeStartFailed)
            #expect(error.details["lastExit"] == ["code": 3])
            #expect(error.details["stderr"] == ["broken"])
        }
        await supervisor.stop()
    }
}
