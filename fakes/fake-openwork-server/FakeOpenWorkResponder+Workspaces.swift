import Foundation
import Hummingbird
import OpenWorkJSON

extension FakeOpenWorkResponder {
    /// `GET /workspaces` → `{items: [the --workspace one], workspaces: (the same), activeId}`; no items without
    /// `--workspace`. `FAKE_OPENWORK_WRONG_CREDENTIALS` makes the item's opencode password wrong.
    func workspaces() -> Response {
        let items: [JSONValue] = workspaceItem.map { [$0] } ?? []
        return Reply.json(
            200,
            [
                "items": .array(items), "workspaces": .array(items),
                "activeId": state.workspaceID.map(JSONValue.string) ?? .null,
            ])
    }

    private var workspaceItem: JSONValue? {
        guard let id = state.workspaceID, let path = state.workspacePath else { return nil }
        let opencode = state.options.opencode
        var password = opencode.password.map(JSONValue.string) ?? .null
        if state.options.knobs.wrongCredentials { password = .string((opencode.password ?? "") + "-wrong") }
        func string(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        return [
            "id": .string(id), "name": .string(URL(fileURLWithPath: path).lastPathComponent), "path": .string(path),
            "workspaceType": "local",
            "opencode": [
                "baseUrl": string(opencode.baseURL), "directory": string(state.opencodeDirectory),
                "username": string(opencode.username), "password": password,
            ],
        ]
    }

    /// `GET /workspace/:id/config` → `{workspaceId, path, opencode: <opencode's GET /config>, openwork:
    /// <.opencode/openwork.json or {}>}`. Unknown id → 404 `workspace_not_found`; opencode failing → 502;
    /// an `openwork.json` that is not JSON → 500 `invalid_openwork_config`.
    func workspaceConfig(_ id: String) async -> Response {
        guard let path = state.workspacePath, id == state.workspaceID else {
            return Reply.error(404, "workspace_not_found", "Workspace not found", details: ["id": .string(id)])
        }
        let opencode: JSONValue
        do {
            opencode = try await OpenCodeClient(state: state).config()
        } catch {
            return Reply.error(502, error.code, error.message, details: error.details)
        }
        let file = path + "/.opencode/openwork.json"
        var openwork: JSONValue = [:]
        if let bytes = FileManager.default.contents(atPath: file) {
            guard let parsed = try? JSONValue(parsing: Array(bytes)) else {
                return Reply.error(500, "invalid_openwork_config", "\(file) is not JSON")
            }
            openwork = parsed
        }
        return Reply.json(
            200, ["workspaceId": .string(id), "path": .string(path), "opencode": opencode, "openwork": openwork])
    }
}
