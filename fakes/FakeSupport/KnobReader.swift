/// Reads fault knobs the same way in the host-mode fakes: `PREFIX_NAME=value` variables, every name known (an
/// unknown one or a bad value is an ``Invalid`` the fake turns into exit 2, so a typo cannot turn a fault test into
/// a happy-path test); booleans take `1/true/yes/on` or `0/false/no/off`.
public struct KnobReader: Sendable {
    public struct Invalid: Error, Equatable, CustomStringConvertible {
        public var description: String

        public init(description: String) { self.description = description }
    }

    public let prefix: String
    /// The names understood, without the prefix, with what each takes (for the messages).
    public let names: [String: String]

    public init(prefix: String, names: [String: String]) {
        self.prefix = prefix
        self.names = names
    }

    /// The knobs in `environment`: name without the prefix, and value.
    public func knobs(in environment: [String: String]) -> [(name: String, value: String)] {
        environment.filter { $0.key.hasPrefix(prefix) }.map { (String($0.key.dropFirst(prefix.count)), $0.value) }
    }

    public func unknown(_ name: String) -> Invalid {
        Invalid(description: "unknown knob \(prefix)\(name) (known: \(names.keys.sorted().joined(separator: ", ")))")
    }

    public func invalid(_ name: String, _ value: String) -> Invalid {
        Invalid(description: "\(prefix)\(name)=\(value): expected \(names[name] ?? "another value")")
    }

    public func boolean(_ name: String, _ value: String) throws(Invalid) -> Bool {
        switch value.lowercased() {
        case "1", "true", "yes", "on": return true
        case "", "0", "false", "no", "off": return false
        default: throw invalid(name, value)
        }
    }

    public func milliseconds(_ name: String, _ value: String) throws(Invalid) -> Duration {
        guard let count = Int(value), count >= 0 else { throw invalid(name, value) }
        return .milliseconds(count)
    }

    public func exitCode(_ name: String, _ value: String) throws(Invalid) -> Int32 {
        guard let code = Int32(value), (0...255).contains(code) else { throw invalid(name, value) }
        return code
    }
}
