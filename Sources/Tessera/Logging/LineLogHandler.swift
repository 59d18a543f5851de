import Foundation
import Logging
import NIOConcurrencyHelpers

/// How log lines are written: `plain` for people, `json` (one object per line) for log collectors.
public enum LogFormat: String, Sendable, CaseIterable {
    case plain
    case json
}

/// Writes one line per log event to standard error, in `LogFormat`; in the plain format user-chosen
/// text is escaped (`PlainLogText`), so that a value holding a newline cannot forge a line.
///
/// Metadata is kept as given and only formatted when a line is written: the HTTP server sets a
/// request id on every request's logger, and formatting it there (as swift-log's stream handler
/// does) would cost every request, logged or not.
public struct LineLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let format: LogFormat

    public init(label: String, level: Logger.Level, format: LogFormat) {
        self.label = label
        self.logLevel = level
        self.format = format
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        let line = Self.line(
            time: Date(),
            level: event.level,
            label: label,
            message: event.message.description,
            metadata: merged,
            format: format
        )
        Self.output.withLockedValue { _ in FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }

    /// Serialises writes so that lines of concurrent requests never interleave.
    private static let output = NIOLockedValueBox(())

    static func line(
        time: Date,
        level: Logger.Level,
        label: String,
        message: String,
        metadata: Logger.Metadata,
        format: LogFormat
    ) -> String {
        let stamp = time.formatted(.iso8601)
        let fields = metadata.sorted { $0.key < $1.key }
        switch format {
        case .plain:
            // Requests put user-chosen text in messages and metadata: escaped, it cannot start a line.
            let fields = fields.map { "\(PlainLogText.escaped($0.key))=\(PlainLogText.value($0.value.description))" }.joined(separator: " ")
            let head = "\(stamp) \(level) \(PlainLogText.escaped(label)): \(PlainLogText.escaped(message))"
            return head + (fields.isEmpty ? "" : " " + fields)
        case .json:
            var object: JSONObject = [
                "time": .string(stamp), "level": .string(level.rawValue), "label": .string(label), "message": .string(message),
            ]
            for (key, value) in fields where object[key] == nil { object[key] = json(value) }
            return JSON.object(object).encoded()
        }
    }

    private static func json(_ value: Logger.Metadata.Value) -> JSON {
        switch value {
        case .string(let text): return .string(text)
        case .stringConvertible(let value): return .string(value.description)
        case .array(let items): return .array(items.map(json))
        case .dictionary(let entries): return .object(JSONObject(entries.sorted { $0.key < $1.key }.map { ($0.key, json($0.value)) }))
        }
    }
}
