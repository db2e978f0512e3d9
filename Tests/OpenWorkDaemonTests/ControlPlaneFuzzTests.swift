import Foundation
import OpenWorkSystem
import OpenWorkTesting
import Testing

/// `scripts/fuzz-control-plane.sh`: schemathesis against a daemon with the fake opencode, driven by the OpenAPI
/// document the daemon serves. A 5xx, a status or body outside the document, or a route that ignores the token
/// fails it.
@Suite("Control plane: schemathesis fuzz")
struct ControlPlaneFuzzTests {
    @Test(.enabled(if: ContractCheck.available, "run bash scripts/ensure-python-tools.sh"))
    func schemathesisFindsNothing() async throws {
        let process = try TestProcess(
            "/bin/bash", [ContractCheck.root + "/scripts/fuzz-control-plane.sh"],
            environment: ProcessInfo.processInfo.environment.merging([
                "OPENWORK_BUILD_DIR": BuiltProducts.directory.path, "NO_COLOR": "1",
            ]) { $1 }, workingDirectory: ContractCheck.root)
        // The script bounds itself (FUZZ_MAX_TIME, 240 s); this is only a hang deadline.
        let output = try await process.readRemainingOutput(within: .seconds(900))
        let exit = try await process.waitForExit(within: .seconds(60))
        #expect(exit == .exited(0), "\(output)\n\(process.errorOutput)")
        #expect(output.contains("passed"), "\(output)")
    }
}
