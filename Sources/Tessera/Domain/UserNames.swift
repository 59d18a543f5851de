/// How a user is named: login name, first name and surname.
public struct UserNames: Sendable, Equatable {
    public let username: String
    public let name: String
    public let surname: String

    /// `username (name surname)`, as lists and pickers show users.
    public var fullName: String { UserAccount.fullName(username, name, surname) }
}
