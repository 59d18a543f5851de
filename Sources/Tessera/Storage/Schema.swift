import SQLKit

/// Versioned migrations, the same SQL on SQLite and PostgreSQL. Tables and columns follow Zabbix's
/// schema so that data and behaviour carry over one to one.
public enum Schema {
    struct Migration {
        let version: Int
        let statements: [String]
    }

    static let migrations: [Migration] = [
        Migration(version: 1, statements: tables),
        Migration(version: 2, statements: DefaultData.statements),
        Migration(
            version: 3,
            statements: [
                """
                CREATE TABLE profiles (
                    userid bigint NOT NULL REFERENCES users (userid) ON DELETE CASCADE,
                    idx varchar(96) NOT NULL,
                    value varchar(2048) DEFAULT '' NOT NULL,
                    PRIMARY KEY (userid, idx)
                )
                """
            ]
        ),
        // Changes that alter token verdicts, for other processes on the same SQLite file (the CLI):
        // see `ChangeFeed`. PostgreSQL announces them with NOTIFY instead and leaves this table empty.
        Migration(
            version: 4,
            statements: [
                """
                CREATE TABLE changelog (
                    changeid bigint NOT NULL PRIMARY KEY,
                    origin varchar(36) NOT NULL,
                    payload text NOT NULL
                )
                """
            ]
        ),
        // Sessions are keyed by a hash of their id from now on (`Secrets.sessionKey`): the ones
        // stored under their plain id cannot be found any more.
        Migration(version: 5, statements: ["DELETE FROM sessions"]),
        // When each session began, for the absolute session lifetime (Tessera's own column). Sessions
        // open at the upgrade count from their last use.
        Migration(
            version: 6,
            statements: [
                "ALTER TABLE sessions ADD COLUMN created_at integer DEFAULT '0' NOT NULL",
                "UPDATE sessions SET created_at = lastaccess",
            ]
        ),
    ]

    static let tables = [
        """
        CREATE TABLE ids (
            table_name varchar(64) NOT NULL,
            field_name varchar(64) NOT NULL,
            nextid bigint NOT NULL,
            PRIMARY KEY (table_name, field_name)
        )
        """,
        """
        CREATE TABLE role (
            roleid bigint NOT NULL PRIMARY KEY,
            name varchar(255) DEFAULT '' NOT NULL,
            type integer DEFAULT '0' NOT NULL,
            readonly integer DEFAULT '0' NOT NULL
        )
        """,
        "CREATE UNIQUE INDEX role_1 ON role (name)",
        """
        CREATE TABLE role_rule (
            role_ruleid bigint NOT NULL PRIMARY KEY,
            roleid bigint NOT NULL REFERENCES role (roleid) ON DELETE CASCADE,
            type integer DEFAULT '0' NOT NULL,
            name varchar(255) DEFAULT '' NOT NULL,
            value_int integer DEFAULT '0' NOT NULL,
            value_str varchar(255) DEFAULT '' NOT NULL
        )
        """,
        "CREATE INDEX role_rule_1 ON role_rule (roleid)",
        """
        CREATE TABLE users (
            userid bigint NOT NULL PRIMARY KEY,
            username varchar(100) DEFAULT '' NOT NULL,
            name varchar(100) DEFAULT '' NOT NULL,
            surname varchar(100) DEFAULT '' NOT NULL,
            passwd varchar(60) DEFAULT '' NOT NULL,
            url varchar(2048) DEFAULT '' NOT NULL,
            autologin integer DEFAULT '0' NOT NULL,
            autologout varchar(32) DEFAULT '15m' NOT NULL,
            lang varchar(7) DEFAULT 'default' NOT NULL,
            refresh varchar(32) DEFAULT '30s' NOT NULL,
            theme varchar(128) DEFAULT 'default' NOT NULL,
            attempt_failed integer DEFAULT 0 NOT NULL,
            attempt_ip varchar(39) DEFAULT '' NOT NULL,
            attempt_clock integer DEFAULT 0 NOT NULL,
            rows_per_page integer DEFAULT 50 NOT NULL,
            timezone varchar(50) DEFAULT 'default' NOT NULL,
            roleid bigint NOT NULL REFERENCES role (roleid) ON DELETE CASCADE
        )
        """,
        "CREATE UNIQUE INDEX users_1 ON users (username)",
        """
        CREATE TABLE usrgrp (
            usrgrpid bigint NOT NULL PRIMARY KEY,
            name varchar(64) DEFAULT '' NOT NULL,
            gui_access integer DEFAULT '0' NOT NULL,
            users_status integer DEFAULT '0' NOT NULL,
            debug_mode integer DEFAULT '0' NOT NULL
        )
        """,
        "CREATE UNIQUE INDEX usrgrp_1 ON usrgrp (name)",
        """
        CREATE TABLE users_groups (
            id bigint NOT NULL PRIMARY KEY,
            usrgrpid bigint NOT NULL REFERENCES usrgrp (usrgrpid) ON DELETE CASCADE,
            userid bigint NOT NULL REFERENCES users (userid) ON DELETE CASCADE
        )
        """,
        "CREATE UNIQUE INDEX users_groups_1 ON users_groups (usrgrpid, userid)",
        "CREATE INDEX users_groups_2 ON users_groups (userid)",
        """
        CREATE TABLE sessions (
            sessionid varchar(32) DEFAULT '' NOT NULL PRIMARY KEY,
            userid bigint NOT NULL REFERENCES users (userid) ON DELETE CASCADE,
            lastaccess integer DEFAULT '0' NOT NULL,
            status integer DEFAULT '0' NOT NULL
        )
        """,
        "CREATE INDEX sessions_1 ON sessions (userid, status, lastaccess)",
        """
        CREATE TABLE token (
            tokenid bigint NOT NULL PRIMARY KEY,
            name varchar(64) DEFAULT '' NOT NULL,
            description text DEFAULT '' NOT NULL,
            userid bigint NOT NULL REFERENCES users (userid) ON DELETE CASCADE,
            token varchar(128) NULL,
            lastaccess integer DEFAULT '0' NOT NULL,
            status integer DEFAULT '0' NOT NULL,
            expires_at integer DEFAULT '0' NOT NULL,
            created_at integer DEFAULT '0' NOT NULL,
            creator_userid bigint NULL REFERENCES users (userid)
        )
        """,
        "CREATE INDEX token_1 ON token (name)",
        "CREATE UNIQUE INDEX token_2 ON token (userid, name)",
        "CREATE UNIQUE INDEX token_3 ON token (token)",
        "CREATE INDEX token_4 ON token (creator_userid)",
        """
        CREATE TABLE auditlog (
            auditid varchar(25) NOT NULL PRIMARY KEY,
            userid bigint NULL,
            username varchar(100) DEFAULT '' NOT NULL,
            clock integer DEFAULT '0' NOT NULL,
            ip varchar(39) DEFAULT '' NOT NULL,
            action integer DEFAULT '0' NOT NULL,
            resourcetype integer DEFAULT '0' NOT NULL,
            resourceid bigint NULL,
            resource_cuid varchar(25) NULL,
            resourcename varchar(255) DEFAULT '' NOT NULL,
            recordsetid varchar(25) NOT NULL,
            details text DEFAULT '' NOT NULL
        )
        """,
        "CREATE INDEX auditlog_1 ON auditlog (userid, clock)",
        "CREATE INDEX auditlog_2 ON auditlog (clock)",
        "CREATE INDEX auditlog_3 ON auditlog (resourcetype, resourceid)",
        """
        CREATE TABLE settings (
            name varchar(64) NOT NULL PRIMARY KEY,
            value varchar(2048) DEFAULT '' NOT NULL
        )
        """,
    ]

    /// Applies the migrations that are missing; returns true when the database was new. Refuses a
    /// database of a newer build (`SchemaTooNew`) without changing it.
    /// On PostgreSQL an advisory lock makes concurrent starters wait for the first one.
    static func migrate(_ database: any Database) async throws -> Bool {
        try await database.transaction { db in
            if database.engine == .postgres {
                try await db.raw("SELECT pg_advisory_xact_lock(7346723)").run()
            }
            try await db.raw(
                "CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL PRIMARY KEY, applied_at integer NOT NULL)"
            ).run()
            let current = try await version(db)
            if current > latestVersion { throw SchemaTooNew(found: current, supported: latestVersion) }
            for migration in migrations where migration.version > current {
                for statement in migration.statements {
                    try await db.raw(SQLQueryString(statement)).run()
                }
                try await db.raw(
                    "INSERT INTO schema_version (version, applied_at) VALUES (\(bind: migration.version), \(bind: UnixTime.now()))"
                ).run()
            }
            return current == 0
        }
    }

    /// The version this build migrates to (its last migration).
    public static var latestVersion: Int { migrations.map(\.version).max() ?? 0 }

    /// The last migration applied to a Tessera database (its `schema_version` table must exist).
    static func version(_ db: any SQLDatabase) async throws -> Int {
        try await db.raw("SELECT COALESCE(MAX(version), 0) AS v FROM schema_version").first()?.decode(column: "v", as: Int.self) ?? 0
    }

    /// Refuses a database that this build cannot use without migrating it, and changes nothing.
    static func requireCurrent(_ database: any Database) async throws {
        let found = try await database.read { db in
            let tables: SQLQueryString =
                database.engine == .postgres
                ? "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'schema_version'"
                : "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
            guard try await db.raw(tables).first()?.decode(column: "n", as: Int.self) ?? 0 > 0 else { return 0 }
            return try await version(db)
        }
        if found == 0 { throw ConfigurationError("the database has no Tessera schema: create it with `tessera migrate`") }
        if found < latestVersion {
            throw ConfigurationError("the database is at schema version \(found), this tessera needs version \(latestVersion): run `tessera migrate`")
        }
        if found > latestVersion { throw SchemaTooNew(found: found, supported: latestVersion) }
    }
}
