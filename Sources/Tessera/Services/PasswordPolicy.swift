/// The password policy of `authentication` settings (users spec §3.5), checked on every password
/// set through the API or the UI (not on the first-start Admin password).
struct PasswordPolicy {
    let minLength: Int
    /// Bits: 1 upper and lower case, 2 digits, 4 special characters, 8 no names and no common passwords.
    let rules: Int

    init(_ settings: Settings) {
        minLength = settings.int("passwd_min_length")
        rules = settings.int("passwd_check_rules")
    }

    static let specials = Set(" !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")

    /// A short list of the most common passwords (Zabbix ships a million; these are the ones its
    /// tests and users most often hit).
    static let common: Set<String> = [
        "zabbix", "Zabbix", "zabbix123", "password", "password123", "Admin", "admin", "12345678", "abcdefgh",
        "123456789", "1234567890", "qwertyui", "qwerty123", "iloveyou", "11111111", "00000000", "Password",
        "Password1", "password1", "administrator", "Administrator", "letmein1", "welcome1", "Welcome1", "changeme",
        "passw0rd", "Passw0rd", "P@ssw0rd", "P@ssword", "qwertyuiop", "1q2w3e4r", "1qaz2wsx", "sunshine", "princess",
        "football", "baseball", "superman", "trustno1", "abc12345", "12341234", "87654321", "asdfghjk",
    ]

    /// The reason a password is refused, or nil when it is acceptable.
    func violation(_ password: String, username: String, name: String, surname: String) -> String? {
        if password.unicodeScalars.count < minLength { return "must be at least \(minLength) characters long" }
        if rules & 1 != 0, !(password.contains { $0.isASCII && $0.isLowercase } && password.contains { $0.isASCII && $0.isUppercase }) {
            return "must contain at least one lowercase and one uppercase Latin letter"
        }
        if rules & 2 != 0, !password.contains(where: { $0.isASCII && $0.isNumber }) { return "must contain at least one digit" }
        if rules & 4 != 0, !password.contains(where: { Self.specials.contains($0) }) { return "must contain at least one special character" }
        if rules & 8 != 0 {
            let lowered = password.lowercased()
            if [username, name, surname].contains(where: { !$0.isEmpty && lowered.contains($0.lowercased()) }) {
                return "must not contain user's name, surname or username"
            }
            if Self.common.contains(password) { return "must not be one of common or context-specific passwords" }
        }
        return nil
    }
}
