import Foundation
import Logging
import SQLKit

/// First start: migrations, then passwords for the shipped users (never shipped in the data itself).
enum Bootstrap {
    /// Migrates; on a new database sets Admin's password (given, or random and printed once) and guest's empty one.
    static func run(_ database: any Database, adminPassword: String?, logger: Logger) async throws {
        let isNew = try await Schema.migrate(database)
        guard isNew else { return }
        let password = adminPassword ?? Secrets.randomPassword()
        try await setPasswords(database, adminHash: try await Passwords.hash(password), guestHash: try await Passwords.hash(""))
        if adminPassword == nil {
            // Written at once: standard output to a file or a journal is buffered until exit otherwise.
            FileHandle.standardOutput.write(
                Data(
                    """

                      Tessera: first start. The password of user "Admin" is:

                          \(password)

                      It is shown only this once; change it under User settings → Profile.


                    """.utf8
                )
            )
        } else {
            logger.notice("first start: Admin password set from configuration")
        }
    }

    /// Stores the shipped users' password hashes (tests reuse hashes made once instead of a bcrypt each).
    static func setPasswords(_ database: any Database, adminHash: String, guestHash: String) async throws {
        try await database.transaction { db in
            try await db.raw("UPDATE users SET passwd = \(bind: adminHash) WHERE userid = 1").run()
            try await db.raw("UPDATE users SET passwd = \(bind: guestHash) WHERE userid = 2").run()
        }
    }
}

extension Secrets {
    /// A password for a first start: 20 characters of letters and digits, about 119 bits.
    static func randomPassword() -> String {
        let alphabet = Array("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<20).map { _ in alphabet.randomElement(using: &generator)! })
    }
}
