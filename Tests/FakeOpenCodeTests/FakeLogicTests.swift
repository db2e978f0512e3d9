import OpenWorkJSON
import Testing

@testable import fake_opencode

/// The fake's pure decisions, without processes or sockets.
@Suite("fake-opencode: pure logic")
struct FakeLogicTests {
    @Test(arguments: [
        (["--version"], Invocation.printVersion),
        (["serve", "-v"], .printVersion),
        (["serve", "--help"], .printHelp(.serve)),
        (["-h"], .printHelp(.root)),
    ])
    func versionAndHelpWin(_ arguments: [String], _ expected: Invocation) {
        #expect(Invocation.parse(arguments) == expected)
    }

    @Test func serveOptionsAreParsedInEveryYargsSpelling() {
        let parsed = Invocation.parse([
            "--print-logs", "serve", "--port", "4100", "--hostname=0.0.0.0", "--cors", "https://a.example",
            "https://b.example", "--cors=https://c.example", "--mdns", "--mdnsDomain", "x.local", "--log-level",
            "DEBUG", "--pure",
        ])
        var expected = ServeArguments()
        expected.port = 4100
        expected.hostname = "0.0.0.0"
        expected.hostnameGiven = true
        expected.cors = ["https://a.example", "https://b.example", "https://c.example"]
        expected.mdns = true
        expected.mdnsDomain = "x.local"
        expected.printLogs = true
        expected.logLevel = .debug
        expected.pure = true
        #expect(parsed == .serve(expected))
    }

    @Test func mdnsMovesOnlyTheDefaultHostname() throws {
        guard case .serve(let defaulted) = Invocation.parse(["serve", "--mdns"]),
            case .serve(let explicit) = Invocation.parse(["serve", "--mdns", "--hostname", "127.0.0.1"])
        else { throw UnexpectedResponse(description: "serve expected") }
        #expect(defaulted.effectiveHostname == "0.0.0.0")
        #expect(explicit.effectiveHostname == "127.0.0.1")
    }

    @Test(arguments: [
        (["serve", "--bogus"], "Unknown argument: bogus"),
        (["serve", "-x", "extra"], "Unknown arguments: x, extra"),
        (["serve", "--port"], "Not enough arguments following: port"),
        (["serve", "--port", "http"], "Argument: port"),
        (["serve", "--log-level", "LOUD"], "Argument: log-level"),
        ([], "only the serve command"),
        (["run"], "Unknown command: run"),
    ])
    func badCommandLinesAreUsageErrors(_ arguments: [String], _ message: String) throws {
        guard case .usageError(_, let text) = Invocation.parse(arguments) else {
            Issue.record("\(arguments) should be a usage error")
            return
        }
        #expect(text.contains(message), "\(text)")
    }

    @Test func knobsParseEveryNameAndRejectBadValues() throws {
        let knobs = try Knobs(environment: [
            "FAKE_OPENCODE_VERSION": "9.9.9", "FAKE_OPENCODE_LISTEN_DELAY_MS": "20",
            "FAKE_OPENCODE_NEVER_LISTEN": "yes",
            "FAKE_OPENCODE_EXIT_CODE": "5", "FAKE_OPENCODE_CRASH_AFTER_REQUESTS": "3",
            "FAKE_OPENCODE_CRASH_AFTER_MS": "40", "FAKE_OPENCODE_CRASH_EXIT_CODE": "9",
            "FAKE_OPENCODE_HANG_AFTER_REQUESTS": "2", "FAKE_OPENCODE_IGNORE_SIGTERM": "true",
            "FAKE_OPENCODE_SPAWN_GRANDCHILD": "1", "FAKE_OPENCODE_GRANDCHILD_PIDFILE": "/tmp/g",
            "FAKE_OPENCODE_STDOUT_NOISE": "a\nb", "FAKE_OPENCODE_STDERR_NOISE": "c", "FAKE_OPENCODE_BOOT_DELAY_MS": "7",
            "FAKE_OPENCODE_FAIL_BOOT": "*x*", "FAKE_OPENCODE_HEARTBEAT_MS": "250", "FAKE_OPENCODE_INTROSPECTION": "on",
            "FAKE_OPENCODE_LOG": "/tmp/log", "UNRELATED": "ignored",
        ])
        #expect(knobs.version == "9.9.9")
        #expect(knobs.listenDelay == .milliseconds(20))
        #expect(knobs.neverListen && knobs.ignoreSIGTERM && knobs.spawnGrandchild && knobs.introspection)
        #expect(knobs.exitCode == 5 && knobs.crashExitCode == 9)
        #expect(knobs.crashAfterRequests == 3 && knobs.hangAfterRequests == 2)
        #expect(knobs.crashAfter == .milliseconds(40) && knobs.bootDelay == .milliseconds(7))
        #expect(knobs.stdoutNoise == ["a", "b"] && knobs.stderrNoise == ["c"])
        #expect(knobs.failBootPattern == "*x*" && knobs.heartbeatInterval == .milliseconds(250))
        #expect(knobs.grandchildPIDFile == "/tmp/g" && knobs.requestLogPath == "/tmp/log")
        #expect(Knobs.names.count == 23)
        let killing = try Knobs(environment: [
            "FAKE_OPENCODE_KILL_PARENT": "listening", "FAKE_OPENCODE_GRANDCHILD_ESCAPES": "yes",
        ])
        #expect(killing.killParentAt == "listening" && killing.grandchildEscapes)
        #expect(throws: Knobs.Invalid.self) { try Knobs(environment: ["FAKE_OPENCODE_KILL_PARENT": "later"]) }
        #expect(try Knobs(environment: ["FAKE_OPENCODE_LEGACY_PERMISSIONS_ONLY": "1"]).legacyPermissionsOnly)
        #expect(try Knobs(environment: [:]) == Knobs())
        #expect(try Knobs(environment: ["FAKE_OPENCODE_PROMPT_BUSY_MS": "250"]).promptBusyTime == .milliseconds(250))
        #expect(try Knobs(environment: ["FAKE_OPENCODE_INSTANCE_MEMORY_MIB": "8"]).instanceMemoryMiB == 8)
        for (name, value) in [
            ("PROMPT_BUSY_MS", "soon"), ("INSTANCE_MEMORY_MIB", "-1"), ("INSTANCE_MEMORY_MIB", "5000"),
        ] {
            #expect(throws: Knobs.Invalid.self) { try Knobs(environment: ["FAKE_OPENCODE_" + name: value]) }
        }

        for bad in [
            ["FAKE_OPENCODE_EXIT_CODE": "256"], ["FAKE_OPENCODE_HEARTBEAT_MS": "0"],
            ["FAKE_OPENCODE_NEVER_LISTEN": "maybe"],
            ["FAKE_OPENCODE_CRASH_AFTER_REQUESTS": "-1"], ["FAKE_OPENCODE_TYPO": "1"],
        ] {
            #expect(throws: Knobs.Invalid.self, "\(bad)") { try Knobs(environment: bad) }
        }
    }

    @Test func basicAuthFollowsOpencode() {
        #expect(BasicAuth(environment: [:]) == nil)
        #expect(BasicAuth(environment: ["OPENCODE_SERVER_PASSWORD": ""]) == nil)
        let auth = BasicAuth(environment: ["OPENCODE_SERVER_PASSWORD": "p:w"])
        #expect(auth?.username == "opencode")
        let token = "b3BlbmNvZGU6cDp3"  // opencode:p:w
        #expect(auth?.authorizes(authorization: "Basic \(token)", authToken: nil) == true)
        #expect(auth?.authorizes(authorization: "basic   \(token) ", authToken: nil) == true)
        #expect(auth?.authorizes(authorization: nil, authToken: token) == true)
        #expect(auth?.authorizes(authorization: "Basic \(token)", authToken: "bm9wZTpub3Bl") == false, "the query wins")
        #expect(auth?.authorizes(authorization: "Bearer \(token)", authToken: nil) == false)
        #expect(auth?.authorizes(authorization: "Basic !!!", authToken: nil) == false)
    }

    @Test func directoryResolutionFollowsOpencode() {
        let cwd = "/srv/work"
        #expect(DirectoryResolver.resolve(query: "/a", header: "/b", workingDirectory: cwd) == "/a")
        #expect(DirectoryResolver.resolve(query: "", header: "/b%20c", workingDirectory: cwd) == "/b c")
        #expect(DirectoryResolver.resolve(query: nil, header: "", workingDirectory: cwd) == cwd)
        #expect(DirectoryResolver.resolve(query: "x/./y/../z/", header: nil, workingDirectory: cwd) == "/srv/work/x/z")
        #expect(DirectoryResolver.resolve(query: "/../..", header: nil, workingDirectory: cwd) == "/")
        #expect(DirectoryResolver.resolve(query: nil, header: "/bad%zz", workingDirectory: cwd) == "/bad%zz")
        let gits: Set = ["/repo/.git"]
        #expect(DirectoryResolver.worktree(of: "/repo/a/b", entryExists: gits.contains) == "/repo")
        #expect(DirectoryResolver.worktree(of: "/elsewhere", entryExists: gits.contains) == "/")
        #expect(DirectoryResolver.ancestors(of: "/repo/a/b", upTo: "/repo") == ["/repo/a/b", "/repo/a", "/repo"])
    }

    @Test func queryStringsDecodeLikeURLSearchParams() {
        let query = QueryString("directory=%2Ftmp%2Fa+b&directory=second&flag&auth_token=YWJj%3D")
        #expect(query["directory"] == "/tmp/a b")
        #expect(query["flag"] == "")
        #expect(query["auth_token"] == "YWJj=")
        #expect(query["missing"] == nil)
    }

    @Test(arguments: [
        ("/tmp/broken-1", "*/broken-*", true), ("/tmp/ok", "*/broken-*", false), ("abc", "a?c", true),
        ("git push origin", "git push *", true), ("git pull", "git push *", false), ("", "*", true),
    ])
    func wildcardMatching(_ text: String, _ pattern: String, _ expected: Bool) {
        #expect(Wildcard.matches(text, pattern: pattern) == expected)
    }

    @Test func identifiersHaveOpencodesShapeAndDescendingOnesSortNewestFirst() {
        let generator = IdentifierGenerator()
        let older = generator.descending(.session, at: 1_700_000_000_000)
        let newer = generator.descending(.session, at: 1_700_000_000_001)
        let sameMillisecond = generator.descending(.session, at: 1_700_000_000_001)
        #expect(IdentifierGenerator.isWellFormed(older, prefix: .session))
        #expect(newer < older)
        #expect(sameMillisecond.prefix(16) < newer.prefix(16))
        let ascending = generator.ascending(.permission, at: 1_700_000_000_000)
        #expect(ascending.hasPrefix("per_") && IdentifierGenerator.isWellFormed(ascending, prefix: .permission))
        #expect(
            IdentifierGenerator.format(.session, descending: false, milliseconds: 1, counter: 1) == "ses_000000001001"
        )
    }

    @Test func faultPlanDecidesPerRequest() {
        let crash = FaultInjector.Plan(crashAfterRequests: 2, hangAfterRequests: nil)
        #expect(
            (1...3).map(crash.admission(forRequest:)) == [
                .answer(thenCrash: false), .answer(thenCrash: true), .crashNow,
            ])
        let hang = FaultInjector.Plan(crashAfterRequests: nil, hangAfterRequests: 1)
        #expect((1...2).map(hang.admission(forRequest:)) == [.answer(thenCrash: false), .hang])
        #expect(FaultInjector.Plan().admission(forRequest: 1_000) == .answer(thenCrash: false))
    }

    @Test func permissionRepliesFollowOpencode() {
        func request(_ id: String, _ session: String, _ patterns: [String], always: [String]? = nil)
            -> PermissionQueue.Request
        {
            .init(id: id, sessionID: session, permission: "bash", patterns: patterns, always: always ?? patterns)
        }
        var queue = PermissionQueue()
        queue.ask(request("per_1", "ses_a", ["git push"], always: ["git *"]))
        queue.ask(request("per_2", "ses_a", ["git pull"]))
        queue.ask(request("per_3", "ses_a", ["rm -rf"]))
        queue.ask(request("per_4", "ses_b", ["git log"]))
        #expect(queue.reply(.once, to: "per_unknown") == [])
        let always = queue.reply(.always, to: "per_1")
        #expect(always.map { $0["requestID"] } == ["per_1", "per_2"], "git * now covers git pull")
        #expect(always.map { $0["reply"] } == ["always", "always"])
        let reject = queue.reply(.reject, to: "per_3")
        #expect(reject == [["sessionID": "ses_a", "requestID": "per_3", "reply": "reject"]])
        #expect(queue.pending.map(\.id) == ["per_4"], "other sessions are untouched")
    }

    @Test(arguments: [
        ("GET", "/global/health", Route.health), ("POST", "/global/dispose", .globalDispose),
        ("GET", "/session/ses_x", .getSession("ses_x")), ("DELETE", "/session/ses_x", .deleteSession("ses_x")),
        ("POST", "/permission/per_x/reply", .replyPermission("per_x")),
        ("POST", "/session/ses_x/permissions/per_y", .legacyReplyPermission(sessionID: "ses_x", permissionID: "per_y")),
        ("PATCH", "/config", .patchConfig), ("GET", "/__fake/state", .fakeState),
        ("GET", "/session/status", .sessionStatus), ("PATCH", "/session/ses_x", .updateSession("ses_x")),
        ("GET", "/session/ses_x/children", .sessionChildren("ses_x")),
        ("POST", "/session/ses_x/prompt_async", .promptAsync("ses_x")),
        ("POST", "/session/ses_x/abort", .abortSession("ses_x")),
        ("GET", "/session/ses_x/message", .sessionMessages("ses_x")), ("GET", "/question", .listQuestions),
        ("POST", "/question/que_x/reply", .replyQuestion("que_x")),
        ("POST", "/question/que_x/reject", .rejectQuestion("que_x")), ("GET", "/project/current", .currentProject),
        ("GET", "/vcs", .vcs), ("GET", "/global/config", .getGlobalConfig),
        ("PATCH", "/global/config", .patchGlobalConfig), ("POST", "/__fake/question", .fakeQuestion),
    ])
    func routesMatch(_ method: String, _ path: String, _ expected: Route) {
        #expect(Route.match(method: method, path: path) == expected)
    }

    @Test(arguments: [
        ("GET", "/session/"), ("PUT", "/session"), ("GET", "/"), ("GET", "//path"), ("POST", "/path"),
        ("POST", "/session/status"), ("GET", "/question/que_x/reply"), ("POST", "/permission/per_x/reject"),
    ])
    func otherRequestsMatchNoRoute(_ method: String, _ path: String) {
        #expect(Route.match(method: method, path: path) == nil)
    }

    @Test func corsAllowsOpencodesOrigins() {
        let policy = CORSPolicy(extraOrigins: ["https://app.example"])
        for origin in [
            "http://localhost:3000", "http://127.0.0.1:1", "tauri://localhost", "https://opencode.ai",
            "https://x.dev.opencode.ai", "https://app.example",
        ] {
            #expect(policy.allows(origin: origin), "\(origin)")
        }
        for origin in [
            "https://evil.example", "https://opencode.ai.evil", "http://opencode.ai", "https://.opencode.ai",
        ] {
            #expect(!policy.allows(origin: origin), "\(origin)")
        }
    }

    @Test func configMergesDeeply() {
        let merged = ConfigFiles.deepMerge(["a": ["b": 1, "c": 2], "d": [1]], ["a": ["c": 3], "d": [2], "e": true])
        #expect(merged == ["a": ["b": 1, "c": 3], "d": [2], "e": true])
    }

    @Test func sessionFilterKeepsRootsMatchingTitlesFromStartNewestFirstThenCaps() throws {
        func session(_ id: String, _ title: String, _ time: Int64, parent: String? = nil) -> JSONValue {
            var value: JSONValue = [
                "id": .string(id), "title": .string(title),
                "time": ["created": .integer(time), "updated": .integer(time)],
            ]
            if let parent { value["parentID"] = .string(parent) }
            return value
        }
        let sessions = [
            session("a", "Fix Login", 1), session("b", "docs", 2), session("c", "login child", 3, parent: "a"),
        ]
        func ids(_ filter: SessionFilter) -> [String] {
            filter.apply(to: sessions).compactMap { $0["id"]?.stringValue }
        }
        #expect(ids(SessionFilter()) == ["c", "b", "a"])
        #expect(ids(SessionFilter(roots: true)) == ["b", "a"])
        #expect(ids(SessionFilter(search: "LOGIN")) == ["c", "a"])
        #expect(ids(SessionFilter(start: 2)) == ["c", "b"])
        #expect(ids(SessionFilter(limit: 1)) == ["c"])
        let parsed = try SessionFilter(query: QueryString("roots=true&search=x&start=5&limit=2"))
        #expect(parsed == SessionFilter(roots: true, search: "x", start: 5, limit: 2))
        for bad in ["roots=maybe", "start=soon", "limit=-1", "limit=x"] {
            #expect(throws: Reply.Rejection.self) { try SessionFilter(query: QueryString(bad)) }
        }
    }

    @Test func permissionRulesAndQuestionAnswersAreValidated() throws {
        let rules = try Session.PermissionRule.ruleset([["permission": "bash", "pattern": "*", "action": "deny"]])
        #expect(rules == [.init(permission: "bash", pattern: "*", action: .deny)])
        for bad: JSONValue in [
            "x", [["permission": "bash", "pattern": "*"]], [["permission": "bash", "pattern": "*", "action": "no"]],
        ] {
            #expect(throws: Reply.Rejection.self) { try Session.PermissionRule.ruleset(bad) }
        }
        #expect(try QuestionQueue.answers([["a"], ["b", "c"], []]) == [["a"], ["b", "c"], []])
        for bad: JSONValue? in [nil, "a", ["a"], [[1]]] {
            #expect(throws: Reply.Rejection.self) { try QuestionQueue.answers(bad) }
        }
        var queue = QuestionQueue()
        queue.ask(.init(id: "que_1", sessionID: "ses_1", questions: []))
        #expect(queue.resolve("que_2") == nil)
        #expect(queue.resolve("que_1")?.id == "que_1")
        #expect(queue.pending.isEmpty)
    }

    @Test func gitHeadNamesTheBranchOrNothing() {
        #expect(GitHead.parse("ref: refs/heads/main\n") == "main")
        #expect(GitHead.parse("ref: refs/heads/feature/x") == "feature/x")
        #expect(GitHead.parse("3f2a9c0e5b1d7a8f9e0c1b2a3d4e5f6a7b8c9d0e\n") == nil, "detached")
        #expect(GitHead.branch(worktree: "/") == nil)
    }
}
