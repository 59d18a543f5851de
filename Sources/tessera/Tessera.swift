import ArgumentParser

/// The `tessera` command.
@main
struct TesseraCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tessera",
        abstract: "Tessera: a self-hosted API-token server that speaks the Zabbix JSON-RPC API.",
        subcommands: [
            Serve.self, MigrateCommand.self, UserCommand.self, TokenCommand.self, BackupCommand.self, DatabaseCommand.self, SeedTokens.self,
        ],
        defaultSubcommand: Serve.self
    )
}
