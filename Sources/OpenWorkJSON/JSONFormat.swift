/// How a ``JSONValue`` is printed.
public enum JSONFormat: Sendable, Hashable {
    /// One line, no spaces, keys in no particular order: the wire form. Never contains a raw newline.
    case compact
    /// One line with keys sorted: deterministic, for hashing, comparing and line-oriented diffs.
    case canonical
    /// Two-space indentation with keys sorted: for people, and for files kept under version control.
    case pretty
}
