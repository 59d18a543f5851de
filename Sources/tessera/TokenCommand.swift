import ArgumentParser
import Foundation
import Tessera

/// `tessera token`: API tokens, through `token.*` of the API (same rules, messages and audit records).
/// A token's value is printed only by `create` and `regenerate`, once; only its hash is stored.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Create, list, enable, disable, regenerate and delete API tokens.",
        subcommands: [TokenCreate.self, TokenList.self, TokenEnable.self, TokenDisable.self, TokenRegenerate.self, TokenDelete.self])
}

/// `tessera token create`: `token.create`, then `token.generate` for its value (two API calls, as in
/// the web UI: should the second fail, the token exists without a value until `regenerate`).
struct TokenCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create an API token and print its value (shown only this once).",
        discussion: """
            Prints only the value, so that TOKEN=$(tessera token create --name ci) works; --json prints {"tokenid": …, "token": …}. \
            Times are local unless they end in Z or an offset.
            """)

    @OptionGroup var options: OperatorOptions
    @Option(help: "The token's name (unique per owner).") var name: String
    @Option(help: ArgumentHelp("The owner, by login name (default: the acting user).", valueName: "username")) var user: String?
    @Option(help: "A description.") var description: String?
    @Option(
        help: ArgumentHelp("When it stops working: never (default), unix seconds, or e.g. 2025-12-31 or 2025-12-31T18:00:00Z.", valueName: "time"),
        transform: LocalTime.expiry)
    var expires: Int64?
    @Flag(help: "Create it disabled.") var disabled = false
    @Flag(help: "Print JSON for scripts.") var json = false

    func run() async throws {
        let generated = try await CommandSession.run(options) { api in
            var token: JSONObject = ["name": .string(name)]
            if let description { token["description"] = .string(description) }
            if let user { token["userid"] = try await api.user(named: user)["userid"] }
            if disabled { token["status"] = 1 }
            if let expires, expires != 0 { token["expires_at"] = .int(expires) }
            let tokenid = try await api.call("token.create", .object(token))["tokenids"]?.arrayValue?.first ?? .null
            return try await api.call("token.generate", [tokenid]).arrayValue?.first ?? .null
        }
        print(json ? generated.encoded() : generated["token"]?.stringValue ?? "")
    }
}

/// `tessera token list`: `token.get` with the owners' names.
struct TokenList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the API tokens the acting user can see (a Super admin: everyone's).",
        discussion: "Times are local. --json prints what token.get returns (output extend).")

    @OptionGroup var options: OperatorOptions
    @Option(help: ArgumentHelp("Only this owner's tokens, by login name.", valueName: "username")) var user: String?
    @Option(help: ArgumentHelp("Only tokens whose name contains this text (any case).", valueName: "text")) var name: String?
    @Flag(help: "Print JSON for scripts instead of a table.") var json = false

    func run() async throws {
        let (tokens, owners) = try await CommandSession.run(options) { api -> (JSON, [String: String]) in
            var query: JSONObject = ["output": "extend", "sortfield": "tokenid"]
            if let user { query["userids"] = try await api.user(named: user)["userid"] }
            if let name { query["search"] = ["name": .string(name)] }
            let tokens = try await api.call("token.get", .object(query))
            let userids = Set((tokens.arrayValue ?? []).compactMap { $0["userid"]?.stringValue })
            var owners: [String: String] = [:]
            guard !userids.isEmpty else { return (tokens, owners) }
            let users = try await api.call("user.get", ["output": ["userid", "username"], "userids": .array(userids.map { .string($0) })])
            for user in users.arrayValue ?? [] { owners[user["userid"]?.stringValue ?? ""] = user["username"]?.stringValue }
            return (tokens, owners)
        }
        if json {
            print(tokens.encoded())
            return
        }
        let now = Int64(Date().timeIntervalSince1970)
        var table = TextTable("TOKENID", "NAME", "OWNER", "STATUS", "EXPIRES", "LAST USED", "CREATED")
        for token in tokens.arrayValue ?? [] {
            func time(_ key: String) -> Int64 { Int64(token[key]?.stringValue ?? "") ?? 0 }
            let userid = token["userid"]?.stringValue ?? ""
            let expires = time("expires_at")
            table.add(
                token["tokenid"]?.stringValue ?? "", token["name"]?.stringValue ?? "", owners[userid] ?? "userid \(userid)",
                token["status"] == "1" ? "disabled" : "enabled",
                expires == 0 ? "never" : LocalTime.text(expires) + (expires < now ? " (expired)" : ""),
                time("lastaccess") == 0 ? "never" : LocalTime.text(time("lastaccess")), LocalTime.text(time("created_at")))
        }
        print(table.rendered())
    }
}

/// The token ids that `enable`, `disable` and `delete` take; checked by the token service.
struct TokenIDs: ParsableArguments {
    @Argument(help: ArgumentHelp("One or more token ids (see `tessera token list`).", valueName: "tokenid")) var tokenids: [String]

    /// `token 3` or `tokens 3, 4`.
    var described: String { (tokenids.count == 1 ? "token " : "tokens ") + tokenids.joined(separator: ", ") }

    /// `token.update` with `status` (0 enabled, 1 disabled) for every id.
    func setStatus(_ status: Int, _ options: OperatorOptions) async throws {
        try await CommandSession.run(options) { api in
            _ = try await api.call("token.update", .array(tokenids.map { ["tokenid": .string($0), "status": .int(status)] }))
        }
    }
}

/// `tessera token enable`: `token.update` with status 0.
struct TokenEnable: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "enable", abstract: "Enable API tokens.")

    @OptionGroup var options: OperatorOptions
    @OptionGroup var ids: TokenIDs

    func run() async throws {
        try await ids.setStatus(0, options)
        print("Enabled \(ids.described).")
    }
}

/// `tessera token disable`: `token.update` with status 1; the tokens stop working at once.
struct TokenDisable: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "disable", abstract: "Disable API tokens.")

    @OptionGroup var options: OperatorOptions
    @OptionGroup var ids: TokenIDs

    func run() async throws {
        try await ids.setStatus(1, options)
        print("Disabled \(ids.described).")
    }
}

/// `tessera token regenerate`: `token.generate`; the old value stops working.
struct TokenRegenerate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "regenerate", abstract: "Give an API token a new value and print it (shown only this once); the old value stops working.")

    @OptionGroup var options: OperatorOptions
    @Argument(help: "The token's id.") var tokenid: String
    @Flag(help: "Print JSON for scripts ({\"tokenid\": …, \"token\": …}).") var json = false

    func run() async throws {
        let generated = try await CommandSession.run(options) { api in
            try await api.call("token.generate", [.string(tokenid)]).arrayValue?.first ?? .null
        }
        print(json ? generated.encoded() : generated["token"]?.stringValue ?? "")
    }
}

/// `tessera token delete`: `token.delete`.
struct TokenDelete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete API tokens.")

    @OptionGroup var options: OperatorOptions
    @OptionGroup var ids: TokenIDs

    func run() async throws {
        try await CommandSession.run(options) { api in
            _ = try await api.call("token.delete", .array(ids.tokenids.map { .string($0) }))
        }
        print("Deleted \(ids.described).")
    }
}
