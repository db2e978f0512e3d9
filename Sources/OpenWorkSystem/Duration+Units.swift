extension Duration {
    /// Milliseconds as an integer, for JSON.
    public var milliseconds: Int64 {
        components.seconds * 1_000 + components.attoseconds / 1_000_000_000_000_000
    }

    /// Nanoseconds as an integer, for the APIs that take them (AsyncHTTPClient's and NIO's timeouts).
    public var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }

    /// Seconds as a `TimeInterval`, for the Foundation APIs that take one.
    public var timeInterval: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }

    /// `2 s`, `0.5 s`: for messages.
    public var secondsText: String {
        let value = timeInterval
        return value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }
}
