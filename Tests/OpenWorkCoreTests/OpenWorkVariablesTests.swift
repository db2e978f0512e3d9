import Foundation
import OpenWorkSystem
import Testing

/// The list of `OPENWORK_*` variables cannot drift from the code: every literal name in the sources is in it.
@Suite("OPENWORK_* variables")
struct OpenWorkVariablesTests {
    @Test func everyVariableTheSourcesNameIsListed() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources")
        var named: Set<String> = []
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)
        while let file = files?.nextObject() as? URL {
            // The benchmark and the test support read their own plumbing variables (OPENWORK_BENCH_*, OPENWORK_BUILD_DIR).
            guard file.pathExtension == "swift", !file.path.contains("/openwork-bench/"),
                !file.path.contains("/OpenWorkTesting/")
            else { continue }
            let text = try String(contentsOf: file, encoding: .utf8)
            var rest = Substring(text)
            while let start = rest.range(of: "\"OPENWORK_") {
                let name = rest[rest.index(after: start.lowerBound)...].prefix {
                    $0.isUppercase || $0.isNumber || $0 == "_"
                }
                rest = rest[start.upperBound...]
                // A prefix the code completes (`"OPENWORK_OPENCODE_" + name`) is not a name.
                guard !name.hasSuffix("_") else { continue }
                named.insert(String(name))
            }
        }
        let known = OpenWorkVariables.read.union(OpenWorkVariables.passedToChildren)
        let unlisted = named.subtracting(known).filter { name in
            !OpenWorkVariables.internalPrefixes.contains(where: name.hasPrefix)
        }
        #expect(unlisted.sorted() == [], "add them to OpenWorkVariables")
        #expect(named.count > 30, "the scan found the sources")
    }

    @Test func unknownVariablesAreReportedAndKnownOnesAreNot() {
        let environment = [
            "OPENWORK_DATA_DIR": "/d", "OPENWORK_SANDBOX_NETWORK": "none", "OPENWORK_OPENCODE_HOST": "0.0.0.0",
            "OPENWORK_TOKEN": "x", "OPENWORK_BENCH_SOAK_MARKER": "1", "HOME": "/root",
        ]
        #expect(
            OpenWorkVariables.ignored(in: environment) == [
                "OPENWORK_OPENCODE_HOST", "OPENWORK_SANDBOX_NETWORK", "OPENWORK_TOKEN",
            ])
        let warnings = OpenWorkVariables.warnings(for: environment)
        #expect(warnings.count == 3)
        #expect(warnings.last?.contains("sets it for its children") == true)
    }
}
