"""Browser: Users, User roles and User groups as Admin, as far as they touch API tokens: create a
role and a user with it, untick "Manage API tokens" on the role, disable the user through a group.

Skipped (with the reason) when the binary under test has no such pages yet.
"""

from __future__ import annotations

import pytest

PASSWORD = "Str0ng-Pass-4711!"


@pytest.fixture(scope="module", autouse=True)
def signed_in(tessera_server, browser):
    browser.sign_in("Admin", tessera_server.password)
    missing = [path for path in ("/users", "/roles", "/usergroups") if browser.http("GET", path).status_code == 404]
    if missing:
        pytest.skip(f"the admin pages {', '.join(missing)} are not in this tessera binary yet (GET answers 404)")


def select(browser, css: str):
    from selenium.webdriver.support.ui import Select

    return Select(browser.find(css))


def row_by_link(browser, table: str, link_class: str, text: str):
    rows = [tr for tr in browser.finds(f"#{table} tbody tr[data-id]") if tr.find_element("css selector", f".{link_class}").text == text]
    assert len(rows) == 1, f"expected one row {text!r} in #{table}"
    return rows[0]


def test_role_user_and_group_pages(browser, tessera_server, admin_api):
    tessera_server.secrets.add(PASSWORD)

    # A role of type User that may manage API tokens.
    browser.get("/roles")
    browser.submit("#create-role")
    assert browser.path == "/roles/new"
    browser.fill("#name", "Token users")
    select(browser, "#type").select_by_value("1")
    browser.set_checked("#action-manage_api_tokens", True)
    browser.submit("#add")
    assert browser.path == "/roles"
    assert browser.message().title == "User role created"
    role_row = row_by_link(browser, "roles-table", "role-name", "Token users")
    roleid = role_row.get_attribute("data-id")

    # A user with that role, in Zabbix administrators.
    browser.get("/users")
    browser.submit("#create-user")
    assert browser.path == "/users/new"
    browser.fill("#username", "erin")
    browser.fill("#name", "Erin")
    browser.fill("#surname", "de Vries")
    browser.set_checked("#group-7", True)
    browser.fill("#password1", PASSWORD)
    browser.fill("#password2", PASSWORD)
    select(browser, "#roleid").select_by_visible_text("Token users")
    browser.submit("#add")
    assert browser.path == "/users"
    assert browser.message().title == "User added"
    user_row = row_by_link(browser, "users-table", "username", "erin")
    userid = user_row.get_attribute("data-id")
    assert user_row.find_element("css selector", ".role").text == "Token users"
    assert user_row.find_element("css selector", ".status").text == "Enabled"
    [user] = admin_api.call("user.get", {"userids": [userid], "output": ["roleid"], "selectUsrgrps": ["usrgrpid"]})
    assert user["roleid"] == roleid and user["usrgrps"] == [{"usrgrpid": "7"}]

    # erin manages own tokens.
    browser.sign_in("erin", PASSWORD)
    assert browser.path == "/user/tokens"
    assert browser.menu() == {"profile": "Profile", "my-tokens": "API tokens"}

    # Untick "Manage API tokens" on the role: the menu item and the page go away.
    browser.sign_in("Admin", tessera_server.password)
    browser.get("/roles")
    browser.submit(row_by_link(browser, "roles-table", "role-name", "Token users").find_element("css selector", ".role-name"))
    assert browser.path == f"/roles/{roleid}/edit"
    assert browser.find("#action-manage_api_tokens").is_selected()
    browser.set_checked("#action-manage_api_tokens", False)
    browser.submit("#update")
    assert browser.path == "/roles"
    assert browser.message().title == "User role updated"
    [role] = admin_api.call("role.get", {"roleids": [roleid], "selectRules": ["actions"]})
    assert {"name": "manage_api_tokens", "status": "0"} in role["rules"]["actions"]

    browser.sign_in("erin", PASSWORD)
    assert browser.path == "/user/profile"
    assert browser.menu() == {"profile": "Profile"}
    browser.get("/user/tokens")
    assert browser.text("#error-page h1") == "Access denied"

    # Disable erin through a new group.
    browser.sign_in("Admin", tessera_server.password)
    browser.get("/usergroups")
    browser.submit("#create-group")
    assert browser.path == "/usergroups/new"
    browser.fill("#name", "Suspended")
    browser.set_checked(f"#member-{userid}", True)
    assert browser.find("#users_status").is_selected()  # enabled by default
    browser.set_checked("#users_status", False)
    browser.submit("#add")
    assert browser.path == "/usergroups"
    assert browser.message().title == "User group added"
    group_row = row_by_link(browser, "groups-table", "group-name", "Suspended")
    assert group_row.find_element("css selector", ".status").text == "Disabled"
    assert "erin" in group_row.find_element("css selector", ".members").text
    [group] = admin_api.call("usergroup.get", {"filter": {"name": "Suspended"}, "output": ["users_status"], "selectUsers": ["userid"]})
    assert group["users_status"] == "1" and group["users"] == [{"userid": userid}]

    browser.get("/users")
    assert row_by_link(browser, "users-table", "username", "erin").find_element("css selector", ".status").text == "Disabled"

    # erin can no longer sign in.
    browser.driver.delete_all_cookies()
    browser.get("/login")
    browser.fill("#username", "erin")
    browser.fill("#password", PASSWORD)
    browser.submit("#login-button")
    assert browser.path == "/login"
    message = browser.message()
    assert not message.ok and message.title == "No permissions for system access."
