import Foundation

/// Runs one ``Scenario``: fresh `$WORK` and `$DATA`, the steps in order until one fails, then a teardown that
/// stops everything the scenario started (SIGTERM → grace → SIGKILL of each group) and fails the scenario
/// for any survivor, and for any process still running for its data directory a second later (a leak).
///
/// Each step is timed; the steps after a failure are reported as not run. With ``ArtifactPolicy`` set, the
/// run's logs, events and state are written out after teardown, before its directories are removed.
///
/// It does not retry steps and never sleeps to wait for a condition: every wait polls with a deadline. It does
/// not parse: an invalid file never gets here (the command stops with exit 2 first).
public enum ScenarioRunner {
    /// Runs `scenario` once; `attempt` numbers the run under `--repeat` (it names the run in reports).
    public static func run(
        _ scenario: Scenario, configuration: HarnessConfiguration, attempt: Int? = nil
    ) async -> ScenarioOutcome {
        let clock = ContinuousClock()
        let began = clock.now
        var outcome = ScenarioOutcome(
            file: scenario.file, name: scenario.name, title: scenario.title, status: .passed, duration: .zero)
        outcome.tags = scenario.tags
        outcome.attempt = attempt
        if scenario.requirements.contains("fake"), !configuration.opencodeIsFake {
            outcome.status = .skipped
            outcome.reason =
                "requires fake (fault knobs or /__fake introspection); opencode under test is "
                + configuration.opencodeExecutable
            return outcome
        }
        let run: ScenarioRun
        do {
            run = try ScenarioRun(scenario: scenario, configuration: configuration)
        } catch {
            outcome.status = .failed
            outcome.failure = .init(message: "cannot prepare directories: \(error)")
            return outcome
        }
        var failure: ScenarioOutcome.Failure?
        for step in scenario.steps {
            guard failure == nil else {
                outcome.steps.append(StepResult(step, duration: .zero, status: .notRun))
                continue
            }
            let stepBegan = clock.now
            do {
                try await step.action.run(in: run)
                outcome.steps.append(StepResult(step, duration: clock.now - stepBegan, status: .passed))
            } catch {
                outcome.steps.append(StepResult(step, duration: clock.now - stepBegan, status: .failed))
                failure = await run.failure(error as? StepFailure ?? StepFailure("\(error)"), at: step)
            }
        }
        let teardownBegan = clock.now
        let survivors = await run.tearDown()
        outcome.teardown = clock.now - teardownBegan
        if !survivors.isEmpty {
            let message = "left running after teardown (killed now): " + survivors.joined(separator: "; ")
            if failure == nil {
                failure = .init(message: message)
            } else {
                failure?.message += "\n" + message
            }
        }
        if let failure {
            outcome.status = .failed
            outcome.failure = failure
        }
        outcome.duration = clock.now - began
        if configuration.keepWork { outcome.workDirectory = run.root }
        if let policy = configuration.artifacts, policy.wants(outcome.status) {
            switch run.writeArtifacts(of: outcome, into: policy.directory) {
            case .success(let folder): outcome.artifacts = folder
            case .failure(let problem): outcome.artifacts = "not written: \(problem.message)"
            }
        }
        if !configuration.keepWork { run.removeDirectories() }
        return outcome
    }
}
