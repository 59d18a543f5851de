/// Why a copy did not happen; nothing was changed.
public enum DatabaseCopyError: Error, CustomStringConvertible, Equatable {
    /// `--from` names no file.
    case sourceMissing(String)
    /// The source file cannot be read as a Tessera database.
    case sourceUnusable(String, String)
    /// The target holds data and `force` was not given.
    case targetNotEmpty(users: Int, tokens: Int)
    /// A database is at another schema version than this build.
    case schemaMismatch(side: String, found: Int, expected: Int)
    /// A database error during a step of the copy; the target's transaction was rolled back.
    case failed(String, String)

    public var description: String {
        switch self {
        case .sourceMissing(let path):
            return "source database \(path) does not exist"
        case .sourceUnusable(let path, let reason):
            return "cannot read source database \(path): \(reason)"
        case .targetNotEmpty(let users, let tokens):
            return "the target database is not empty (\(users) users, \(tokens) API tokens); nothing was changed."
                + " Use --force to replace its data with the source's"
        case .schemaMismatch(let side, let found, let expected) where found < expected:
            return "the \(side) database is at schema version \(found), this tessera writes version \(expected):"
                + " run `tessera migrate` on it to upgrade it, then copy"
        case .schemaMismatch(let side, let found, let expected):
            return "the \(side) database is at schema version \(found), newer than this tessera (version \(expected)): use a newer tessera"
        case .failed(let step, let reason):
            return "copy failed while \(step): \(reason); the target database was not changed"
        }
    }
}
