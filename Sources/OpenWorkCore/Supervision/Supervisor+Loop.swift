import Foundation
import OpenWorkJSON
import OpenWorkSystem

extension Supervisor {
    /// Why ``monitor(_:_:)`` returned.
    enum Watch: Sendable {
        case exited, hung
    }

    /// The supervision loop: one child after another until ``stop()`` or a crash loop. The task running it is
    /// never cancelled (a cancelled task would end every later sleep and probe at once); ``stop()`` and
    /// ``restart()`` reach it through ``demand``, by stopping the child, and by cancelling a backoff's sleep.
    func run() async {
        while demand != .stop {
            if version == nil {
                transition(to: .checking)
                do {
                    version = try await service.preStart(service.executable)
                } catch {
                    fail(error.message, error: error)
                    return
                }
                continue  // stopped meanwhile?
            }
            var environment = service.environment
            environment[OwnedProcesses.ownerVariable] = service.owner
            events.publish(
                "\(service.name).starting", ["attempt": .integer(Int64(policyState.consecutiveExits + 1))])
            generation += 1
            let command = service.launch(
                LaunchCommand(
                    executable: service.executable, arguments: service.arguments, environment: environment,
                    workingDirectory: service.workingDirectory))
            let process: ChildProcess
            do {
                process = try ChildProcess(
                    executable: command.executable, arguments: command.arguments, environment: command.environment,
                    workingDirectory: command.workingDirectory, onLine: service.onOutputLine)
            } catch {
                lastErrors = [error.description]
                startFailure = (
                    generation,
                    OpenWorkError(
                        service.startFailedCode, "cannot start \(service.executable): \(error.description)",
                        details: ["executable": .string(service.executable)])
                )
                guard await decideAfterEnd(wasReady: false) else { break }
                continue
            }
            guard await live(Child(process: process, generation: generation)) else { break }
        }
        if case .failed = state { return }
        transition(to: .stopped)
    }

    /// One child's life, from spawn to its announced exit and what follows it; false when supervision ends.
    private func live(_ child: Child) async -> Bool {
        let process = child.process
        let deadline = ContinuousClock.now + service.startTimeout
        startedAt = Registry.Clock.unixMilliseconds()
        transition(to: .starting(child))
        await service.record(ChildRecord(pid: process.pid, startTicks: process.startTicks, startedAt: startedAt ?? 0))
        var watch = Watch.exited
        var wasReady = false
        if let ready = await service.readiness(process, deadline), demand == nil {
            wasReady = true
            everReady = true
            service.policy.ready(&policyState, at: .now)
            transition(to: .ready(child, ready))
            // Announced in the same step that makes it ready (no await between them), so no event caused by a
            // request it serves can come before it.
            events.publish(
                "\(service.name).ready",
                [
                    "pid": .integer(Int64(process.pid)), "baseUrl": .string(ready.baseURL),
                    "version": version.map(JSONValue.string) ?? .null,
                ])
            await service.record(
                ChildRecord(
                    pid: process.pid, startTicks: process.startTicks, port: URLComponents(string: ready.baseURL)?.port,
                    baseURL: ready.baseURL, startedAt: startedAt ?? 0))
            watch = await monitor(process, ready)
        } else if demand == nil && process.exit == nil {
            events.publish("\(service.name).start_timeout", ["pid": .integer(Int64(process.pid))])
        }
        // Not ready any more from this instant: no caller may be handed the dying child's endpoint.
        transition(to: .exiting(child, wasReady: wasReady))
        // Whether it ended on its own before anyone stopped it (for a child never ready: a start failure).
        let endedByItself = process.exit != nil
        let exit = await stop(process, grace: watch == .hung ? service.stop.hungGrace : service.stop.grace)
        // The exit can be seen before the reader threads drained the pipes: let the last lines arrive.
        await process.waitForOutputEnd(timeout: .milliseconds(500))
        lastExit = exit
        lastErrors = process.recentErrors()
        await service.record(nil)
        var exited: [String: JSONValue] = ["pid": .integer(Int64(process.pid))]
        for (key, value) in exit.json { exited[key] = .integer(value) }
        if demand != nil { exited["stopping"] = true }
        if demand == .restart { exited["requested"] = "restart" }
        events.publish("\(service.name).exited", exited)
        switch demand {
        case .stop:
            return false
        case .restart:
            // Asked for by ``restart()``: no crash, no backoff, the history is already reset.
            demand = nil
            events.publish("\(service.name).restarting", ["attempt": 1, "delayMs": 0, "requested": true])
            return true
        case nil:
            if !wasReady && endedByItself {
                startFailure = (child.generation, startFailed(process, exit))
            }
            return await decideAfterEnd(wasReady: wasReady)
        }
    }

    /// The error of a child that ended before it was ready.
    private func startFailed(_ process: ChildProcess, _ exit: ChildProcess.Exit) -> OpenWorkError {
        OpenWorkError(
            service.startFailedCode,
            "\(service.name) (\(service.executable)) ended (\(exit)) before it was ready"
                + (lastErrors.last.map { ": \($0)" } ?? ""),
            details: [
                "executable": .string(service.executable), "pid": .integer(Int64(process.pid)),
                "lastExit": exit.jsonValue, "stderr": .array(lastErrors.suffix(20).map(JSONValue.string)),
            ])
    }

    /// Applies the policy after a child ended; returns false when supervision ends (crash loop or stop).
    private func decideAfterEnd(wasReady: Bool) async -> Bool {
        switch service.policy.ended(&policyState, wasReady: wasReady, at: .now) {
        case .giveUp(let reason):
            fail(reason, error: nil)
            return false
        case .restart(let delay, let attempt):
            restarts += 1
            // A sleep of its own, which stop() and restart() cancel to cut the wait short.
            let sleep = Task<Void, Never> { try? await Task.sleep(for: delay) }
            transition(to: .backingOff(until: .now + delay, sleep: sleep))
            events.publish(
                "\(service.name).restarting",
                ["attempt": .integer(Int64(attempt)), "delayMs": .integer(delay.milliseconds)])
            await sleep.value
            return demand != .stop
        }
    }

    func fail(_ reason: String, error: OpenWorkError?) {
        loop = nil
        transition(to: .failed(Failure(reason: reason, error: error)))
        events.publish("\(service.name).failed", ["reason": .string(reason)])
    }

    /// Returns when the child exits, or after `misses` failed health probes in a row (it hangs).
    private func monitor(_ process: ChildProcess, _ endpoint: ServiceEndpoint) async -> Watch {
        let health = service.health
        let probe = service.probe
        let events = events
        let unhealthy = "\(service.name).unhealthy"
        return await withTaskGroup(of: Watch.self) { group in
            group.addTask {
                _ = await process.waitForExit()
                return .exited
            }
            group.addTask {
                var misses = 0
                while !Task.isCancelled {
                    try? await Task.sleep(for: health.interval)
                    if Task.isCancelled { return .exited }
                    if await probe(endpoint, health.timeout) {
                        misses = 0
                    } else {
                        misses += 1
                        if misses >= health.misses {
                            events.publish(
                                unhealthy, ["pid": .integer(Int64(process.pid)), "misses": .integer(Int64(misses))])
                            return .hung
                        }
                    }
                }
                return .exited
            }
            let first = await group.next() ?? .exited
            group.cancelAll()
            return first
        }
    }
}
