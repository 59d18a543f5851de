/// `user.login`, `user.logout` and `user.checkAuthentication` (users spec §2): Zabbix's parameters and
/// its user object; the rules are `SessionService`'s.
struct SessionAPI: Sendable {
    let sessions: SessionService

    static let tokenCheckRule = ObjectRule([.required("token", .string())])
    static let sessionCheckRule = ObjectRule([.required("sessionid", .string()), .optional("extend", .boolean)])

    func addMethods(to table: inout MethodTable) {
        table.add("user", "login", .anonymous) { try await login($0.params, ip: $0.ip, recordsetid: $0.recordsetid) }
        table.add("user", "logout", .authenticated(minType: .user)) { call in
            guard Validator.isEmptyContainer(call.params) else { throw APIError.invalid("/", "should be empty") }
            try await sessions.logout(call.caller)
            return .bool(true)
        }
        table.add("user", "checkAuthentication", .anonymous) { try await checkAuthentication($0.params, ip: $0.ip) }
    }

    /// The session id, or the user object with it when `userData` is set. `user` is the deprecated name of `username`.
    func login(_ params: JSON, ip: String, recordsetid: String) async throws -> JSON {
        var object = try Validator.plainObject(params, path: "/")
        if object["user"] != nil {
            if object["username"] != nil { throw APIError.params("Parameter \"user\" is deprecated.") }
            object["username"] = object["user"]
            object["user"] = nil
        }
        let validated = try Validator.object(.object(object), SessionService.loginRule, path: "/")
        let signedIn = try await sessions.login(
            username: validated["username"]?.stringValue ?? "",
            password: validated["password"]?.stringValue ?? "",
            ip: ip,
            recordsetid: recordsetid
        )
        guard validated["userData"] == .bool(true) else { return .string(signedIn.sessionid) }
        return .object(Self.userData(signedIn.account, settings: signedIn.settings, ip: ip, sessionid: signedIn.sessionid))
    }

    /// Exactly one of `sessionid` (with optional `extend`) or `token`.
    func checkAuthentication(_ params: JSON, ip: String) async throws -> JSON {
        let object = try Validator.plainObject(params, path: "/")
        guard object.has("sessionid") != object.has("token") else { throw APIError.params("Session ID or token is expected.") }
        let settings = try await sessions.userDefaults()
        if object.has("token") {
            let validated = try Validator.object(params, Self.tokenCheckRule, path: "/")
            let account = try await sessions.checkToken(validated["token"]?.stringValue ?? "", ip: ip)
            return .object(Self.userData(account, settings: settings, ip: ip, sessionid: nil))
        }
        let validated = try Validator.object(params, Self.sessionCheckRule, path: "/")
        let sessionid = validated["sessionid"]?.stringValue ?? ""
        let account = try await sessions.checkSession(sessionid, extend: validated["extend"] != .bool(false), ip: ip)
        return .object(Self.userData(account, settings: settings, ip: ip, sessionid: sessionid))
    }

    /// The user object of `user.login` (`userData`) and `user.checkAuthentication`.
    /// The user's columns (`lang` and `timezone` "default" replaced by the system's), then what the
    /// role and groups give, the caller's address and the session id. Built in one pass: it is most
    /// of the work of `user.checkAuthentication`.
    static func userData(_ account: UserAccount, settings: Settings, ip: String, sessionid: String?) -> JSONObject {
        let columns = account.apiColumns
        var data = JSONObject(minimumCapacity: columns.count + 5)
        for (key, value) in columns {
            switch key {
            case "lang" where value == "default": data.append(key, .string(settings.string("default_lang")))
            case "timezone" where value == "default": data.append(key, .string(settings.string("default_timezone")))
            default: data.append(key, .string(value))
            }
        }
        data.append("type", .int(account.roleType?.rawValue ?? 0))
        data.append("userip", .string(ip))
        data.append("debug_mode", .int(account.debugMode.rawValue))
        data.append("gui_access", .int(account.guiAccess.rawValue))
        if let sessionid { data.append("sessionid", .string(sessionid)) }
        return data
    }

}
