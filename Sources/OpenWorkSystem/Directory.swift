#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Creating directories: the one `mkdir -p`.
public enum Directory {
    /// A directory that could not be made: the component that failed and why.
    public struct Failure: Error, CustomStringConvertible {
        public var path: String
        public var errorNumber: Int32
        public var description: String { "cannot create \(path): \(String(cString: strerror(errorNumber)))" }
    }

    /// `mkdir -p`: creates `path` and its missing parents, each with mode 0700 (private to this user). An
    /// existing component is left as it is: checking what exists is the caller's business (``DataDirectory``
    /// refuses links and other users' directories).
    public static func createPrivate(_ path: String) throws(Failure) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o700) != 0 && errno != EEXIST {
                throw Failure(path: current, errorNumber: errno)
            }
        }
    }
}
