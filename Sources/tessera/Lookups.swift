import Tessera

/// Names typed on the command line turned into the ids the API takes, asked through the API itself:
/// what the acting user cannot see is not found.
extension LocalCaller {
    /// The user with exactly this username (case-sensitive, as `user.login` matches), as `user.get`
    /// returns it with `params` (default: only `userid`).
    func user(named username: String, _ params: JSONObject = ["output": ["userid"]]) async throws -> JSON {
        var query = params
        query["filter"] = ["username": .string(username)]
        guard let user = try await call("user.get", .object(query)).arrayValue?.first else {
            throw CommandFailure("there is no user \"\(username)\"")
        }
        return user
    }

    /// A role's id: digits are an id (checked by `user.create`), anything else a role name.
    func roleID(_ idOrName: String) async throws -> String {
        try await id(idOrName, method: "role.get", key: "roleid", what: "user role")
    }

    /// User groups' ids, each given as an id or a name.
    func groupIDs(_ idsOrNames: [String]) async throws -> [String] {
        var ids: [String] = []
        for group in idsOrNames { ids.append(try await id(group, method: "usergroup.get", key: "usrgrpid", what: "user group")) }
        return ids
    }

    private func id(_ idOrName: String, method: String, key: String, what: String) async throws -> String {
        if !idOrName.isEmpty, idOrName.allSatisfy({ $0.isASCII && $0.isNumber }) { return idOrName }
        let found = try await call(method, ["output": [.string(key)], "filter": ["name": .string(idOrName)]])
        guard let id = found.arrayValue?.first?[key]?.stringValue else { throw CommandFailure("there is no \(what) \"\(idOrName)\"") }
        return id
    }
}
