import ArgumentParser
import Foundation
import Tessera

/// `tessera token`: API tokens, through the token service that `token.*` of the API and the web UI use
/// (same rules, messages and audit records).
/// A token's value is printed only by `create` and `regenerate`, once; only its hash is stored.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Create, list, enable, disable, regenerate and delete API tokens.",
        subcommands: [TokenCreate.self, TokenList.self, TokenEnable.self, TokenDisable.self, TokenRegenerate.self, TokenDelete.self]
    )
}

/// `tessera token create`: a new token and its value, in one transaction (as the web UI makes them).
struct TokenCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create an API token and print its value (shown only this once).",
        discussion: """
            Prints only the value, so that TOKEN=$(tessera token create --name ci) works; --json prints {"tokenid": …, "token": …}. \
            Times are local unless they end in Z or an offset.
            """
    )

    @OptionGroup var options: OperatorOptions
    @Option(help: "The token's name (unique per owner).") var name: String
    @Option(help: ArgumentHelp("The owner, by login name (default: the acting user).", valueName: "username")) var user: String?
    @Option(help: "A description.") var description: String?
    @Option(
        help: ArgumentHelp("When it stops working: never (default), unix seconds, or e.g. 2025-12-31 or 2025-12-31T18:00:00Z.", valueName: "time"),
        transform: LocalTime.expiry
    )
    var expires: Int64?
    @Flag(help: "Create it disabled.") var disabled = false
    @Flag(help: "Print JSON for scripts.") var json = false

    func run() async throws {
        let generated = try await CommandSession.run(options) { services, caller in
            var draft = TokenDraft(name: name, description: description ?? "", given: [.name])
            if description != nil { draft.given.append(.description) }
            if let user {
                draft.owner = try await services.users.userID(named: user, by: caller)
                draft.given.append(.userid)
            }
            if disabled {
                draft.status = .disabled
                draft.given.append(.status)
            }
            if let expires, expires != 0 {
                draft.expiry = .at(expires)
                draft.given.append(.expiresAt)
            }
            return try await services.tokens.createWithValue(draft, by: caller)
        }
        print(json ? generated.json : generated.value)
    }
}

/// `tessera token list`: the tokens with their owners' names.
struct TokenList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the API tokens the acting user can see (a Super admin: everyone's).",
        discussion: "Times are local. --json prints what token.get returns (output extend)."
    )

    @OptionGroup var options: OperatorOptions
    @Option(help: ArgumentHelp("Only this owner's tokens, by login name.", valueName: "username")) var user: String?
    @Option(help: ArgumentHelp("Only tokens whose name contains this text (any case).", valueName: "text")) var name: String?
    @Flag(help: "Print JSON for scripts instead of a table.") var json = false

    func run() async throws {
        let (tokens, owners) = try await CommandSession.run(options) { services, caller in
            var query = TokenQuery(nameContains: name)
            if let user { query.owners = [try await services.users.userID(named: user, by: caller)] }
            let tokens = try await services.tokens.tokens(query, by: caller)
            return (tokens, try await services.users.names(of: Array(Set(tokens.map(\.owner))), by: caller))
        }
        if json {
            print(JSON.array(tokens.map(\.apiObject)).encoded())
            return
        }
        let now = Int64(Date().timeIntervalSince1970)
        var table = TextTable("TOKENID", "NAME", "OWNER", "STATUS", "EXPIRES", "LAST USED", "CREATED")
        for token in tokens {
            let expires = token.expiry.unixTime
            table.add(
                token.id.description,
                token.name,
                owners[token.owner]?.username ?? "userid \(token.owner)",
                token.status == .disabled ? "disabled" : "enabled",
                token.expiry == .never ? "never" : LocalTime.text(expires) + (token.expiry.hasPassed(at: now) ? " (expired)" : ""),
                token.lastAccess == 0 ? "never" : LocalTime.text(token.lastAccess),
                LocalTime.text(token.createdAt)
            )
        }
        print(table.rendered())
    }
}

/// The token ids that `enable`, `disable` and `delete` take; checked by the token service.
struct TokenIDs: ParsableArguments {
    @Argument(help: ArgumentHelp("One or more token ids (see `tessera token list`).", valueName: "tokenid")) var tokenids: [String]

    /// `token 3` or `tokens 3, 4`.
    var described: String { (tokenids.count == 1 ? "token " : "tokens ") + tokenids.joined(separator: ", ") }

    /// The ids, refused as the API refuses them (`Invalid parameter "/2": a number is expected.`).
    func ids() throws -> [TokenID] {
        try tokenids.enumerated().map { try Self.id($0.element, position: $0.offset + 1) }
    }

    static func id(_ text: String, position: Int) throws -> TokenID {
        TokenID(try Validator.id(.string(text), path: "/\(position)")) ?? TokenID(0)
    }

    func setStatus(_ status: TokenStatus, _ options: OperatorOptions) async throws {
        try await CommandSession.run(options) { services, caller in try await services.tokens.setStatus(status, of: try ids(), by: caller) }
    }
}

/// `tessera token enable`.
struct TokenEnable: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "enable", abstract: "Enable API tokens.")

    @OptionGroup var options: OperatorOptions
    @OptionGroup var ids: TokenIDs

    func run() async throws {
        try await ids.setStatus(.enabled, options)
        print("Enabled \(ids.described).")
    }
}

/// `tessera token disable`: the tokens stop working at once.
struct TokenDisable: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "disable", abstract: "Disable API tokens.")

    @OptionGroup var options: OperatorOptions
    @OptionGroup var ids: TokenIDs

    func run() async throws {
        try await ids.setStatus(.disabled, options)
        print("Disabled \(ids.described).")
    }
}

/// `tessera token regenerate`: a new value; the old value stops working.
struct TokenRegenerate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "regenerate",
        abstract: "Give an API token a new value and print it (shown only this once); the old value stops working."
    )

    @OptionGroup var options: OperatorOptions
    @Argument(help: "The token's id.") var tokenid: String
    @Flag(help: "Print JSON for scripts ({\"tokenid\": …, \"token\": …}).") var json = false

    func run() async throws {
        let generated = try await CommandSession.run(options) { services, caller in
            try await services.tokens.generate(try TokenIDs.id(tokenid, position: 1), by: caller)
        }
        print(json ? generated.json : generated.value)
    }
}

/// `tessera token delete`.
struct TokenDelete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete API tokens.")

    @OptionGroup var options: OperatorOptions
    @OptionGroup var ids: TokenIDs

    func run() async throws {
        try await CommandSession.run(options) { services, caller in try await services.tokens.delete(try ids.ids(), by: caller) }
        print("Deleted \(ids.described).")
    }
}

extension GeneratedToken {
    /// `{"tokenid": …, "token": …}` for scripts.
    var json: String { JSON.object(["tokenid": .string(id.description), "token": .string(value)]).encoded() }
}
