import ArgumentParser
import OpenWorkLogging

/// Boolean flags also take a value, as the orchestrator's do: `--verbose=yes` is `--verbose`, `--verbose=0` is
/// `--no-verbose`. Only the `=` spelling: a separate word after a flag is never taken as its value, so
/// `approvals reply --allow ID`-style commands keep their positional argument.
enum BooleanArguments {
    /// Every flag that has a `--no-` form.
    static let names: Set<String> = ["json", "verbose", "allow-external"]

    /// Rewrites `--NAME=VALUE` of a boolean flag to `--NAME` or `--no-NAME`; everything after `--` is left alone.
    static func normalize(_ arguments: [String]) throws -> [String] {
        var result: [String] = []
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            if argument == "--" {
                result.append(argument)
                result.append(contentsOf: rest)
                break
            }
            guard argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") else {
                result.append(argument)
                continue
            }
            let name = String(argument[argument.index(argument.startIndex, offsetBy: 2)..<equals])
            guard names.contains(name) else {
                result.append(argument)
                continue
            }
            let text = String(argument[argument.index(after: equals)...])
            guard let value = Setting.boolean(text) else {
                throw ValidationError("--\(name) takes true/1/yes or false/0/no, got \"\(text)\"")
            }
            result.append(value ? "--\(name)" : "--no-\(name)")
        }
        return result
    }
}
