import HarnessKit
import OpenWorkJSON
import Testing

@Suite("Scenario parser")
struct ScenarioParserTests {
    @Test("headers, steps, sections and deadlines are read")
    func readsAFile() throws {
        let text = """
            # title: A title
            # doc: README.md#scenario-x
            # requires: fake
            env FAKE_OPENCODE_INTROSPECTION=1
            start
            call workspace.add {"path":"$WORK/a b"} within 2s
            capture $ID /result/workspace/id
            await event instance.created {"workspaceId":"$ID"} within 500ms
            wait-until call health matches exact {"ok":true} within 1.5s
            kill opencode -KILL

            -- note --
            line one
            line two
            """
        let scenario = try ScenarioParser.parse(text, file: "x.scenario")
        #expect(scenario.title == "A title")
        #expect(scenario.docs == ["README.md#scenario-x"])
        #expect(scenario.requirements == ["fake"])
        #expect(scenario.sections["note"] == "line one\nline two\n")
        #expect(scenario.steps.count == 7)
        let call = try #require(scenario.steps[2].action as? CallStep)
        #expect(call.method == "workspace.add")
        #expect(call.params == ["path": "$WORK/a b"])
        #expect(call.within == .seconds(2))
        #expect(scenario.steps[2].location.line == 6)
        let waitUntil = try #require(scenario.steps[5].action as? WaitUntilStep)
        #expect(waitUntil.params == nil)
        #expect(waitUntil.mode == .exact)
        #expect(waitUntil.within == .milliseconds(1500))
        let kill = try #require(scenario.steps[6].action as? KillStep)
        #expect(kill.target == .opencode)
        #expect(kill.signal == 9)
    }

    @Test(
        "mistakes are refused at parse time with file:line, before anything runs",
        arguments: [
            ("start\nfrobnicate now", 2, "unknown verb"),
            ("start\ncall health {\"a\":", 2, "bad JSON"),
            ("start\ncall workspace.add {\"path\":\"$NOPE/a\"}", 2, "undefined variable $NOPE"),
            ("start\ncall health\nexpect result {\"pid\":\"$PID\"}\ncapture $PID /result/pid", 3, "undefined variable"),
            ("call health", 1, "before `start`"),
            ("start\nawait event x within 5sec", 2, "bad duration"),
            ("start\nkill opencode -NOPE", 2, "unknown signal"),
            ("start\nrefute event opencode.ready", 2, "needs `within"),
            ("write $WORK/x missing", 1, "no section"),
            ("env FAKE_OPENCODE_NEVER_LISTEN=1\nstart", 1, "requires: fake"),
            ("http FETCH /health", 1, "http wants METHOD /target"),
            ("http GET health", 1, "http wants METHOD /target"),
            ("http POST /rpc {\"a\": no-token", 1, "bad JSON"),
            ("cli", 1, "cli wants the openwork arguments"),
            ("cli x0 status", 1, "1 to 64 copies"),
            ("expect status 200", 1, "before any `start`, `cli` or `http`"),
            ("cli status\nexpect status two", 2, "wants a number"),
            ("cli status\nexpect file $DATA mode rw", 2, "octal bits"),
            ("cli status\nexpect argv-clean now", 2, "takes no arguments"),
            ("# requires: magic\nstart", 1, "unknown requirement"),
            ("start\nexpect gone $WORK", 2, "is not"),
            (
                "start\nexpect frobs {}", 2,
                "unknown expectation \"frobs\" (result, error, response, file, gone, alive, exit, status, each, "
                    + "argv-clean)"
            ),
            ("start\nawait frobs within 1s", 2, "await wants `event` or `response`"),
            ("start\nrefute frobs", 2, "refute needs `within"),
        ] as [(String, Int, String)]
    )
    func refusesMistakes(text: String, line: Int, message: String) {
        do {
            let scenario = try ScenarioParser.parse(text, file: "bad.scenario")
            if message == "is not" {
                // `$WORK` is defined; whether it holds a pid is only known when running.
                #expect(scenario.steps.count == 2)
                return
            }
            Issue.record("parsed: \(text)")
        } catch let error as ScenarioParseError {
            #expect(error.location == SourceLocation(file: "bad.scenario", line: line), "\(error)")
            #expect(error.description.contains(message), "\(error)")
            #expect(error.description.hasPrefix("bad.scenario:\(line): "))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("cli and http steps: copies, deadlines, body and options")
    func controlPlaneSteps() throws {
        let scenario = try ScenarioParser.parse(
            """
            cli x10 daemon start --json within 60s
            expect each {"ok":true}
            cli workspace add $WORK/a --json
            capture $ID /workspace/id
            http POST /workspaces {"path": "$WORK/b"} host=evil.example:1 origin=https://x.test no-token within 2s
            expect status 421
            http GET /workspaces/$ID token=abc
            expect file $DATA/daemon-token mode 0600
            expect argv-clean
            kill daemon -KILL
            """, file: "ok.scenario")
        #expect(scenario.steps.count == 10)
        let cli = try #require(scenario.steps[0].action as? CLIStep)
        #expect(cli.arguments.map(\.text) == ["daemon", "start", "--json"])
        #expect(cli.copies == 10)
        #expect(cli.within == .seconds(60))
        let http = try #require(scenario.steps[4].action as? HTTPStep)
        #expect(http.method == "POST")
        #expect(http.target.text == "/workspaces")
        #expect(http.body == ["path": "$WORK/b"])
        #expect(http.options.token == .none)
        #expect(http.options.host?.text == "evil.example:1")
        #expect(http.options.origin?.text == "https://x.test")
        #expect(http.within == .seconds(2))
        let literal = try #require(scenario.steps[6].action as? HTTPStep)
        #expect(literal.body == Optional<JSONValue>.none)
        guard case .literal(let token) = literal.options.token else {
            Issue.record("not a literal token")
            return
        }
        #expect(token.text == "abc")
        let mode = try #require(scenario.steps[7].action as? ExpectFileStep)
        guard case .mode(0o600) = mode.condition else {
            Issue.record("not a mode check")
            return
        }
        let kill = try #require(scenario.steps[9].action as? KillStep)
        #expect(kill.target == .daemon)
        #expect(kill.signal == 9)
    }

    @Test("ask-question and fake-state: a QuestionInfo or an array of them, the fake required")
    func questionSteps() throws {
        let scenario = try ScenarioParser.parse(
            """
            # requires: fake
            start
            ask-question $Q $WORK/a {"question":"Which?","header":"DB","options":[{"label":"a b","description":""}]}
            ask-question $R $WORK/a [{"question":"$Q?","header":"","options":[]},{"question":"2","header":"","options":[]}]
            fake-state
            expect response {"questionAnswers":[{"requestID":"$Q"}]}
            """, file: "ok.scenario")
        let ask = try #require(scenario.steps[1].action as? AskQuestionStep)
        #expect(ask.variable == "Q")
        #expect(ask.directory.text == "$WORK/a")
        #expect(ask.questions["options"]?[0]?["label"] == "a b")
        let two = try #require(scenario.steps[2].action as? AskQuestionStep)
        #expect(two.questions.arrayValue?.count == 2)
        #expect(scenario.steps[3].action is FakeStateStep)
        for (text, message) in [
            ("start\nask-question $Q $WORK/a {\"question\":\"x\"}", "requires: fake"),
            ("# requires: fake\nstart\nask-question Q $WORK/a {}", "ask-question wants $NAME DIRECTORY JSON"),
            ("# requires: fake\nstart\nask-question $Q $WORK/a [1]", "one QuestionInfo object or an array"),
            ("# requires: fake\nstart\nask-question $Q $WORK/a {\"question\":", "bad JSON"),
            ("# requires: fake\nstart\nfake-state now", "takes no arguments"),
            ("# requires: fake\nfake-state", "before `start`"),
        ] {
            do {
                _ = try ScenarioParser.parse(text, file: "bad.scenario")
                Issue.record("parsed: \(text)")
            } catch {
                #expect("\(error)".contains(message), "\(error)")
            }
        }
    }

    @Test("prompt and abort: a session made busy in a directory and its turn ended, the fake required")
    func promptStep() throws {
        let scenario = try ScenarioParser.parse(
            """
            # requires: fake
            start
            prompt $S $WORK/a keep   it busy
            abort $S $WORK/a
            """, file: "ok.scenario")
        let prompt = try #require(scenario.steps[1].action as? PromptStep)
        #expect(prompt.variable == "S")
        #expect(prompt.directory.text == "$WORK/a")
        #expect(prompt.text.text == "keep it busy")
        let abort = try #require(scenario.steps[2].action as? AbortStep)
        #expect(abort.variable == "S")
        for (text, message) in [
            ("start\nprompt $S $WORK/a hi", "requires: fake"),
            ("# requires: fake\nstart\nprompt S $WORK/a hi", "prompt wants $NAME DIRECTORY TEXT"),
            ("# requires: fake\nstart\nprompt $S $WORK/a", "prompt wants $NAME DIRECTORY TEXT"),
            ("# requires: fake\nprompt $S $WORK/a hi", "before `start`"),
            ("# requires: fake\nstart\nabort $S $WORK/a", "abort: $S is not defined"),
            ("# requires: fake\nstart\nprompt $S $WORK/a hi\nabort $S", "abort wants $NAME DIRECTORY"),
        ] {
            do {
                _ = try ScenarioParser.parse(text, file: "bad.scenario")
                Issue.record("parsed: \(text)")
            } catch {
                #expect("\(error)".contains(message), "\(error)")
            }
        }
    }

    @Test("durations and signals")
    func durationsAndSignals() {
        #expect(ScenarioParser.parseDuration("500ms") == .milliseconds(500))
        #expect(ScenarioParser.parseDuration("5s") == .seconds(5))
        #expect(ScenarioParser.parseDuration("1m") == .seconds(60))
        #expect(ScenarioParser.parseDuration("five") == nil)
        #expect(ScenarioParser.parseSignal("-KILL") == 9)
        #expect(ScenarioParser.parseSignal("SIGSTOP") == 19)
        #expect(ScenarioParser.parseSignal("-15") == 15)
        #expect(ScenarioParser.parseSignal("-NOPE") == nil)
    }
}

@Suite("JSON matcher")
struct JSONMatcherTests {
    let variables: Variables = ["PID": 42, "NAME": "alpha", "WORK": "/w"]

    func matches(_ expected: String, _ actual: String, _ mode: MatchMode = .subset) throws -> Bool {
        JSONMatcher.match(
            try JSONValue(parsing: expected), try JSONValue(parsing: actual), mode: mode, variables: variables) == nil
    }

    @Test(
        "matches",
        arguments: [
            (#"{"a":1}"#, #"{"a":1,"b":2}"#),
            (#"{"a":{"b":"$int"}}"#, #"{"a":{"b":3,"c":4}}"#),
            (#"{"a":"$number"}"#, #"{"a":1.5}"#),
            (
                #"{"a":"$string","b":"$bool","c":"$null","d":"$array","e":"$object","f":"$any"}"#,
                #"{"a":"x","b":false,"c":null,"d":[],"e":{},"f":1}"#
            ),
            (#"{"a":"$re:^ws-[0-9a-f]{3}$"}"#, #"{"a":"ws-0af"}"#),
            (#"{"a":"$PID"}"#, #"{"a":42}"#),
            (#"{"a":"$ne:$PID"}"#, #"{"a":43}"#),
            (#"{"a":"$WORK/x"}"#, #"{"a":"/w/x"}"#),
            (#"{"a":"$absent"}"#, #"{"b":1}"#),
            (#"[1,{"a":2}]"#, #"[1,{"a":2,"b":3}]"#),
            (#"["$contains",{"a":2}]"#, #"[{"a":1},{"a":2}]"#),
            (#"{"$NAME":1}"#, #"{"alpha":1}"#),
        ] as [(String, String)]
    )
    func accepts(expected: String, actual: String) throws {
        #expect(try matches(expected, actual))
    }

    @Test(
        "mismatches",
        arguments: [
            (#"{"a":1}"#, #"{"a":2}"#),
            (#"{"a":1}"#, #"{"b":1}"#),
            (#"{"a":1}"#, #"{"a":1.0}"#),
            (#"{"a":"$int"}"#, #"{"a":"1"}"#),
            (#"{"a":"$re:^x$"}"#, #"{"a":"xy"}"#),
            (#"{"a":"$PID"}"#, #"{"a":"42"}"#),
            (#"{"a":"$ne:$PID"}"#, #"{"a":42}"#),
            (#"{"a":"$absent"}"#, #"{"a":null}"#),
            (#"[1]"#, #"[1,2]"#),
            (#"["$contains",3]"#, #"[1,2]"#),
        ] as [(String, String)]
    )
    func refuses(expected: String, actual: String) throws {
        #expect(try !matches(expected, actual))
    }

    @Test("exact refuses extra members, at every depth")
    func exact() throws {
        #expect(try matches(#"{"a":{"b":1}}"#, #"{"a":{"b":1}}"#, .exact))
        #expect(try !matches(#"{"a":1}"#, #"{"a":1,"b":2}"#, .exact))
        #expect(try !matches(#"{"a":{"b":1}}"#, #"{"a":{"b":1,"c":2}}"#, .exact))
    }

    @Test("a mismatch names the place")
    func names() throws {
        let mismatch = JSONMatcher.match(
            try JSONValue(parsing: #"{"a":[{"b":1}]}"#), try JSONValue(parsing: #"{"a":[{"b":2}]}"#))
        #expect(mismatch?.path == "/a/0/b")
    }

    @Test("payloads keep a captured value's type")
    func resolve() throws {
        let resolved = JSONMatcher.resolve(try JSONValue(parsing: #"{"pid":"$PID","path":"$WORK/$NAME"}"#), variables)
        #expect(resolved == ["pid": 42, "path": "/w/alpha"])
    }
}
