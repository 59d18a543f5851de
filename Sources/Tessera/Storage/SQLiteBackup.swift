import Foundation
import Logging
import SQLKit

/// `tessera backup`: a consistent copy of the embedded SQLite database, taken while servers may be using it.
///
/// `VACUUM INTO` on a read-only connection writes one snapshot of the database (in WAL mode the
/// servers' writes go on meanwhile and are simply not in it) into a temporary file next to the target,
/// which is then renamed into place: a target is never seen half written, and a failed backup leaves
/// no file behind. The copy is a plain SQLite file; a server started on it (as `tessera.sqlite` of a
/// data folder) finds everything, token hashes and password hashes included.
public enum SQLiteBackup {
    /// What a backup wrote.
    public struct Summary: Sendable {
        public let bytes: Int64
        public let seconds: Double
    }

    /// Copies the database file `source` to `target`; an existing target is replaced only when `force` is set.
    public static func run(from source: String, to target: String, force: Bool, logger: Logger) async throws -> Summary {
        let started = ContinuousClock.now
        let files = FileManager.default
        if isSameDatabase(source, target) { throw ConfigurationError("cannot back up \(source) onto itself") }
        var isFolder: ObjCBool = false
        if files.fileExists(atPath: target, isDirectory: &isFolder) {
            if isFolder.boolValue { throw ConfigurationError("cannot back up to \(target): it is a folder") }
            guard force else { throw ConfigurationError("\(target) already exists: use --force to replace it") }
        }
        let database = try await DatabaseCopy.openSource(path: source, logger: logger)
        let url = URL(fileURLWithPath: target)
        let partial = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial-\(UUID().uuidString)").path
        do {
            try await database.read { db in try await db.raw("VACUUM INTO \(bind: partial)").run() }
            await database.close()
        } catch {
            await database.close()
            try? files.removeItem(atPath: partial)
            throw ConfigurationError("cannot write \(target): \(error)")
        }
        guard rename(partial, target) == 0 else {
            let reason = String(cString: strerror(errno))
            try? files.removeItem(atPath: partial)
            throw ConfigurationError("cannot write \(target): \(reason)")
        }
        let bytes = (try? files.attributesOfItem(atPath: target)[.size] as? NSNumber)?.int64Value ?? 0
        let elapsed = ContinuousClock.now - started
        return Summary(bytes: bytes, seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    /// Whether `target` is the database file itself or one of its companion files (replacing those
    /// would destroy the database that servers are using).
    private static func isSameDatabase(_ source: String, _ target: String) -> Bool {
        let database = URL(fileURLWithPath: source).resolvingSymlinksInPath().path
        let other = URL(fileURLWithPath: target).resolvingSymlinksInPath().path
        return ["", "-wal", "-shm", "-journal"].contains { database + $0 == other }
    }
}
