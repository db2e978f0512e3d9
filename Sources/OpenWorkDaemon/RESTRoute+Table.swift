extension RESTRoute {
    /// Every route of the control plane, in the order of the README's list. The first row that fits a request
    /// serves it; no two rows fit the same request.
    public static let table: [RESTRoute] = [
        RESTRoute(
            "POST", "/rpc", nil, params: .message,
            notes: "a request, a notification or a batch, through the same `Dispatcher` as stdio; "
                + "all-notification bodies → 204"),
        RESTRoute("GET", "/health", "health", notes: "no token; plus `daemon {pid, port, baseUrl}` and `cliVersion`"),
        RESTRoute("GET", "/openrpc.json", "rpc.discover", notes: "the OpenRPC document"),
        RESTRoute(
            "GET", "/openapi.json", nil, params: .openAPI,
            notes: "the OpenAPI 3.1 document of these routes, generated from this table"),
        RESTRoute("POST", "/shutdown", "daemon.shutdown", notes: "`{ok:true}`, then the daemon stops"),
        RESTRoute("GET", "/workspaces", "workspace.list"),
        RESTRoute("POST", "/workspaces", "workspace.add", params: .object(query: []), notes: "`{path, name?, cwd?}`"),
        RESTRoute(
            "POST", "/workspaces/remote", "workspace.addRemote", params: .object(query: []),
            notes: "`{baseUrl, directory?, name?}`"),
        RESTRoute("GET", "/workspaces/:id", "workspace.info", params: .object(query: ["cwd"])),
        RESTRoute("DELETE", "/workspaces/:id", "workspace.remove", params: .object(query: ["cwd"])),
        RESTRoute("POST", "/workspaces/:id/activate", "workspace.switch", params: .object(query: ["cwd"])),
        RESTRoute("GET", "/workspaces/:id/path", "workspace.path", params: .object(query: ["cwd"])),
        RESTRoute("GET", "/workspaces/:id/connect", "workspace.connect", params: .object(query: ["cwd"])),
        RESTRoute("POST", "/instances/:id/dispose", "instance.dispose", params: .object(query: ["cwd"])),
        RESTRoute("POST", "/instances/:id/reload", "instance.reload", params: .object(query: ["cwd"])),
        RESTRoute(
            "POST", "/instances/:id/lease", "instance.lease", params: .object(query: ["cwd"]), notes: "`{ttlMs}`"),
        RESTRoute("POST", "/leases/:leaseId/renew", "instance.renew", params: .object(query: []), notes: "`{ttlMs?}`"),
        RESTRoute("DELETE", "/leases/:leaseId", "instance.release", params: .object(query: [])),
        RESTRoute("GET", "/opencode", "opencode.status"),
        RESTRoute("POST", "/opencode/restart", "opencode.restart", params: .body, notes: "`{wait?}`"),
        RESTRoute(
            "GET", "/events", "events.subscribe", params: .eventTypes,
            notes: "server-sent events: `event: <type>` + `data: <event JSON>`, each flushed at once; ends when the "
                + "client disconnects, and when the daemon stops (after a final `shutdown` event)"),
        RESTRoute("GET", "/sidecars", "sidecar.list"),
        RESTRoute(
            "POST", "/sidecars/:name/resolve", "sidecar.resolve", params: .object(query: []), notes: "`{source?}`"),
        RESTRoute("GET", "/approvals", "approvals.list", params: .object(query: ["workspace", "cwd"])),
        RESTRoute(
            "POST", "/approvals/:id", "approvals.reply", params: .object(query: []),
            notes: "`{reply, message?}` (a permission) or `{answer}`, `{answers}`, `{reply: \"reject\"}` (a question); "
                + "404 for `approval_not_found`"),
        RESTRoute(
            "POST", "/host/start", "host.start", params: .object(query: []),
            notes: "`{workspace?, cwd?, …the flags of openwork start, check?, checkEvents?, includeSecrets?}`; "
                + "answers once the services are ready; 409 for `host_already_running`"),
        RESTRoute("GET", "/host", "host.status", notes: "credentials withheld (`POST /rpc` with `includeSecrets`)"),
        RESTRoute("POST", "/host/stop", "host.stop", notes: "`{stopped, services}`"),
    ]
}
