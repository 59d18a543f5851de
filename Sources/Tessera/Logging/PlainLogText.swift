/// How values are written in the plain log format, where requests put user-chosen text (usernames,
/// token names, paths) into lines: one event stays one line that nobody can forge or disguise.
///
/// - Characters that end a line or move the cursor on a terminal (C0 and C1 controls, DEL, the
///   Unicode line and paragraph separators) and the bidirectional controls that reorder what a
///   terminal shows are written as escapes: `\n`, `\r`, `\t`, else `\u{…}` with the hex code point.
/// - A backslash is doubled, so `\n` in a line is always an escaped newline, never typed text.
/// - A metadata value is quoted (`key="a b"`, inner `"` as `\"`) when it is empty or holds a space,
///   `"` or `=`, so that a value cannot pass for further `key=value` fields.
///
/// The JSON format needs none of this: the encoder escapes every control character.
enum PlainLogText {
    /// `text` with the characters above escaped (unchanged, without copying, when there are none).
    static func escaped(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "\\") || $0 >= 0x80 }) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars { append(scalar, to: &out, quoted: false) }
        return out
    }

    /// A metadata value: escaped, and quoted when it could otherwise be read as more than one field.
    static func value(_ text: String) -> String {
        guard text.isEmpty || text.utf8.contains(where: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "=") })
        else { return escaped(text) }
        var out = "\""
        for scalar in text.unicodeScalars { append(scalar, to: &out, quoted: true) }
        return out + "\""
    }

    private static func append(_ scalar: Unicode.Scalar, to out: inout String, quoted: Bool) {
        switch scalar {
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\"" where quoted: out += "\\\""
        case _ where isUnsafe(scalar): out += "\\u{\(String(scalar.value, radix: 16))}"
        default: out.unicodeScalars.append(scalar)
        }
    }

    /// Controls (C0, DEL, C1), line and paragraph separators, and bidirectional formatting controls.
    private static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029: return true
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }
}
