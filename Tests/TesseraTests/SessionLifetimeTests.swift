import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import Tessera

/// The absolute session lifetime (Tessera's own): a session from `user.login` or the sign-in form is
/// refused once it is `--session-lifetime` old (24 h by default), however active, for every user type.
@Suite("session lifetime")
struct SessionLifetimeTests {
    static let terminated = error(-32602, "Session terminated, re-login, please.")
    static let get: JSON = ["output": ["userid"], "userids": "1"]

    @Test(arguments: Engine.available)
    func apiSessionsEndADayAfterLoginHoweverActive(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let admin = try await h.login()
            for (name, roleid) in [("user", "1"), ("manager", "2")] {
                let id = try await h.user(name, roleid: roleid, auth: admin)
                _ = try await h.result("user.update", ["userid": .string(id), "autologout": "0"], auth: admin)
            }
            let sessions = [admin, try await h.login("user", "Str0ng-Passw0rd!"), try await h.login("manager", "Str0ng-Passw0rd!")]
            let token = try await h.token("kept", auth: admin).value
            // In use every 12 hours (no idle logout for these users): still accepted a second before the day is over.
            for step in [Int64(43_200), 43_199] {
                h.clock.advance(step)
                for session in sessions { #expect(try await h.call("user.get", Self.get, auth: session)["result"] != nil) }
            }
            h.clock.advance(1)
            for session in sessions {
                #expect(try await h.call("user.get", Self.get, auth: session) == Self.terminated)
                #expect(try await h.call("user.checkAuthentication", ["sessionid": .string(session)]) == Self.terminated)
            }
            // Tokens have their own expiry; a new login starts a new day.
            #expect(try await h.call("user.get", Self.get, bearer: token)["result"] != nil)
            #expect(try await h.call("user.get", Self.get, auth: try await h.login())["result"] != nil)
        }
    }

    @Test func theLifetimeIsConfigurableAndZeroTurnsItOff() async throws {
        try await Harness.with(.sqlite) { (h: Harness) async throws in
            for (lifetime, lasts) in [(3600, Int64(3599)), (0, Int64(400 * 86_400))] {
                let services = Services(database: h.database, clock: h.clock.unixTime, sessionLifetime: lifetime, logger: Harness.logger)
                let endpoint = JSONRPCEndpoint(services: services, logger: Harness.logger)
                func call(_ method: String, _ params: JSON, auth: String? = nil) async throws -> JSON {
                    var request: JSONObject = ["jsonrpc": "2.0", "method": .string(method), "params": params, "id": 1]
                    if let auth { request["auth"] = .string(auth) }
                    let answer = await endpoint.respond(to: Array(JSON.object(request).encoded().utf8), bearer: nil, ip: "127.0.0.1")
                    return try JSONParser.parse(answer.map { String(decoding: $0, as: UTF8.self) } ?? "null")
                }
                let session = try #require(
                    try await call("user.login", ["username": "Admin", "password": .string(Harness.adminPassword)])["result"]?.stringValue
                )
                h.clock.advance(lasts)
                #expect(try await call("user.get", Self.get, auth: session)["result"] != nil)
                if lifetime != 0 {
                    h.clock.advance(1)
                    #expect(try await call("user.get", Self.get, auth: session) == Self.terminated)
                }
                await services.shutdown()
            }
        }
    }

    @Test func webSessionsEndADayAfterSignIn() async throws {
        try await Browser.with { h, browser in
            h.clock.advance(86_399)
            #expect(try await browser.get("/user/profile").status == .ok)
            h.clock.advance(1)
            let page = try await browser.get("/user/profile")
            #expect(page.status == .seeOther)
            #expect(page.headers[.location] == "/login")
        }
    }
}
