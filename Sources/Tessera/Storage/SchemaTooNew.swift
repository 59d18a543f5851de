/// The database was migrated by a newer Tessera. This build does not know what its migrations did, so
/// every command refuses it (`serve` and `migrate` too) and changes nothing; going back to an older
/// binary means restoring the backup taken before the upgrade.
public struct SchemaTooNew: Error, CustomStringConvertible, Equatable {
    /// The database's schema version.
    public let found: Int
    /// This build's schema version (`Schema.latestVersion`).
    public let supported: Int

    public var description: String {
        "the database is at schema version \(found), newer than this tessera (version \(supported)): use a newer tessera"
    }
}
