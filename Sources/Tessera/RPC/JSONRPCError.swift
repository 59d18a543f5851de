/// The JSON-RPC error objects of the Zabbix API (token spec §4.2).
enum RPCError {
    case parse
    case invalidRequest(String?)
    case api(APIError)
    case internalFailure

    var code: Int {
        switch self {
        case .parse: return -32700
        case .invalidRequest: return -32600
        case .api(let error):
            switch error.kind {
            case .params: return -32602
            case .application: return -32500
            case .noMethod: return -32601
            }
        case .internalFailure: return -32500
        }
    }

    var message: String {
        switch self {
        case .parse: return "Parse error"
        case .invalidRequest: return "Invalid request."
        case .api(let error):
            switch error.kind {
            case .params: return "Invalid params."
            case .application: return "Application error."
            case .noMethod: return "Method not found."
            }
        case .internalFailure: return "Application error."
        }
    }

    var data: String {
        switch self {
        case .parse: return "Invalid JSON. An error occurred on the server while parsing the JSON text."
        case .invalidRequest(let detail): return detail ?? "The received JSON is not a valid JSON-RPC request."
        case .api(let error): return error.message
        case .internalFailure: return "The request could not be completed because of an internal error; nothing was changed."
        }
    }

    /// The response object: `jsonrpc`, `error`, `id`.
    func response(id: JSON) -> JSON {
        ["jsonrpc": "2.0", "error": ["code": .int(code), "message": .string(message), "data": .string(data)], "id": id]
    }
}
