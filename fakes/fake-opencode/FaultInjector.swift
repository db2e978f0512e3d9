import Synchronization

/// Counts requests and decides, per request, whether the fake answers, hangs or crashes.
///
/// Requests to `/__fake/*` are not counted and never hang or crash.
final class FaultInjector: Sendable {
    /// What to do with one request.
    enum Admission: Equatable, Sendable {
        /// Answer it; when `thenCrash`, exit right after the response has been sent.
        case answer(thenCrash: Bool)
        /// Never answer it (the connection stays open).
        case hang
        /// Exit now, without answering (a request that raced with an earlier crash).
        case crashNow
    }

    struct Plan: Equatable, Sendable {
        var crashAfterRequests: Int?
        var hangAfterRequests: Int?

        /// The decision for the `number`-th request (1-based).
        func admission(forRequest number: Int) -> Admission {
            if let hang = hangAfterRequests, number > hang { return .hang }
            if let crash = crashAfterRequests {
                if number == crash { return .answer(thenCrash: true) }
                if number > crash { return .crashNow }
            }
            return .answer(thenCrash: false)
        }
    }

    private let plan: Plan
    private let count = Mutex(0)

    init(plan: Plan) {
        self.plan = plan
    }

    func admit() -> Admission {
        let number = count.withLock { count in
            count += 1
            return count
        }
        return plan.admission(forRequest: number)
    }

    var requestCount: Int { count.withLock { $0 } }

    /// Whether the fake has started hanging: event streams then stop sending anything.
    var isHung: Bool {
        guard let hang = plan.hangAfterRequests else { return false }
        return requestCount > hang
    }
}
