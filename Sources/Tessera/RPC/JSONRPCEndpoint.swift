import Logging

/// `POST /api_jsonrpc.php`: envelope validation, batches, notifications, authentication, the role
/// gate and dispatch (token spec §3–4). It only decodes and encodes; the rules live in the services.
struct JSONRPCEndpoint: Sendable {
    let services: Services
    let methods: MethodTable
    let logger: Logger

    init(services: Services, logger: Logger) {
        self.services = services
        self.methods = .build(services)
        self.logger = logger
    }

    /// Answers one HTTP request body with the UTF-8 of the reply; nil means an empty body (only notifications).
    func respond(to body: [UInt8], bearer: String?, ip: String) async -> [UInt8]? {
        let request: JSON
        do {
            request = try JSONParser.parse(body)
        } catch {
            services.telemetry.call(method: "invalid", outcome: String(RPCError.parse.code), duration: .zero)
            return RPCError.parse.response(id: .null).encodedBytes()
        }
        let recordsetid = CUID.make()
        switch request {
        case .array(let calls) where calls.isEmpty: return RPCError.invalidRequest(nil).response(id: .null).encodedBytes()
        case .object(let object) where object.isEmpty: return RPCError.invalidRequest(nil).response(id: .null).encodedBytes()
        case .array, .object: break
        default: return RPCError.invalidRequest(nil).response(id: .null).encodedBytes()
        }
        // A list is a batch; so is an object keyed "0", "1", … (PHP cannot tell them apart).
        if let calls = request.listElements {
            var responses: [JSON] = []
            for call in calls {
                if let response = await handle(call, bearer: bearer, ip: ip, recordsetid: recordsetid) { responses.append(response) }
            }
            return responses.isEmpty ? nil : JSON.array(responses).encodedBytes()
        }
        return await handle(request, bearer: bearer, ip: ip, recordsetid: recordsetid)?.encodedBytes()
    }

    /// One call: nil when it is a notification that needs no answer.
    private func handle(_ call: JSON, bearer: String?, ip: String, recordsetid: String) async -> JSON? {
        let started = ContinuousClock.now
        let envelope: Envelope
        do {
            envelope = try Envelope(call)
        } catch {
            services.telemetry.call(method: "invalid", outcome: String(RPCError.invalidRequest(nil).code), duration: .zero)
            let id = call.objectValue?["id"].flatMap { Envelope.isValidID($0) ? $0 : nil } ?? .null
            return RPCError.invalidRequest(error.message).response(id: id)
        }
        let resolved = Result { () throws(APIError) in try methods.lookup(envelope.method) }
        // Metrics name only methods the API has: a caller cannot make up label values.
        let name = (try? resolved.get())?.entry.name ?? "unknown"
        let outcome: RPCError?
        let answer: JSON
        do {
            let result = try await dispatch(envelope, try resolved.get(), bearer: bearer, ip: ip, recordsetid: recordsetid)
            outcome = nil
            answer = ["jsonrpc": "2.0", "result": result, "id": envelope.id ?? .null]
        } catch let error as APIError {
            outcome = .api(error)
            answer = RPCError.api(error).response(id: envelope.id ?? .null)
        } catch {
            logger.error("request failed: \(String(describing: error))", metadata: ["method": .string(envelope.method)])
            outcome = .internalFailure
            answer = RPCError.internalFailure.response(id: envelope.id ?? .null)
        }
        services.telemetry.call(method: name, outcome: outcome.map { String($0.code) } ?? "ok", duration: ContinuousClock.now - started)
        // (`case nil`: JSON is nil-literal-expressible, so `== nil` would compare with JSON's null.)
        if case nil = envelope.id { return nil }
        return answer
    }

    private func dispatch(
        _ envelope: Envelope,
        _ resolved: (service: String, method: String, entry: APIMethod),
        bearer: String?,
        ip: String,
        recordsetid: String
    ) async throws -> JSON {
        let (service, method, entry) = resolved
        switch entry.access {
        case .anonymous:
            if envelope.auth != nil {
                throw APIError.params("The \"\(service).\(method)\" method must be called without the \"auth\" parameter.")
            }
            return try await entry.run(Invocation(params: envelope.params, context: nil, ip: ip, recordsetid: recordsetid))
        case .authenticated:
            guard let auth = envelope.auth ?? bearer else { throw APIError.notAuthorized }
            let principal = try await services.failures.counting(ip) { try await services.authenticator.authenticate(auth) }
            try entry.authorize(principal, service: service, method: method)
            let context = services.context(for: principal, ip: ip, recordsetid: recordsetid)
            return try await entry.run(Invocation(params: envelope.params, context: context, ip: ip, recordsetid: recordsetid))
        }
    }
}

/// A validated JSON-RPC call (members `jsonrpc`, `method`, `params`, `auth`, `id`).
struct Envelope {
    let method: String
    let params: JSON
    let auth: String?
    /// Nil for a notification (no `id` member at all; `"id": null` is not one).
    let id: JSON?

    struct Invalid: Error {
        let message: String
        init(_ path: String, _ reason: String) { message = "Invalid parameter \"\(path)\": \(reason)." }
    }

    static func isValidID(_ id: JSON) -> Bool {
        switch id {
        case .string, .number, .null: return true
        default: return false
        }
    }

    init(_ call: JSON) throws(Invalid) {
        guard case .object(let object) = call else {
            if case .array(let items) = call, items.isEmpty { throw Invalid("/", "the parameter \"jsonrpc\" is missing") }
            if case .array = call { throw Invalid("/", "unexpected parameter \"0\"") }
            throw Invalid("/", "an array is expected")
        }
        if let key = object.firstKey(where: { !Self.members.contains($0) }) { throw Invalid("/", "unexpected parameter \"\(key)\"") }
        guard let version = object["jsonrpc"] else { throw Invalid("/", "the parameter \"jsonrpc\" is missing") }
        guard case .string(let versionText) = version else { throw Invalid("/jsonrpc", "a character string is expected") }
        guard versionText == "2.0" else { throw Invalid("/jsonrpc", "value must be \"2.0\"") }
        guard let method = object["method"] else { throw Invalid("/", "the parameter \"method\" is missing") }
        guard case .string(let methodName) = method else { throw Invalid("/method", "a character string is expected") }
        guard let params = object["params"] else { throw Invalid("/", "the parameter \"params\" is missing") }
        switch params {
        case .array, .object: break
        default: throw Invalid("/params", "an array or object is expected")
        }
        var auth: String?
        switch object["auth"] {
        case nil, .null?: auth = nil
        case .string(let s)?:
            if s.isEmpty { throw Invalid("/auth", "cannot be empty") }
            auth = s
        default: throw Invalid("/auth", "a character string is expected")
        }
        if let id = object["id"], !Self.isValidID(id) {
            throw Invalid("/id", "a string, number or null value is expected")
        }
        self.method = methodName
        self.params = params
        self.auth = auth
        self.id = object["id"]
    }

    private static let members: Set<String> = ["jsonrpc", "method", "params", "auth", "id"]
}
