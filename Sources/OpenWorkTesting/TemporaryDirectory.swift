import Foundation

/// A fresh directory under the system temp directory, removed with everything in it when released.
public final class TemporaryDirectory: @unchecked Sendable {
    public let path: String

    public init(_ label: String = "openwork") throws {
        var template = Array((NSTemporaryDirectory() + "/\(label).XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress.flatMap { mkdtemp($0) }
        }
        guard let made else { throw CocoaError(.fileWriteUnknown) }
        path = URL(fileURLWithPath: String(cString: made)).resolvingSymlinksInPath().path
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// `path/relative`.
    public func appending(_ relative: String) -> String { path + "/" + relative }

    /// Creates directories (with parents) under this one and returns their absolute paths.
    @discardableResult
    public func makeDirectories(_ names: String...) throws -> [String] {
        try names.map { name in
            let full = appending(name)
            try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
            return full
        }
    }
}
