import ArgumentParser
import Tessera

/// A refused or failed operation, told as one line on stderr (`Error: …`) with exit code 1: the API's
/// own message for an `APIError` (as a JSON-RPC client would see it in `error.data`), else the error's
/// description.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String

    init(_ message: String) {
        description = message
    }

    /// Runs `body` and turns what it throws into a `CommandFailure`; usage errors and explicit exits
    /// pass unchanged (ArgumentParser prints the usage for those and exits with 64).
    static func reporting<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as ValidationError {
            throw error
        } catch let error as ExitCode {
            throw error
        } catch let error as CommandFailure {
            throw error
        } catch let error as APIError {
            throw CommandFailure(error.message)
        } catch {
            throw CommandFailure(String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " "))
        }
    }
}
