import OpenWorkJSON

/// The OpenWork server's write approvals, in memory only (as in the real server): pending requests, the
/// writers waiting on them, and every decision (for `/__fake/state`).
///
/// Manual mode holds a request until `decide` or the timeout (then `deny` with reason `timeout`); auto mode
/// allows at once.
actor ApprovalBook {
    struct Approval: Sendable {
        var id: String
        var workspaceId: String
        var action: String
        var summary: String
        var paths: [String]
        var createdAt: Int64

        var json: JSONValue {
            [
                "id": .string(id), "workspaceId": .string(workspaceId), "action": .string(action),
                "summary": .string(summary), "paths": .array(paths.map(JSONValue.string)),
                "createdAt": .integer(createdAt), "actor": ["type": "fake", "name": "fake-openwork-server"],
            ]
        }
    }

    /// How a request ended.
    struct Decision: Sendable, Equatable {
        var allowed: Bool
        var reason: String
    }

    private let mode: ServerOptions.Mode
    private let timeout: Duration
    private let now: @Sendable () -> Int64
    private var pending: [String: Approval] = [:]
    private var order: [String] = []
    private var waiters: [String: [CheckedContinuation<Decision, Never>]] = [:]
    private var decisions: [JSONValue] = []
    private var counter = 0

    init(mode: ServerOptions.Mode, timeout: Duration, now: @escaping @Sendable () -> Int64) {
        self.mode = mode
        self.timeout = timeout
        self.now = now
    }

    var items: [JSONValue] { order.compactMap { pending[$0]?.json } }

    /// Creates a write request. Manual: pending until decided or timed out. Auto: allowed at once.
    func request(workspaceId: String, action: String, summary: String, paths: [String]) -> (Approval, Decision?) {
        counter += 1
        let approval = Approval(
            id: "apr_\(counter)_\(now())", workspaceId: workspaceId, action: action, summary: summary, paths: paths,
            createdAt: now())
        if mode == .auto {
            record(approval.id, Decision(allowed: true, reason: "auto"))
            return (approval, Decision(allowed: true, reason: "auto"))
        }
        pending[approval.id] = approval
        order.append(approval.id)
        let id = approval.id
        let timeout = timeout
        Task {
            try? await Task.sleep(for: timeout)
            self.expire(id)
        }
        return (approval, nil)
    }

    /// Waits for the decision on a pending request (returns at once when it was already decided).
    func outcome(of id: String) async -> Decision {
        if pending[id] == nil, let last = decided(id) { return last }
        return await withCheckedContinuation { continuation in waiters[id, default: []].append(continuation) }
    }

    /// A reply: `nil` when the id is not pending.
    func decide(_ id: String, allow: Bool) -> Decision? {
        guard pending[id] != nil else { return nil }
        let decision = Decision(allowed: allow, reason: allow ? "allowed" : "denied")
        finish(id, decision)
        return decision
    }

    private func expire(_ id: String) {
        guard pending[id] != nil else { return }
        finish(id, Decision(allowed: false, reason: "timeout"))
    }

    private func finish(_ id: String, _ decision: Decision) {
        pending[id] = nil
        order.removeAll { $0 == id }
        record(id, decision)
        for waiter in waiters.removeValue(forKey: id) ?? [] { waiter.resume(returning: decision) }
    }

    private func record(_ id: String, _ decision: Decision) {
        decisions.append([
            "id": .string(id), "allowed": .bool(decision.allowed), "reason": .string(decision.reason),
            "time": .integer(now()),
        ])
    }

    private func decided(_ id: String) -> Decision? {
        guard let entry = decisions.last(where: { $0["id"]?.stringValue == id }) else { return nil }
        return Decision(allowed: entry["allowed"] == true, reason: entry["reason"]?.stringValue ?? "")
    }

    var state: JSONValue {
        [
            "mode": .string(mode.rawValue), "pending": .array(items), "decisions": .array(decisions),
        ]
    }
}
