import ArgumentParser
import Foundation

/// Where a new password comes from: `--password`, one line of standard input (`--password-stdin`, for
/// scripts), or else a prompt on the terminal that does not show what is typed (asked twice). It is
/// handed to the user service and never printed.
enum PasswordInput {
    /// For a command's `validate()`: the usage errors (both sources, or none and no terminal to ask on).
    static func validate(given: String? = nil, fromStandardInput: Bool) throws {
        if given != nil, fromStandardInput { throw ValidationError("give either --password or --password-stdin, not both") }
        if given == nil, !fromStandardInput, isatty(STDIN_FILENO) == 0 {
            throw ValidationError("no password given: pass it on standard input with --password-stdin, or run on a terminal to be asked for it")
        }
    }

    /// The password from the source that `validate` accepted.
    static func read(given: String? = nil, fromStandardInput: Bool) throws -> String {
        if let given { return given }
        if fromStandardInput {
            guard let line = readLine(strippingNewline: true) else { throw CommandFailure("no password on standard input") }
            return line
        }
        let first = try prompt("New password: ")
        guard try prompt("Repeat the password: ") == first else { throw CommandFailure("the passwords do not match") }
        return first
    }

    /// Asks on stderr and reads one line from the terminal with echo switched off (before asking, so
    /// that nothing typed after the question is shown).
    private static func prompt(_ text: String) throws -> String {
        var saved = termios()
        tcgetattr(STDIN_FILENO, &saved)
        var silent = saved
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
        FileHandle.standardError.write(Data(text.utf8))
        defer {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
            FileHandle.standardError.write(Data("\n".utf8))
        }
        guard let line = readLine(strippingNewline: true) else { throw CommandFailure("no password entered") }
        return line
    }
}
