/// Which tokens to read (`token.get`, the token lists, `tessera token list`); every condition set must hold.
/// The caller's own limits (anyone but a Super admin sees only their own tokens) are added by `TokenService`.
public struct TokenQuery: Sendable {
    public var ids: [TokenID]?
    public var owners: [UserID]?
    public var creators: [UserID]?
    /// A token value: the token whose value this is, if any.
    public var value: String?
    public var status: TokenStatus?
    /// Names that contain this text, in any case.
    public var nameContains: String?
    /// Tokens that work at this time (never expire, or expire after it).
    public var validAt: Int64?
    /// Tokens that have an expiry at or before this time.
    public var expiredAt: Int64?
    public var limit: Int?
    /// The `get` options of the API (filter, search, sorting, count); the fields above are added to them.
    var options = GetOptions()

    public init(
        ids: [TokenID]? = nil,
        owners: [UserID]? = nil,
        creators: [UserID]? = nil,
        value: String? = nil,
        status: TokenStatus? = nil,
        nameContains: String? = nil,
        validAt: Int64? = nil,
        expiredAt: Int64? = nil,
        limit: Int? = nil
    ) {
        self.ids = ids
        self.owners = owners
        self.creators = creators
        self.value = value
        self.status = status
        self.nameContains = nameContains
        self.validAt = validAt
        self.expiredAt = expiredAt
        self.limit = limit
    }

    /// The `get` options with the name search and the limit added.
    var listOptions: GetOptions {
        var options = options
        if let nameContains { options.search = ["name": [.string(nameContains)]] }
        if let limit { options.limit = limit }
        return options
    }
}
