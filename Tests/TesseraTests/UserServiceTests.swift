import Testing

@testable import Tessera

/// The user rules through the typed service, as the web UI and the command line call it.
@Suite("user service")
struct UserServiceTests {
    func admin(_ h: Harness) async throws -> CallContext { try await h.services.localCaller(as: nil, ip: "127.0.0.1") }

    @Test(arguments: Engine.available)
    func createsWithAuditInTheOrderGiven(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let fields = UserFields(
                username: "ann",
                password: "Str0ng-Passw0rd!",
                autologin: true,
                role: RoleID(1),
                groups: [UserGroupID(7)],
                given: [.usrgrps, .username, .autologin, .passwd, .roleid]
            )
            let ids = try await h.services.users.create([fields], by: try await admin(h))
            let record = try #require(try await h.services.users.record(ids[0], by: try await admin(h)))
            #expect(record.names == UserNames(username: "ann", name: "", surname: ""))
            #expect(record.groups == [UserRecord.Group(id: UserGroupID(7), name: "Zabbix administrators", disablesMembers: false)])
            // Auto-login switches auto-logout off: recorded after the fields given.
            #expect(record.autologout == "0" && record.role == RoleID(1) && record.roleName == "User role" && !record.isDisabled)
            let session = try await h.login()
            let details = try await h.result(
                "auditlog.get",
                ["output": ["details"], "filter": ["resourcetype": 0, "action": 0]],
                auth: session
            ).arrayValue?.first?["details"]?.stringValue
            #expect(
                details
                    == #"{"user.usrgrps[5]":["add"],"user.usrgrps[5].usrgrpid":["add","7"],"user.usrgrps[5].id":["add","5"],"user.username":["add","ann"],"user.autologin":["add","1"],"user.passwd":["add","******"],"user.roleid":["add","1"],"user.autologout":["add","0"],"user.userid":["add","3"]}"#
            )
        }
    }

    @Test(arguments: Engine.available)
    func checksTypedFieldsAsTheAPIDoes(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let admin = try await admin(h)
            let users = h.services.users
            await #expect(throws: APIError.invalid("/1/rows_per_page", "value must be one of 1-999999")) {
                try await users.update([(UserID(1), UserFields(rowsPerPage: 0))], by: admin)
            }
            await #expect(throws: APIError.invalid("/1", "the parameter \"username\" is missing")) {
                try await users.create([UserFields(role: RoleID(1), groups: [UserGroupID(7)])], by: admin)
            }
            await #expect(throws: APIError.invalid("/1/usrgrps", "cannot be empty")) {
                try await users.create([UserFields(username: "x", password: "Str0ng-Passw0rd!", role: RoleID(1), groups: [])], by: admin)
            }
            await #expect(throws: APIError.params("Incorrect value for field \"/1/passwd\": must be at least 8 characters long.")) {
                try await users.create([UserFields(username: "x", password: "short", role: RoleID(1), groups: [UserGroupID(7)])], by: admin)
            }
            // With another active Super admin, Admin could leave the role, but not by changing their own.
            _ = try await h.user("root", roleid: "3", auth: try await h.login())
            await #expect(throws: APIError.params("User cannot change own role.")) {
                try await users.update([(UserID(1), UserFields(role: RoleID(1)))], by: admin)
            }
            await #expect(throws: APIError.params("Not allowed to set language for user \"guest\".")) {
                try await users.update([(UserID(2), UserFields(lang: "en_US"))], by: admin)
            }
            await #expect(throws: APIError.params("User is not allowed to delete himself.")) { try await users.delete([UserID(1)], by: admin) }
            await #expect(throws: APIError.invalid("/2", "value (2) already exists")) { try await users.unblock([UserID(2), UserID(2)], by: admin) }
            // Nothing of it was written.
            #expect(try await users.records(UserFilter(order: .userid), by: admin).map(\.names.username) == ["Admin", "guest", "root"])
            #expect(try await users.record(UserID(1), by: admin)?.rowsPerPage == 50)
        }
    }

    @Test(arguments: Engine.available)
    func usersSeeThemselvesAndTheirGroups(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let session = try await h.login()
            let group = try await h.result("usergroup.create", ["name": "alone"], auth: session)["usrgrpids"]!.arrayValue![0]
            _ = try await h.user("worker", roleid: "1", groups: [group.stringValue ?? ""], auth: session)
            let worker = try await h.services.localCaller(as: "worker", ip: "127.0.0.1")
            #expect(try await h.services.users.records(UserFilter(), by: worker).map(\.names.username) == ["worker"])
            #expect(try await h.services.users.records(UserFilter(search: "ADM"), by: try await admin(h)).map(\.names.username) == ["Admin"])
            await #expect(throws: APIError.noPermissions) { try await h.services.users.update([(UserID(1), UserFields(name: "x"))], by: worker) }
            try await h.services.users.update([(worker.principal.id, UserFields(name: "Wanda"))], by: worker)
            #expect(try await h.services.users.record(worker.principal.id, by: worker)?.names.fullName == "worker (Wanda)")
        }
    }
}
