/// The field rules of users (users spec §3.1): the API's rule tree reads requests with them, and the
/// user service checks what typed callers (the web UI, the command line) set against the same rules.
extension UserService {
    static let locales = [
        "en_GB", "en_US", "bg_BG", "ca_ES", "zh_CN", "zh_TW", "cs_CZ", "nl_NL", "fi_FI", "fr_FR", "ka_GE", "de_DE", "el_GR",
        "he_IL", "hu_HU", "id_ID", "it_IT", "ko_KR", "ja_JP", "lv_LV", "lt_LT", "nb_NO", "fa_IR", "pl_PL", "pt_BR", "pt_PT",
        "ro_RO", "ru_RU", "sk_SK", "es_ES", "sv_SE", "tr_TR", "uk_UA", "vi_VN",
    ]
    /// The languages Tessera's UI has catalogs for; other known codes are refused as not supported.
    static let supportedLocales: Set<String> = ["default", "en_US", "en_GB", "nl_NL"]
    static let themes = ["default", "blue-theme", "dark-theme", "hc-light", "hc-dark"]

    static let groupsRule = Rule.objects(ObjectRule([.required("usrgrpid", .id())]), notEmpty: true, uniqueBy: ["usrgrpid"])

    static let fieldRules: [ObjectRule.Field] = [
        .optional("username", .string(maxLength: 100, notEmpty: true)),
        .optional("name", .string(maxLength: 100)),
        .optional("surname", .string(maxLength: 100)),
        .optional("passwd", .string(maxLength: 255, notEmpty: true)),
        .optional("url", .url(maxLength: 2048)),
        .optional("autologin", .int32(allowed: .status)),
        .optional("autologout", .timeUnit(allowed: IntSet([0...0, 90...86400]))),
        .optional("lang", .string(oneOf: ["default"] + locales)),
        .optional("refresh", .timeUnit(allowed: .range(0...3600))),
        .optional("theme", .string(oneOf: themes)),
        .optional("rows_per_page", .int32(allowed: .range(1...999999))),
        .optional("timezone", .timezone(special: "default")),
        .optional("roleid", .id()),
        .optional("usrgrps", groupsRule),
        .optional("medias", .any),
        .optional("user_medias", .any),
    ]

    static let createRule: ObjectRule = {
        var fields = fieldRules
        fields[0] = .required("username", .string(maxLength: 100, notEmpty: true))
        fields[12] = .required("roleid", .id())
        fields[13] = .required("usrgrps", groupsRule)
        return ObjectRule(fields)
    }()

    static let updateRule = ObjectRule([.required("userid", .id())] + fieldRules + [.optional("current_passwd", .string(maxLength: 255))])

    /// Changing one's own password (not in Zabbix 6.0.14, which took `passwd` alone): signed in, it needs
    /// the present one; with an API token it is refused, so a leaked token cannot take over the
    /// account. The command line (`.local`: whoever runs it can read the database) needs neither.
    static func checkOwnPasswordChange(_ fields: UserFields, _ account: UserAccount, by me: Principal, item: Int) async throws {
        switch me.credential {
        case .local: return
        case .token: throw APIError.params("Not allowed to change own password when authenticated with an API token.")
        case .session:
            guard let current = fields.currentPassword else { throw APIError.invalid("/\(item)", "the parameter \"current_passwd\" is missing") }
            guard try await Passwords.verify(current, hash: account.passwordHash) else { throw APIError.params("Incorrect current password.") }
        }
    }

    /// Checks typed fields against the rules, with the API's messages for the `item`th user of a call.
    static func check(_ fields: UserFields, _ rule: ObjectRule, item: Int, id: UserID? = nil) throws(APIError) {
        var object = JSONObject()
        if let id { object["userid"] = .string(id.description) }
        fields.json.forEachPair { object[$0] = $1 }
        _ = try Validator.object(.object(object), rule, path: "/\(item)")
    }

    /// Auto-login and auto-logout exclude each other; giving one switches the other off.
    static func applyLoginOptions(_ fields: inout UserFields) throws(APIError) {
        let logout = fields.autologout.flatMap { TimeUnit.seconds($0) }
        switch (fields.autologin, logout) {
        case (true?, let seconds?) where seconds != 0:
            throw APIError.params("Auto-login and auto-logout options cannot be enabled together.")
        case (true?, nil):
            fields.autologout = "0"
            fields.given.append(.autologout)
        case (nil, let seconds?) where seconds != 0:
            fields.autologin = false
            fields.given.append(.autologin)
        default: break
        }
    }
}
