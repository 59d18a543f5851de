/// What a caller may do, asked by the API's role gate, the services, the web UI's pages and menu, and
/// the command line alike (users spec §0.1 and §5, token spec §2.1): every such rule is written here once.
struct Permissions: Sendable {
    let principal: Principal

    init(_ principal: Principal) { self.principal = principal }

    private var rules: RoleRules { principal.rules }

    /// The user named `guest` may not change tokens, whatever its role says (checked before anything else).
    var mayChangeTokens: Bool { !principal.isGuest }

    /// The role's *Manage API tokens* action.
    var mayManageTokens: Bool { rules.allows(action: "manage_api_tokens") }

    /// Every user's tokens are visible and changeable to a Super admin; anyone else has only their own.
    var seesEveryonesTokens: Bool { principal.isSuperAdmin }

    /// The owner the caller's token reads and changes are limited to: nil for none. `onlyOwn` (User
    /// settings → API tokens) limits a Super admin to their own tokens too.
    func tokenOwnerLimit(onlyOwn: Bool = false) -> UserID? {
        onlyOwn || !seesEveryonesTokens ? principal.id : nil
    }

    /// Whether the caller may give a token to `owner` (someone else's: a Super admin only).
    func mayCreateToken(for owner: UserID) -> Bool { owner == principal.id || principal.isSuperAdmin }

    /// Users, user groups and roles are created, deleted and (groups and roles) changed by Super admins
    /// only; anyone else is refused as the API's role gate refuses them, naming the method.
    func requireSuperAdmin(for method: String) throws(APIError) {
        guard principal.isSuperAdmin else { throw APIError.params("No permissions to call \"\(method)\".") }
    }

    // MARK: - Web UI

    /// User settings → API tokens.
    var mayUseOwnTokenPages: Bool { mayChangeTokens && mayManageTokens }
    /// Users → API tokens: Super admins whose role has the token action and the General UI element.
    var mayAdministerTokens: Bool { mayUseOwnTokenPages && principal.isSuperAdmin && rules.allows(ui: "administration.general") }
    var mayAdministerUsers: Bool { principal.isSuperAdmin && rules.allows(ui: "administration.users") }
    var mayAdministerRoles: Bool { principal.isSuperAdmin && rules.allows(ui: "administration.user_roles") }
    var mayAdministerGroups: Bool { principal.isSuperAdmin && rules.allows(ui: "administration.user_groups") }
    var mayAdministerGeneral: Bool { principal.isSuperAdmin && rules.allows(ui: "administration.general") }
    var mayAdministerAuthentication: Bool { principal.isSuperAdmin && rules.allows(ui: "administration.authentication") }

    // MARK: - API

    /// The role gate of an authenticated API method (users spec §0.1): user type, `api.access`, the
    /// method's action rule when it has one, and the role's API method list.
    func mayCall(service: String, method: String, minType: UserType, action: String?) -> Bool {
        principal.type >= minType && rules.apiAccess && (action.map { rules.allows(action: $0) } ?? true)
            && rules.allows(api: service, method: method)
    }
}
