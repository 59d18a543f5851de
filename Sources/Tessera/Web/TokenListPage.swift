import Hummingbird

/// The list of API tokens with its filter, sorting and paging (remembered per user in the profile).
struct TokenListPage: Sendable {
    let pages: TokenPages
    var services: Services { pages.services }
    typealias Variant = TokenPages.Variant

    /// The filter form of the list, sent as a query string: `filter_set` applies it, `filter_rst` resets it.
    struct FilterQuery: Decodable, Sendable {
        var filterSet: String?
        var filterRst: String?
        var filterName: String?
        var filterUserids: [String]?
        var filterExpiresState: String?
        var filterExpiresDays: String?
        var filterCreatorUserids: [String]?
        var filterStatus: String?

        enum CodingKeys: String, CodingKey {
            case filterSet = "filter_set"
            case filterRst = "filter_rst"
            case filterName = "filter_name"
            case filterUserids = "filter_userids"
            case filterExpiresState = "filter_expires_state"
            case filterExpiresDays = "filter_expires_days"
            case filterCreatorUserids = "filter_creator_userids"
            case filterStatus = "filter_status"
        }
    }

    /// The list filter, remembered per user in the profile.
    struct Filter {
        var name = ""
        var userids: [UserID] = []
        var expiresState = false
        var expiresDays = 14
        var creatorids: [UserID] = []
        var status: TokenStatus?

        static let keys = ["filter_name", "filter_userids", "filter_expires_state", "filter_expires_days", "filter_creator_userids", "filter_status"]

        init(_ stored: [String: String], prefix: String) {
            func value(_ key: String) -> String? { stored[prefix + key] }
            func ids(_ key: String) -> [UserID] { value(key).map { $0.split(separator: ",").compactMap { UserID($0) } } ?? [] }
            name = value("filter_name") ?? ""
            userids = ids("filter_userids")
            expiresState = value("filter_expires_state") == "1"
            expiresDays = value("filter_expires_days").flatMap { Int($0) } ?? 14
            creatorids = ids("filter_creator_userids")
            status = value("filter_status").flatMap { Int64($0) }.flatMap { TokenStatus(rawValue: $0) }
        }

        /// Profile values for a submitted filter form; a value the form cannot send is refused.
        static func submitted(_ query: FilterQuery, prefix: String, viewer: Viewer) throws(WebFailure) -> [String: String?] {
            var days = 14
            if let text = query.filterExpiresDays {
                guard let number = Int(text), (0...999).contains(number) else {
                    throw .invalid(viewer.t("field_value_range", "filter_expires_days", "0", "999"))
                }
                days = number
            }
            if let state = query.filterExpiresState, state != "0", state != "1" {
                throw .invalid(viewer.t("field_value_choice", "filter_expires_state", "0, 1"))
            }
            var status: TokenStatus?
            if let text = query.filterStatus, text != "-1" {
                guard let value = Int64(text).flatMap({ TokenStatus(rawValue: $0) }) else {
                    throw .invalid(viewer.t("field_value_choice", "filter_status", "-1, 0, 1"))
                }
                status = value
            }
            return [
                prefix + "filter_name": query.filterName ?? "",
                prefix + "filter_userids": digitsOnly(query.filterUserids).joined(separator: ","),
                prefix + "filter_expires_state": query.filterExpiresState == "1" ? "1" : "0",
                prefix + "filter_expires_days": String(days),
                prefix + "filter_creator_userids": digitsOnly(query.filterCreatorUserids).joined(separator: ","),
                prefix + "filter_status": status.map { String($0.rawValue) } ?? "-1",
                prefix + "page": "1",
            ]
        }

        /// The token query of this filter, as Zabbix's list controller builds it.
        func query(_ variant: Variant, viewer: UserID, now: Int64, limit: Int) -> TokenQuery {
            TokenQuery(
                owners: variant == .own ? [viewer] : (userids.isEmpty ? nil : userids),
                creators: variant == .admin && !creatorids.isEmpty ? creatorids : nil,
                status: status,
                nameContains: name.isEmpty ? nil : name,
                validAt: expiresState ? now : nil,
                expiredAt: expiresState ? now + Int64(expiresDays) * 86400 : nil,
                limit: limit
            )
        }
    }

    /// One row of the table.
    struct Row {
        let tokenid: String
        let name: String
        let user: String
        let expiresAt: String
        let expired: Bool
        let createdAt: String
        let creator: String
        let hasCreator: Bool
        let lastAccess: String
        let enabled: Bool
    }

    /// A chosen user of the filter: the posted id and the name on its chip.
    struct Chip {
        let userid: String
        let label: String
    }

    /// The filter form as stored.
    struct FilterView {
        let name: String
        let expiresState: Bool
        let expiresDays: Int
        let statusAny: Bool
        let statusEnabled: Bool
        let statusDisabled: Bool
        let users: [Chip]
        let creators: [Chip]
    }

    struct View {
        let base: String
        let admin: Bool
        let rows: [Row]
        let zeroSelected: String
        let filter: FilterView
    }

    func show(_ request: Request, _ context: AppRequestContext, _ variant: Variant) async throws -> Response {
        let viewer = try await pages.viewer(request, variant)
        let prefix = variant.profilePrefix
        let call = viewer.context(services, ip: context.clientIP)
        let list = try request.listQuery()
        let changes = try Self.profileChanges(try request.query(FilterQuery.self), list, variant, viewer)
        let stored = try await services.profiles.apply(changes, prefix: prefix, remember: list.remembered, by: call)
        let filter = Filter(stored, prefix: prefix)
        let searchLimit = max(1, viewer.settings.int("search_limit"))
        let tokens = try await services.tokens.tokens(
            filter.query(variant, viewer: viewer.principal.id, now: call.now, limit: searchLimit + 1),
            by: call
        )
        let names =
            variant == .admin
            ? try await services.users.displayNames(
                of: Array(Set(tokens.flatMap { [$0.owner] + ($0.creator.map { [$0] } ?? []) } + filter.userids + filter.creatorids)),
                by: call
            )
            : [:]

        let table = ListTable(
            tokens,
            Self.layout(variant, names: names),
            stored: stored,
            limit: searchLimit,
            perPage: viewer.rowsPerPage,
            viewer: viewer
        )
        let rows = table.shown.map { token in
            let creator = token.creator.flatMap { names[$0] }
            return Row(
                tokenid: token.id.description,
                name: token.name,
                user: names[token.owner] ?? "",
                expiresAt: token.expiry == .never ? viewer.t("never") : viewer.dates.format(token.expiry.unixTime),
                expired: token.expiry.hasPassed(at: call.now),
                createdAt: viewer.dates.format(token.createdAt),
                creator: creator ?? "",
                hasCreator: creator != nil,
                lastAccess: token.lastAccess == 0 ? viewer.t("never") : viewer.dates.format(token.lastAccess),
                enabled: token.status == .enabled
            )
        }
        func chips(_ ids: [UserID]) -> [Chip] { ids.map { Chip(userid: $0.description, label: names[$0] ?? $0.description) } }
        let shown = FilterView(
            name: filter.name,
            expiresState: filter.expiresState,
            expiresDays: filter.expiresDays,
            statusAny: filter.status == nil,
            statusEnabled: filter.status == .enabled,
            statusDisabled: filter.status == .disabled,
            users: chips(filter.userids),
            creators: chips(filter.creatorids)
        )
        let view = View(base: variant.base, admin: variant == .admin, rows: rows, zeroSelected: viewer.t("n_selected", "0"), filter: shown)
        return pages.render("token_list", viewer, variant, table.view, view, flash: WebSession.flash(request))
    }

    /// What a request's query changes in the remembered filter, sorting and page.
    private static func profileChanges(
        _ filter: FilterQuery,
        _ list: ListQuery,
        _ variant: Variant,
        _ viewer: Viewer
    ) throws(WebFailure)
        -> [String: String?]
    {
        let prefix = variant.profilePrefix
        var updates: [String: String?] = filter.filterSet != nil ? try Filter.submitted(filter, prefix: prefix, viewer: viewer) : [:]
        if filter.filterRst != nil {
            for key in Filter.keys { updates[prefix + key] = .some(nil) }
            updates[prefix + "page"] = "1"
        }
        updates.merge(try layout(variant, names: [:]).profileChanges(list, viewer: viewer)) { $1 }
        return updates
    }

    /// The columns and their order (natural, case-insensitive; missing values first), with the owners'
    /// and creators' names for the admin list.
    private static func layout(_ variant: Variant, names: [UserID: String]) -> ListTable<Token>.Layout {
        let columns: [ListTable<Token>.Column] =
            variant == .admin
            ? [
                .sorted("name", by: "name"), .sorted("user", by: "user"), .sorted("expires_at", by: "expires_at"), .plain("created_at"),
                .sorted("created_by_user", by: "creator"), .sorted("last_accessed_at", by: "lastaccess"), .sorted("status", by: "status"),
            ]
            : [
                .sorted("name", by: "name"), .sorted("expires_at", by: "expires_at"), .plain("created_at"),
                .sorted("last_accessed_at", by: "lastaccess"), .sorted("status", by: "status"),
            ]
        return ListTable.Layout(base: variant.base, profilePrefix: variant.profilePrefix, columns: columns, defaultSort: "name") { key, a, b in
            switch key {
            case "expires_at": return a.expiry.unixTime < b.expiry.unixTime
            case "lastaccess": return a.lastAccess < b.lastAccess
            case "status": return a.status.rawValue < b.status.rawValue
            case "user": return ListTable<Token>.naturally(names[a.owner] ?? "", names[b.owner] ?? "")
            case "creator": return ListTable<Token>.naturally(a.creator.flatMap { names[$0] } ?? "", b.creator.flatMap { names[$0] } ?? "")
            default: return ListTable<Token>.naturally(a.name, b.name)
            }
        }
    }
}
