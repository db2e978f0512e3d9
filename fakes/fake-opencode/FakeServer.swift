import OpenWorkJSON

/// Everything a request can reach: the options and knobs the fake was started with, and its shared state.
struct FakeServer: Sendable {
    let options: ServeArguments
    let knobs: Knobs
    let auth: BasicAuth?
    let cors: CORSPolicy
    let workingDirectory: String
    let paths: ServerPaths
    let clock: WallClock
    let bus: EventFeed
    let sessions = SessionStore()
    let work: SessionWork
    let globalConfig = GlobalConfig()
    let questionAnswers = QuestionAnswers()
    let identifiers = IdentifierGenerator()
    let streams = ActiveStreams()
    let registry: InstanceRegistry
    let faults: FaultInjector
    let log: ServerLog
    let requestLog: RequestLog?
    let grandchildPID: Int32?

    var version: String { knobs.version }

    /// How long a deliberate exit waits after the last response was written: the write is queued on the
    /// event loop, and the process must not end before the loop has put it on the socket.
    static let flushGrace: Duration = .milliseconds(100)

    init(
        options: ServeArguments,
        knobs: Knobs,
        environment: [String: String],
        workingDirectory: String,
        clock: WallClock = .system,
        grandchildPID: Int32? = nil
    ) {
        self.options = options
        self.knobs = knobs
        self.auth = BasicAuth(environment: environment)
        self.cors = CORSPolicy(extraOrigins: options.cors)
        self.workingDirectory = workingDirectory
        self.paths = ServerPaths(environment: environment)
        self.clock = clock
        let bus = EventFeed(identifiers: identifiers, clock: clock)
        let work = SessionWork(bus: bus, identifiers: identifiers, clock: clock, busyTime: knobs.promptBusyTime)
        self.bus = bus
        self.work = work
        let booter = InstanceBooter(
            delay: knobs.bootDelay,
            failPattern: knobs.failBootPattern,
            clock: clock,
            username: environment["USER"] ?? "opencode",
            holdingBytes: knobs.instanceMemoryMiB << 20,
            globalConfig: globalConfig
        )
        self.registry = InstanceRegistry(booter: booter, bus: bus, clock: clock) { directory in
            await work.abandon(directory: directory)
        }
        self.faults = FaultInjector(
            plan: .init(crashAfterRequests: knobs.crashAfterRequests, hangAfterRequests: knobs.hangAfterRequests)
        )
        self.log = ServerLog(threshold: options.printLogs ? (options.logLevel ?? .info) : nil, clock: clock)
        self.requestLog = knobs.requestLogPath.flatMap(RequestLog.init(path:))
        self.grandchildPID = grandchildPID
    }
}
