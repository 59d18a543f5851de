import ArgumentParser
import Foundation
import Logging
import Tessera

/// `tessera seed-tokens`: fills a database with many tokens for benchmarks, then prints the value of
/// one extra token (named `<prefix>-probe`) that load tests can authenticate with.
struct SeedTokens: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed-tokens",
        abstract: "Create many API tokens quickly (for benchmarks) and print one usable token value."
    )

    @Option(help: "How many tokens to create.") var count: Int
    @OptionGroup var storage: DatabaseOptions
    @Option(help: "Owner of the tokens (default 1, Admin).") var userid = "1"
    @Option(help: "Name prefix.") var prefix = "bench"

    func validate() throws {
        guard count >= 0 else { throw ValidationError("--count must be 0 or more") }
        guard Int64(userid) != nil else { throw ValidationError("--userid must be a number") }
    }

    func run() async throws {
        let reader = try await storage.reader()
        var config = ServerConfig()
        try DatabaseOptions.read(reader, into: &config)
        // On a new database the first-start password applies here too, as for `serve`.
        AdminPasswordOption.read(reader, into: &config)
        var logger = Logger(label: "tessera")
        logger.logLevel = .warning
        let db = try await openDatabase(config, logger: logger)
        let services = Services(database: db)
        do {
            let started = Date()
            let created = try await BulkSeeder.seed(db, count: count, userid: userid, prefix: prefix, now: services.clock.now)
            let probe = try await BulkSeeder.probe(db, services: services, userid: userid, name: "\(prefix)-probe")
            FileHandle.standardError.write(Data(String(format: "seeded %d tokens in %.1f s\n", created, Date().timeIntervalSince(started)).utf8))
            print(probe)
        } catch {
            await services.shutdown()
            await db.close()
            throw error
        }
        await services.shutdown()
        await db.close()
    }
}
