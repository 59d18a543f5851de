import Foundation
import Logging
import Testing

@testable import Tessera

/// Log lines with user-chosen text in them (usernames, token names, paths): one event is one line in
/// both formats, and the plain format shows such text escaped.
@Suite("Log lines")
struct LogLineTests {
    static let epoch = Date(timeIntervalSince1970: 0)
    /// A username as typed into a failed login, pretending to end the line and start another.
    static let forged = "nobody from 10.0.0.1\n1970-01-01T00:00:00Z critical tessera: forged\r\u{1B}[2K\u{2028}\u{202E}x\\n"

    func line(_ message: String, _ metadata: Logger.Metadata, _ format: LogFormat) -> String {
        LineLogHandler.line(time: Self.epoch, level: .info, label: "tessera", message: message, metadata: metadata, format: format)
    }

    @Test func plainEscapesControlCharactersInMessagesAndMetadata() {
        let text = line("audit: loginFailed user - \"\" by \(Self.forged)", ["name": .string(Self.forged), "status": "200"], .plain)
        #expect(
            text
                == #"1970-01-01T00:00:00Z info tessera: audit: loginFailed user - "" by nobody from 10.0.0.1\n1970-01-01T00:00:00Z critical tessera: forged\r\u{1b}[2K\u{2028}\u{202e}x\\n"#
                + #" name="nobody from 10.0.0.1\n1970-01-01T00:00:00Z critical tessera: forged\r\u{1b}[2K\u{2028}\u{202e}x\\n" status=200"#
        )
        #expect(!text.contains("\n") && !text.contains("\r"))
    }

    @Test func plainQuotesMetadataValuesThatCouldPassForMoreFields() {
        let text = line("m", ["a": "x status=500", "b": "", "c": "say \"hi\"", "d": "plain-value", "e": "ünïcode"], .plain)
        #expect(text == #"1970-01-01T00:00:00Z info tessera: m a="x status=500" b="" c="say \"hi\"" d=plain-value e=ünïcode"#)
    }

    @Test func plainLeavesOrdinaryLinesAsTheyAre() {
        let text = line("POST /api_jsonrpc.php 200", ["hb.request.id": "12ab", "ms": "0.52"], .plain)
        #expect(text == "1970-01-01T00:00:00Z info tessera: POST /api_jsonrpc.php 200 hb.request.id=12ab ms=0.52")
    }

    @Test func jsonKeepsTheTextExactInOneLine() throws {
        let text = line("by \(Self.forged)", ["name": .string(Self.forged)], .json)
        #expect(!text.contains("\n") && !text.contains("\r") && !text.contains("\u{2028}"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String])
        #expect(object == ["time": "1970-01-01T00:00:00Z", "level": "info", "label": "tessera", "message": "by \(Self.forged)", "name": Self.forged])
    }
}
