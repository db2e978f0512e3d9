public import OpenWorkJSON

/// What `openwork rpc` says unasked, or to lines sent with `send`: `await event|response` consumes buffered
/// messages up to the first match, `refute event|response … within D` wants none to match.
enum EventSteps: StepFamily {
    static let verbs: [StepVerb] = ["await", "refute"].map { verb in
        StepVerb(verb) { arguments, parser in try parse(verb, arguments, &parser) }
    }

    /// `await|refute event TYPE [exact] [JSON] [within D]`, `await|refute response [exact] [JSON] [within D]`.
    static func parse(_ verb: String, _ arguments: String, _ parser: inout StepParser) throws -> any StepAction {
        try parser.requireStarted(verb)
        let (body, within) = try parser.splitWithin(arguments)
        let (kind, argument) = ScenarioParser.split(body)
        if verb == "refute", within == nil { throw parser.fail("refute needs `within DURATION`") }
        let arrival: Arrival
        let matcher: String
        switch kind {
        case "event":
            let (type, rest) = ScenarioParser.split(argument)
            guard !type.isEmpty, !type.hasPrefix("{") else {
                throw parser.fail("\(verb) event wants TYPE [exact] [JSON]")
            }
            (arrival, matcher) = (.event(type: type), rest)
        case "response":
            (arrival, matcher) = (.response, argument)
        default:
            throw parser.fail("\(verb) wants `event` or `response`")
        }
        let (mode, text) = ScenarioParser.mode(matcher)
        let expected = text.isEmpty ? JSONValue.object([:]) : try parser.json(text)
        let pattern = ArrivalPattern(arrival: arrival, expected: expected, mode: mode)
        let deadline = within ?? arrival.defaultDeadline
        return verb == "refute"
            ? RefuteStep(pattern: pattern, within: deadline) : AwaitStep(pattern: pattern, within: deadline)
    }
}

/// What `await` and `refute` look at in `openwork rpc`'s output.
public enum Arrival: Sendable, Hashable {
    /// Event notifications (after `events.subscribe`) of TYPE; `prefix.*` is every type that starts with `prefix.`.
    case event(type: String)
    /// Answers to lines sent with `send`.
    case response

    /// The deadline of `await` without `within` (a hang deadline, see ``StepAction``).
    public var defaultDeadline: Duration {
        switch self {
        case .event: .seconds(30)
        case .response: .seconds(15)
        }
    }

    /// The messages of this kind not consumed yet, in arrival order.
    func pending(in inbox: RPCChild.Inbox) -> [JSONValue] {
        switch self {
        case .event: inbox.events
        case .response: inbox.responses
        }
    }

    /// Consumes the message at `index`: events are consumed in order, so with every event before it; an answer
    /// alone.
    func take(at index: Int, from inbox: inout RPCChild.Inbox) -> JSONValue {
        switch self {
        case .event:
            let event = inbox.events[index]
            inbox.events.removeFirst(index + 1)
            return event
        case .response:
            return inbox.responses.remove(at: index)
        }
    }
}

/// What `await` and `refute` look for: messages of one kind that match an expectation.
public struct ArrivalPattern: Sendable {
    public var arrival: Arrival
    public var expected: JSONValue
    public var mode: MatchMode

    /// Whether `message` is of the pattern's kind (and, for events, type) and matches `expected`.
    func matches(_ message: JSONValue, _ variables: Variables) -> Bool {
        if case .event(let pattern) = arrival {
            guard let type = message["type"]?.stringValue else { return false }
            let typeMatches = pattern.hasSuffix(".*") ? type.hasPrefix(String(pattern.dropLast())) : pattern == type
            guard typeMatches else { return false }
        }
        return JSONMatcher.match(expected, message, mode: mode, variables: variables) == nil
    }
}

/// `await event TYPE [exact] [JSON] [within D]`, `await response [exact] [JSON] [within D]`: consumes buffered
/// messages up to the first match. A matching event becomes the last event (for `capture … event`), a matching
/// answer the last answer.
public struct AwaitStep: StepAction {
    public var pattern: ArrivalPattern
    public var within: Duration

    public func run(in run: ScenarioRun) async throws {
        let arrival = pattern.arrival
        let variables = run.variables
        let deadline = run.scaled(within)
        let found = try await run.activeChild().wait(within: deadline) { inbox -> JSONValue? in
            guard let index = arrival.pending(in: inbox).firstIndex(where: { pattern.matches($0, variables) }) else {
                return nil
            }
            return arrival.take(at: index, from: &inbox)
        }
        if let found {
            if case .event = arrival { run.lastEvent = found } else { run.lastAnswer = found }
            return
        }
        let pending = try run.activeChild().peek { arrival.pending(in: $0) }
        let (message, nothing) =
            switch arrival {
            case .event(let type):
                ("no \(type) event matching within \(deadline); \(pending.count) unconsumed events", "(no events)")
            case .response: ("no matching response within \(deadline)", "(no responses)")
            }
        throw StepFailure(
            message, expected: run.pretty(pattern.expected),
            actual: pending.isEmpty ? nothing : run.pretty(.array(pending)))
    }
}

/// `refute event TYPE [exact] [JSON] within D`, `refute response [exact] [JSON] within D`: no matching message is
/// buffered or arrives within D. Consumes nothing.
public struct RefuteStep: StepAction {
    public var pattern: ArrivalPattern
    public var within: Duration

    public func run(in run: ScenarioRun) async throws {
        let variables = run.variables
        let found = try await run.activeChild().wait(within: run.scaled(within)) { inbox -> JSONValue? in
            pattern.arrival.pending(in: inbox).first { pattern.matches($0, variables) }
        }
        guard let found else { return }
        let what =
            if case .event(let type) = pattern.arrival { "an unwanted \(type) event" } else { "an unwanted response" }
        throw StepFailure("\(what) arrived", expected: run.pretty(pattern.expected), actual: run.pretty(found))
    }
}
