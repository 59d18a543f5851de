import ArgumentParser
import Tessera

/// `tessera user`: users, through the user service that `user.*` of the API and the web UI use (same
/// rules, messages and audit records).
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Create and list users, set their passwords, disable and enable them.",
        subcommands: [UserCreate.self, UserList.self, UserPasswd.self, UserDisable.self, UserEnable.self]
    )
}

/// `tessera user create`.
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
        try await CommandSession.run(options) { services, caller in
            let lookups = Lookups(services: services, caller: caller)
            var user = UserFields(
                username: username,
                name: name,
                surname: surname,
                password: secret,
                role: try await lookups.roleID(role),
                groups: try await lookups.groupIDs(groups),
                given: [.username, .passwd, .roleid, .usrgrps]
            )
            if name != nil { user.given.append(.name) }
            if surname != nil { user.given.append(.surname) }
            let userid = try await services.users.create([user], by: caller).first?.description ?? "?"
            print("Created user \"\(username)\" with userid \(userid).")
        }
    }
}

/// `tessera user list`: the users with their role and status.
struct UserList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the users the acting user can see.",
        discussion: "--json prints what user.get returns for these fields, with role, usrgrps and the group flags (users_status 1: disabled)."
    )

    @OptionGroup var options: OperatorOptions
    @Flag(help: "Print JSON for scripts instead of a table.") var json = false

    func run() async throws {
        let users = try await CommandSession.run(options) { services, caller in
            try await services.users.records(UserFilter(order: .userid), by: caller)
        }
        if json {
            print(JSON.array(users.map(\.apiObject)).encoded())
            return
        }
        var table = TextTable("USERID", "USERNAME", "NAME", "SURNAME", "ROLE", "STATUS")
        for user in users {
            table.add(
                user.id.description,
                user.names.username,
                user.names.name,
                user.names.surname,
                user.roleName ?? "",
                user.isDisabled ? "disabled" : "enabled"
            )
        }
        print(table.rendered())
    }
}

/// `tessera user passwd`: a new password (the password policy applies).
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
        try await CommandSession.run(options) { services, caller in
            let id = try await services.users.userID(named: username, by: caller)
            try await services.users.update([(id, UserFields(password: secret, given: [.passwd]))], by: caller)
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
        let message = try await CommandSession.run(options) { services, caller in
            let user = try await Lookups(services: services, caller: caller).user(named: username)
            if user.groups.contains(where: \.disablesMembers) { return "User \"\(username)\" is already disabled." }
            let disabled = try await services.userGroups.groups(UserGroupQuery(status: .disabled), by: caller).first?.group
            guard let group = disabled else {
                throw CommandFailure("there is no disabled user group to put \"\(username)\" in: create one with users_status 1")
            }
            let groups = user.groups.map(\.id) + [group.id]
            try await services.users.update([(user.id, UserFields(groups: groups, given: [.usrgrps]))], by: caller)
            return "Disabled user \"\(username)\" (added to user group \"\(group.name)\")."
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
        let message = try await CommandSession.run(options) { services, caller in
            let lookups = Lookups(services: services, caller: caller)
            let user = try await lookups.user(named: username)
            let kept = user.groups.filter { !$0.disablesMembers }.map(\.id)
            let added = try await lookups.groupIDs(groups).filter { !kept.contains($0) }
            if kept.count == user.groups.count { return "User \"\(username)\" is not disabled." }
            guard !(kept + added).isEmpty else {
                throw CommandFailure("\"\(username)\" is only in disabled user groups: name a group to put it in with --group")
            }
            try await services.users.update([(user.id, UserFields(groups: kept + added, given: [.usrgrps]))], by: caller)
            return "Enabled user \"\(username)\"."
        }
        print(message)
    }
}
