/// The help screens, laid out like the ones yargs prints for opencode.
enum HelpText {
    enum Topic: Equatable, Sendable {
        case root
        case serve
    }

    static func text(for topic: Topic) -> String {
        switch topic {
        case .root: root
        case .serve: serve
        }
    }

    private static let globalOptions = """
        Options:
          -h, --help         show help                                             [boolean]
          -v, --version      show version number                                   [boolean]
              --print-logs   print logs to stderr                                  [boolean]
              --log-level    log level  [string] [choices: "DEBUG", "INFO", "WARN", "ERROR"]
              --pure         run without external plugins                          [boolean]
        """

    private static let root = """
        opencode [project]

        start opencode tui

        Commands:
          opencode serve  starts a headless opencode server

        \(globalOptions)

        (fake-opencode: only `serve` is implemented)

        """

    private static let serve = """
        opencode serve

        starts a headless opencode server

        \(globalOptions)
              --port         port to listen on                         [number] [default: 0]
              --hostname     hostname to listen on           [string] [default: "127.0.0.1"]
              --mdns         enable mDNS service discovery (defaults hostname to 0.0.0.0)
                                                                  [boolean] [default: false]
              --mdns-domain  custom domain name for mDNS service (default: opencode.local)
                                                       [string] [default: "opencode.local"]
              --cors         additional domains to allow for CORS     [array] [default: []]

        """
}
