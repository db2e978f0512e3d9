/// The command-line check that makes a secret on argv fail loudly: argv is world-readable (`ps`, `/proc`), so
/// a product that passes a token there has a bug, and the fake refuses to start (exit 2) instead of hiding it.
///
/// The message names the flag or the variable, never the value.
public enum SecretArguments {
    /// Flags that would carry a secret: refused whatever follows them.
    public static let flags: Set<String> = [
        "--token", "--host-token", "--opencode-password", "--opencode-username", "--password",
    ]

    /// What is wrong with `arguments`, or `nil`: a secret flag (also as `--flag=value`), or an item (or the value
    /// after `=` in one) equal to the non-empty value of one of `secretNames` in `environment`.
    public static func problem(in arguments: [String], environment: [String: String], secretNames: [String]) -> String?
    {
        let secrets = secretNames.compactMap { name in environment[name].flatMap { $0.isEmpty ? nil : (name, $0) } }
        for (index, argument) in arguments.enumerated() {
            let parts = argument.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let flag = String(parts[0])
            if flags.contains(flag) {
                return "\(flag) is refused: secrets are never taken from argv (pass them in the environment)"
            }
            let value = parts.count > 1 ? String(parts[1]) : nil
            for (name, secret) in secrets where argument == secret || value == secret {
                return "argument \(index + 1) is the value of \(name): secrets are never taken from argv"
            }
        }
        return nil
    }
}
