import Foundation
import OpenWorkDaemon
import OpenWorkJSON
import OpenWorkOperations
import OpenWorkRPC
import OpenWorkSystem
import OpenWorkTesting
import Testing

/// `scripts/fuzz-control-plane.sh`: schemathesis against a daemon with the fake opencode, driven by the OpenAPI
/// document the daemon serves. A 5xx, a status or body outside the document, or a route that ignores the token
/// fails it.
@Suite("Control plane: schemathesis fuzz", .serialized)
struct ControlPlaneFuzzTests {
    /// `scripts/fuzz-control-plane.sh` with `environment` added; its exit and everything it printed.
    private static func fuzz(_ environment: [String: String] = [:]) async throws -> (TestProcess.Exit, String) {
        let process = try TestProcess(
            "/bin/bash", [ContractCheck.root + "/scripts/fuzz-control-plane.sh"],
            environment: ProcessInfo.processInfo.environment.merging(
                ["OPENWORK_BUILD_DIR": BuiltProducts.directory.path, "NO_COLOR": "1"].merging(environment) { $1 }
            ) { $1 }, workingDirectory: ContractCheck.root)
        // The script bounds itself (FUZZ_MAX_TIME, 300 s); this is only a hang deadline.
        let output = try await process.readRemainingOutput(within: .seconds(900))
        let exit = try await process.waitForExit(within: .seconds(60))
        return (exit, output + process.errorOutput)
    }

    @Test(.enabled(if: ContractCheck.available, "run bash scripts/ensure-python-tools.sh"))
    func schemathesisFindsNothing() async throws {
        let (exit, output) = try await Self.fuzz()
        #expect(exit == .exited(0), "\(output)")
        #expect(output.contains("No issues found"), "\(output)")
    }

    /// The fuzz is not vacuous: the same run against a document that says `GET /workspaces` answers a string
    /// finds the answers do not fit.
    @Test(.enabled(if: ContractCheck.available, "run bash scripts/ensure-python-tools.sh"))
    func schemathesisFindsAnAnswerOutsideItsSchema() async throws {
        var table = Operations.table(Operations.Configuration())
        table.register(Daemon.shutdownMethod {})
        var document = RESTRoute.openAPIDocument(methods: table)
        var paths = try #require(document["paths"]?.objectValue)
        var list = try #require(paths["/workspaces"]?["get"])
        list["responses"]?["200"] = [
            "description": "wrong on purpose", "content": ["application/json": ["schema": ["type": "string"]]],
        ]
        paths["/workspaces"]?["get"] = list
        document["paths"] = .object(paths)
        let directory = try TemporaryDirectory("fuzz-wrong")
        let file = try ContractCheck.write(document, to: "openapi.json", in: directory)
        let (exit, output) = try await Self.fuzz(["FUZZ_DOCUMENT": file, "FUZZ_MAX_EXAMPLES": "3"])
        #expect(exit != .exited(0), "\(output)")
        #expect(output.contains("GET /workspaces") && output.contains("Response violates schema"), "\(output)")
    }
}
