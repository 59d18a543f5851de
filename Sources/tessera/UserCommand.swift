import ArgumentParser
import Tessera

/// `tessera user`: users, through `user.*` of the API (same rules, messages and audit records).
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Create and list users, set their passwords, disable and enable them.",
        subcommands: [UserCreate.self, UserList.self, UserPasswd.self, UserDisable.self, UserEnable.self]
    )
}

/// `tessera user create`: `user.create`.
struct UserCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a user.",
        discussion: """
            The password comes from --password, from one line of standard input with --password-stdin, or else from a \
            prompt on the terminal (typed twice, not shown). The password policy of the API applies.
            """
    )

    @OptionGroup var options: OperatorOptions
    @Option(help: "The login name.") var username: String
    @Option(help: "The password (visible to other users of this machine: prefer --password-stdin).") var password: String?
    @Flag(name: .customLong("password-stdin"), help: "Read the password from the first line of standard input.") var passwordStdin = false
    @Option(help: ArgumentHelp("The user role, by id or name.", valueName: "role")) var role = "User role"
    @Option(
        name: .customLong("group"),
        help: ArgumentHelp("A user group, by id or name (e.g. \"Zabbix administrators\"); repeat for several, at least one.", valueName: "group")
    )
    var groups: [String]
    @Option(help: "First name.") var name: String?
    @Option(help: "Last name.") var surname: String?

    func validate() throws {
        try PasswordInput.validate(given: password, fromStandardInput: passwordStdin)
    }

    func run() async throws {
        let secret = try PasswordInput.read(given: password, fromStandardInput: passwordStdin)
        try await CommandSession.run(options) { api in
            var user: JSONObject = [
                "username": .string(username), "passwd": .string(secret), "roleid": .string(try await api.roleID(role)),
                "usrgrps": .array(try await api.groupIDs(groups).map { ["usrgrpid": .string($0)] }),
            ]
            if let name { user["name"] = .string(name) }
            if let surname { user["surname"] = .string(surname) }
            let created = try await api.call("user.create", .object(user))
            let userid = created["userids"]?.arrayValue?.first?.stringValue ?? "?"
            print("Created user \"\(username)\" with userid \(userid).")
        }
    }
}

/// `tessera user list`: `user.get` with each user's role and status.
struct UserList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the users the acting user can see.",
        discussion: "--json prints what user.get returns for these fields, with role, usrgrps and the group flags (users_status 1: disabled)."
    )

    @OptionGroup var options: OperatorOptions
    @Flag(help: "Print JSON for scripts instead of a table.") var json = false

    func run() async throws {
        let users = try await CommandSession.run(options) { api in
            try await api.call(
                "user.get",
                [
                    "output": ["userid", "username", "name", "surname", "roleid"], "selectRole": ["name"], "selectUsrgrps": ["usrgrpid", "name"],
                    "getAccess": true, "sortfield": "userid",
                ]
            )
        }
        if json {
            print(users.encoded())
            return
        }
        var table = TextTable("USERID", "USERNAME", "NAME", "SURNAME", "ROLE", "STATUS")
        for user in users.arrayValue ?? [] {
            func field(_ key: String) -> String { user[key]?.stringValue ?? "" }
            table.add(
                field("userid"),
                field("username"),
                field("name"),
                field("surname"),
                user["role"]?["name"]?.stringValue ?? "",
                field("users_status") == "1" ? "disabled" : "enabled"
            )
        }
        print(table.rendered())
    }
}

/// `tessera user passwd`: `user.update` with a new password.
struct UserPasswd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "passwd",
        abstract: "Set a user's password.",
        discussion: "The new password comes from one line of standard input with --password-stdin, or else from a prompt on the terminal."
    )

    @OptionGroup var options: OperatorOptions
    @Argument(help: "The user's login name.") var username: String
    @Flag(name: .customLong("password-stdin"), help: "Read the password from the first line of standard input.") var passwordStdin = false

    func validate() throws {
        try PasswordInput.validate(fromStandardInput: passwordStdin)
    }

    func run() async throws {
        let secret = try PasswordInput.read(fromStandardInput: passwordStdin)
        try await CommandSession.run(options) { api in
            let userid = try await api.user(named: username)["userid"] ?? .null
            _ = try await api.call("user.update", ["userid": userid, "passwd": .string(secret)])
        }
        print("Changed the password of \"\(username)\".")
    }
}

/// `tessera user disable`: as in Zabbix, a user is disabled by membership of a user group whose
/// status is disabled (`users_status` 1; the shipped one is "Disabled", id 9). Its sessions end at
/// their next use and its API tokens stop working.
struct UserDisable: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disable",
        abstract: "Disable a user (add it to the \"Disabled\" user group).",
        discussion: "The group used is the disabled user group with the lowest id (the shipped \"Disabled\", id 9)."
    )

    @OptionGroup var options: OperatorOptions
    @Argument(help: "The user's login name.") var username: String

    func run() async throws {
        let message = try await CommandSession.run(options) { api in
            let user = try await api.user(named: username, ["output": ["userid"], "selectUsrgrps": ["usrgrpid", "users_status"]])
            let groups = user["usrgrps"]?.arrayValue ?? []
            if groups.contains(where: { $0["users_status"] == "1" }) { return "User \"\(username)\" is already disabled." }
            let disabled = try await api.call(
                "usergroup.get",
                ["output": ["usrgrpid", "name"], "status": 1, "sortfield": "usrgrpid", "limit": 1]
            )
            guard let group = disabled.arrayValue?.first else {
                throw CommandFailure("there is no disabled user group to put \"\(username)\" in: create one with users_status 1")
            }
            let memberships: [JSON] = (groups + [group]).map { ["usrgrpid": $0["usrgrpid"] ?? .null] }
            _ = try await api.call("user.update", ["userid": user["userid"] ?? .null, "usrgrps": .array(memberships)])
            return "Disabled user \"\(username)\" (added to user group \"\(group["name"]?.stringValue ?? "")\")."
        }
        print(message)
    }
}

/// `tessera user enable`: takes the user out of every disabled user group.
struct UserEnable: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enable",
        abstract: "Enable a user (remove it from every disabled user group).",
        discussion: "A user that was only in disabled groups needs another group: name it with --group."
    )

    @OptionGroup var options: OperatorOptions
    @Argument(help: "The user's login name.") var username: String
    @Option(
        name: .customLong("group"),
        help: ArgumentHelp("Also add the user to this group, by id or name; repeat for several.", valueName: "group")
    )
    var groups: [String] = []

    func run() async throws {
        let message = try await CommandSession.run(options) { api in
            let user = try await api.user(named: username, ["output": ["userid"], "selectUsrgrps": ["usrgrpid", "users_status"]])
            let current = user["usrgrps"]?.arrayValue ?? []
            let kept = current.filter { $0["users_status"] != "1" }.compactMap { $0["usrgrpid"]?.stringValue }
            let added = try await api.groupIDs(groups).filter { !kept.contains($0) }
            if kept.count == current.count { return "User \"\(username)\" is not disabled." }
            guard !(kept + added).isEmpty else {
                throw CommandFailure("\"\(username)\" is only in disabled user groups: name a group to put it in with --group")
            }
            _ = try await api.call(
                "user.update",
                ["userid": user["userid"] ?? .null, "usrgrps": .array((kept + added).map { ["usrgrpid": .string($0)] })]
            )
            return "Enabled user \"\(username)\"."
        }
        print(message)
    }
}
