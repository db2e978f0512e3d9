public import OpenWorkJSON
import Synchronization

/// Applies the JSON-RPC 2.0 rules to messages and runs the table's handlers.
///
/// The only place that knows the protocol: parse errors, invalid requests, batches, notifications (run, never
/// answered), error mapping, and `$/cancelRequest`. Transports hand it a line or a body and write back what it
/// returns; it never does I/O itself.
public final class Dispatcher: Sendable {
    public let table: MethodTable
    /// Gets every answer and every notification sent, when `OPENWORK_RPC_TRACE` asks for it.
    public let trace: RPCTrace?
    private let inFlight = Mutex<[RequestID: InFlightRequest]>([:])

    public static let cancelMethod = MethodTable.cancel

    public init(table: MethodTable, trace: RPCTrace? = nil) {
        self.table = table
        self.trace = trace
    }

    /// Handles one JSON text (a request, a notification or a batch) and returns the serialized answer, or
    /// `nil` when nothing is to be sent back.
    public func handle(text bytes: some Collection<UInt8>, session: RPCSession? = nil) async -> [UInt8]? {
        let message: JSONValue
        do {
            message = try JSONValue(parsing: bytes)
        } catch {
            return Self.serialize(
                .error(.parseError("parse error: \(error)", details: ["reason": .string(error.kind.rawValue)])))
        }
        guard let answer = await handle(message, session: session) else { return nil }
        return Self.serialize(answer)
    }

    /// Handles a parsed message: a single request (answered with an object) or a batch (answered with an array).
    public func handle(_ message: JSONValue, session: RPCSession? = nil) async -> JSONValue? {
        guard case .array(let elements) = message else {
            return await handleOne(message, session: session)?.json
        }
        guard !elements.isEmpty else {
            return RPCResponse.error(.invalidRequest("an empty batch is not a valid request")).json
        }
        let responses = await withTaskGroup(of: (Int, RPCResponse?).self) { group in
            for (index, element) in elements.enumerated() {
                group.addTask { (index, await self.handleOne(element, session: session)) }
            }
            var ordered = [RPCResponse?](repeating: nil, count: elements.count)
            for await (index, response) in group { ordered[index] = response }
            return ordered.compactMap { $0 }
        }
        return responses.isEmpty ? nil : .array(responses.map(\.json))
    }

    private func handleOne(_ element: JSONValue, session: RPCSession?) async -> RPCResponse? {
        switch RPCRequest.validate(element) {
        case .failure(let invalid): return .error(invalid.error, id: invalid.id)
        case .success(let request): return await handle(request, session: session)
        }
    }

    /// Runs one valid request. Returns `nil` for notifications, whatever happens.
    public func handle(_ request: RPCRequest, session: RPCSession? = nil) async -> RPCResponse? {
        let response = await answer(request, session: session)
        if let trace, let response { trace.response(request.method, response.json) }
        return response
    }

    private func answer(_ request: RPCRequest, session: RPCSession?) async -> RPCResponse? {
        if request.method == Self.cancelMethod {
            cancel(request.params)
            return request.id.map { RPCResponse(id: $0, outcome: .success(.null)) }
        }
        guard let method = table[request.method] else {
            return request.id.map { .error(.methodNotFound(request.method), id: $0) }
        }
        let call: RPCCall
        do {
            call = RPCCall(
                id: request.id, method: request.method, params: try method.normalizedParams(request.params),
                session: session)
        } catch {
            return request.id.map { .error(error, id: $0) }
        }
        guard let id = request.id else {
            _ = try? await method.handler(call)
            return nil
        }
        return RPCResponse(id: id, outcome: await run(method, call, id: id))
    }

    /// Runs one method for a transport whose calls carry no JSON-RPC id (a REST route), in the caller's task: no
    /// `$/cancelRequest` can name it, so it gets no task or in-flight entry of its own; cancelling the caller
    /// cancels it.
    public func call(_ name: String, params: JSONValue? = nil) async -> Result<JSONValue, RPCError> {
        let outcome = await run(name, params: params)
        trace?.response(name, RPCResponse(id: .null, outcome: outcome).json)
        return outcome
    }

    private func run(_ name: String, params: JSONValue?) async -> Result<JSONValue, RPCError> {
        guard name != Self.cancelMethod, let method = table[name] else { return .failure(.methodNotFound(name)) }
        do {
            let call = RPCCall(id: nil, method: name, params: try method.normalizedParams(params))
            return .success(try await method.handler(call))
        } catch {
            return .failure(Self.rpcError(from: error))
        }
    }

    private func run(_ method: RPCMethod, _ call: RPCCall, id: RequestID) async -> Result<JSONValue, RPCError> {
        let request = InFlightRequest()
        inFlight.withLock { $0[id] = request }
        let task = Task { try await method.handler(call) }
        request.attach(task)
        let result = await withTaskCancellationHandler {
            await task.result
        } onCancel: {
            task.cancel()
        }
        inFlight.withLock { table in
            if table[id] === request { table[id] = nil }
        }
        if request.wasCancelled { return .failure(.requestCancelled) }
        return result.mapError(Self.rpcError(from:))
    }

    /// Whether a request with this id is being handled (for tests and introspection).
    public func isRunning(_ id: RequestID) -> Bool {
        inFlight.withLock { $0[id] != nil }
    }

    private func cancel(_ params: JSONValue?) {
        let target = params?["id"] ?? params?[0]
        guard let target, let id = RequestID(target) else { return }
        let request = inFlight.withLock { $0[id] }
        request?.cancel()
    }

    /// Maps any error a handler throws to the wire error, in one place.
    public static func rpcError(from error: any Error) -> RPCError {
        switch error {
        case let error as RPCError: return error
        case let error as any RPCErrorConvertible: return error.rpcError
        case is CancellationError: return .requestCancelled
        case is DecodingError: return .invalidParams(JSONValue.decodingFailureDescription(error))
        default: return .internalError("internal error: \(error)")
        }
    }

    /// Serializes an answer for the wire; a result that cannot be encoded becomes an internal error.
    static func serialize(_ answer: RPCResponse) -> [UInt8] { serialize(answer.json) }

    static func serialize(_ answer: JSONValue) -> [UInt8] {
        do {
            return try answer.serializedBytes(.compact)
        } catch {
            let id = answer["id"].flatMap(RequestID.init) ?? .null
            let fallback = RPCResponse.error(.internalError("result could not be encoded: \(error)"), id: id)
            return (try? fallback.json.serializedBytes(.compact))
                ?? Array(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32603,"message":"internal error"}}"#.utf8)
        }
    }
}

/// A request being handled, so `$/cancelRequest` can reach its task.
private final class InFlightRequest: Sendable {
    private struct State {
        var task: Task<JSONValue, any Error>?
        var cancelled = false
    }

    private let state = Mutex(State())

    func attach(_ task: Task<JSONValue, any Error>) {
        let cancelled = state.withLock { state in
            state.task = task
            return state.cancelled
        }
        if cancelled { task.cancel() }
    }

    func cancel() {
        let task = state.withLock { state in
            state.cancelled = true
            return state.task
        }
        task?.cancel()
    }

    var wasCancelled: Bool { state.withLock { $0.cancelled } }
}
