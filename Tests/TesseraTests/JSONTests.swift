import Testing

@testable import Tessera

@Suite("JSON parsing and encoding")
struct JSONTests {
    @Test func keepsKeyOrderAndLastDuplicate() throws {
        let value = try JSONParser.parse(#"{"b":1,"a":2,"b":3}"#)
        #expect(value.objectValue?.keys == ["b", "a"])
        #expect(value["b"] == .number("3"))
    }

    /// The same rules for objects large enough to be indexed by key, through removals too.
    @Test(arguments: [5, 33, 200])
    func largeObjectsKeepOrder(_ size: Int) throws {
        let text = "{" + (0..<size).map { "\"k\($0)\":\($0)" }.joined(separator: ",") + ",\"k1\":\"again\"}"
        var object = try #require(try JSONParser.parse(text).objectValue)
        #expect(object.keys == (0..<size).map { "k\($0)" })
        #expect(object["k1"] == "again")
        #expect(object["k\(size - 1)"] == .int(size - 1))
        object["k0"] = nil
        object["new"] = true
        #expect(object.keys == (1..<size).map { "k\($0)" } + ["new"])
        #expect(object["k2"] == .int(2) && object["k0"] == nil && object["new"] == true && object.count == size)
        #expect(object == JSONObject(object.pairs))
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\":}", "01", "1.", "-", "tru", "\"\\x\"", "\"\u{01}\"", "[1] x", "\"\\ud800\"", "\"\\udc00\"",
        "nul", "{\"a\" 1}", "[\"a\" \"b\"]",
    ])
    func rejectsInvalidJSON(_ text: String) {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(text) }
    }

    @Test func rejectsInvalidUTF8() {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse([0x22, 0xC3, 0x28, 0x22]) }
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse([0x22, 0xED, 0xA0, 0x80, 0x22]) }  // surrogate
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse([0x22, 0xC0, 0xAF, 0x22]) }  // overlong
    }

    @Test func rejectsDeepNesting() {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(deep) }
        let fine = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        #expect(throws: Never.self) { try JSONParser.parse(fine) }
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        #expect(try JSONParser.parse(#""a\/b\u00e9\ud83d\ude00\n""#) == .string("a/bé😀\n"))
    }

    @Test func keepsNumbersAsWritten() throws {
        #expect(
            try JSONParser.parse("[1.50, -0, 1e400, 123456789012345678901234567890]")
                == .array([.number("1.50"), .number("-0"), .number("1e400"), .number("123456789012345678901234567890")])
        )
    }

    @Test func encodesLikePHP() {
        let value: JSON = ["url": "http://x/y", "name": "é😀\"\\", "empty": [:], "list": [], "n": 5, "null": nil, "t": true]
        #expect(value.encoded() == #"{"url":"http://x/y","name":"\u00e9\ud83d\ude00\"\\","empty":[],"list":[],"n":5,"null":null,"t":true}"#)
    }

    @Test func phpListsIncludeIntegerKeyedObjects() throws {
        #expect(try JSONParser.parse(#"{"0":"a","1":"b"}"#).listElements == ["a", "b"])
        #expect(try JSONParser.parse(#"{"1":"a"}"#).listElements == nil)
    }
}
