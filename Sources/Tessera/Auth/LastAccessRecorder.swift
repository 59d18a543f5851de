import Logging
import NIOConcurrencyHelpers

/// Coalesces `token.lastaccess` writes: authentication notes the time in memory, a timer writes
/// at most one update per token per interval (and a final one at shutdown), and `token.get`
/// overlays the pending values so that it still shows the last use to the second.
final class LastAccessRecorder: Sendable {
    private let pending = NIOLockedValueBox<[Int64: Int64]>([:])
    private let database: any Database
    private let logger: Logger
    let interval: Duration
    private let timer = NIOLockedValueBox<Task<Void, Never>?>(nil)

    init(database: any Database, interval: Duration = .seconds(1), logger: Logger) {
        self.database = database
        self.interval = interval
        self.logger = logger
    }

    /// Records a successful authentication of `tokenid` at `time`.
    func note(tokenid: Int64, at time: Int64) {
        pending.withLockedValue { pending in pending[tokenid] = max(pending[tokenid] ?? 0, time) }
    }

    /// The not yet written last use of a token.
    func pendingValue(tokenid: Int64) -> Int64? { pending.withLockedValue { $0[tokenid] } }

    /// How many tokens have a use not yet written.
    var pendingCount: Int { pending.withLockedValue { $0.count } }

    /// Starts the periodic flush.
    func start() {
        let task = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: self?.interval ?? .seconds(1))
                await self?.flush()
            }
        }
        timer.withLockedValue { $0 = task }
    }

    /// Stops the timer and writes what is pending, even when the caller is being cancelled.
    func stop() async {
        timer.withLockedValue { $0?.cancel() }
        await Task { await self.flush() }.value
    }

    /// Writes the pending values; a newer value in the database (another instance) is kept. Values
    /// stay visible to `pendingValue` until their write has committed, so `token.get` never misses one.
    func flush() async {
        let batch = pending.withLockedValue { $0 }
        guard !batch.isEmpty else { return }
        do {
            try await database.transaction { db in
                for (tokenid, time) in batch {
                    try await TokenRepository.recordUse(db, TokenID(tokenid), at: time)
                }
            }
            pending.withLockedValue { pending in
                for (tokenid, time) in batch where pending[tokenid] == time { pending[tokenid] = nil }
            }
        } catch is CancellationError {
            // The timer stopped mid-write; `stop()` writes the values again.
        } catch {
            logger.warning("lastaccess flush failed, will retry: \(String(describing: error))")
        }
    }
}
