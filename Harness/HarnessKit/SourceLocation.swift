/// A place in a scenario file.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var description: String { "\(file):\(line)" }

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }
}
