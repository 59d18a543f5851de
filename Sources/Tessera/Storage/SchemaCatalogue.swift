/// Every table of the current schema (what the last migration leaves) with its columns and their kinds:
/// the one list from which the API's columns (`Table`, without the secret ones) and the database copy
/// (`DatabaseCopy.tables`) derive, and against which a test checks the migrated schema on both engines.
///
/// The DDL itself stays in the migrations (`Schema`) as literal SQL: migrations are history, and what a
/// table looked like at version N must never change with the code of a later version.
enum SchemaCatalogue {
    struct Column: Sendable {
        let name: String
        let kind: ColumnKind
        /// Never printed by the API (`passwd`, the token hash), though copied with the rest.
        let secret: Bool
    }

    struct Entry: Sendable {
        let name: String
        let key: [String]
        let columns: [Column]
        /// False for the rows that mean nothing in another database (the SQLite change log).
        let copied: Bool

        init(_ name: String, key: [String], copied: Bool = true, _ columns: [(String, ColumnKind)], secret: Set<String> = []) {
            self.name = name
            self.key = key
            self.copied = copied
            self.columns = columns.map { Column(name: $0.0, kind: $0.1, secret: secret.contains($0.0)) }
        }

        /// The columns the API reads and prints, in `output: "extend"` order.
        var api: Table {
            Table(name: name, primaryKey: key[0], columns: columns.filter { !$0.secret }.map { ($0.name, $0.kind) })
        }
    }

    static let role = Entry("role", key: ["roleid"], [("roleid", .id), ("name", .text), ("type", .int), ("readonly", .int)])
    static let roleRule = Entry(
        "role_rule",
        key: ["role_ruleid"],
        [("role_ruleid", .id), ("roleid", .id), ("type", .int), ("name", .text), ("value_int", .int), ("value_str", .text)]
    )
    static let userGroup = Entry(
        "usrgrp",
        key: ["usrgrpid"],
        [("usrgrpid", .id), ("name", .text), ("gui_access", .int), ("users_status", .int), ("debug_mode", .int)]
    )
    static let users = Entry(
        "users",
        key: ["userid"],
        [
            ("userid", .id), ("username", .text), ("name", .text), ("surname", .text), ("passwd", .text), ("url", .text),
            ("autologin", .int), ("autologout", .text), ("lang", .text), ("refresh", .text), ("theme", .text),
            ("attempt_failed", .int), ("attempt_ip", .text), ("attempt_clock", .int), ("rows_per_page", .int),
            ("timezone", .text), ("roleid", .id),
        ],
        secret: ["passwd"]
    )
    static let memberships = Entry("users_groups", key: ["id"], [("id", .id), ("usrgrpid", .id), ("userid", .id)])
    static let token = Entry(
        "token",
        key: ["tokenid"],
        [
            ("tokenid", .id), ("name", .text), ("description", .text), ("userid", .id), ("token", .text), ("lastaccess", .int),
            ("status", .int), ("expires_at", .int), ("created_at", .int), ("creator_userid", .id),
        ],
        secret: ["token"]
    )
    static let sessions = Entry(
        "sessions",
        key: ["sessionid"],
        [("sessionid", .text), ("userid", .id), ("lastaccess", .int), ("status", .int), ("created_at", .int)],
        secret: ["sessionid"]
    )
    static let auditlog = Entry(
        "auditlog",
        key: ["auditid"],
        [
            ("auditid", .text), ("userid", .id), ("username", .text), ("clock", .int), ("ip", .text), ("action", .int),
            ("resourcetype", .int), ("resourceid", .id), ("resource_cuid", .text), ("resourcename", .text),
            ("recordsetid", .text), ("details", .text),
        ]
    )
    static let settings = Entry("settings", key: ["name"], [("name", .text), ("value", .text)])
    static let profiles = Entry("profiles", key: ["userid", "idx"], [("userid", .id), ("idx", .text), ("value", .text)])
    static let ids = Entry("ids", key: ["table_name", "field_name"], [("table_name", .text), ("field_name", .text), ("nextid", .id)])
    static let schemaVersion = Entry("schema_version", key: ["version"], [("version", .int), ("applied_at", .int)])
    static let changelog = Entry(
        "changelog",
        key: ["changeid"],
        copied: false,
        [("changeid", .id), ("origin", .text), ("payload", .text)]
    )

    /// Every table, in an order that satisfies the foreign keys.
    static let all = [
        role, roleRule, userGroup, users, memberships, token, sessions, auditlog, settings, profiles, ids, schemaVersion, changelog,
    ]
}
