"""Browser: what the role allows. A User-role user gets User settings → API tokens with its own
tokens only and no Users → API tokens; a user whose role lacks "Manage API tokens" gets neither.
Users, the role and the tokens are made through the JSON-RPC API as Admin."""

from __future__ import annotations

import re

import pytest

from conftest import TOKEN_RE, ApiClient, rpc

PASSWORD = "Str0ng-Pass-4711!"
NO_PERMISSIONS = "No permissions to referred object or it does not exist!"


@pytest.fixture(scope="module")
def data(tessera_server, admin_api):
    tessera_server.secrets.add(PASSWORD)
    carol = admin_api.call(
        "user.create",
        {"username": "carol", "name": "Carol", "surname": "Visser", "passwd": PASSWORD, "roleid": "1", "usrgrps": [{"usrgrpid": "7"}]},
    )["userids"][0]
    roleid = admin_api.call(
        "role.create", {"name": "No tokens", "type": 1, "rules": {"actions": [{"name": "manage_api_tokens", "status": 0}]}}
    )["roleids"][0]
    dave = admin_api.call(
        "user.create", {"username": "dave", "passwd": PASSWORD, "roleid": roleid, "usrgrps": [{"usrgrpid": "7"}]}
    )["userids"][0]
    tokens = {
        "carol-ci": admin_api.call("token.create", {"name": "carol-ci", "userid": carol})["tokenids"][0],
        "admin-only": admin_api.call("token.create", {"name": "admin-only"})["tokenids"][0],
        "dave-old": admin_api.call("token.create", {"name": "dave-old", "userid": dave})["tokenids"][0],
    }
    return {"carol": carol, "dave": dave, "roleid": roleid, "tokens": tokens}


def assert_access_denied(browser, path: str) -> None:
    browser.get(path)
    assert browser.text("#error-page h1") == "Access denied", path
    assert browser.text("#error-page p") == "You are not allowed to open this page."
    assert browser.http("GET", path).status_code == 403, path


def test_user_role_sees_only_own_tokens(browser, tessera_server, data):
    browser.sign_in("carol", PASSWORD)
    assert browser.path == "/user/tokens"
    assert browser.text("#whoami") == "carol (Carol Visser)"
    assert browser.menu() == {"profile": "Profile", "my-tokens": "API tokens"}
    assert "active" in browser.find("#menu-my-tokens").get_attribute("class").split()
    assert browser.text("h1") == "API tokens"

    # Own tokens only, without the user columns and filters.
    assert browser.token_names() == ["carol-ci"]
    headers = browser.texts("#tokens-table thead th")[1:]
    assert headers == ["Name", "Expires at", "Created at", "Last accessed at", "Status"]
    assert browser.finds("#tokens-table .user, #tokens-table .creator") == []
    assert browser.finds("#filter-form .multiselect") == []
    assert browser.find("#filter-form").get_attribute("action").endswith("/user/tokens")
    assert browser.text("#paging-summary") == "Displaying 1 of 1 found"
    browser.screenshot("user_tokens")

    # Create one through the own form: no owner field, the owner is carol.
    browser.submit("#create-token")
    assert browser.path == "/user/tokens/new"
    assert browser.finds(".multiselect, #user-locked, #user_input") == []
    browser.fill("#name", "carol-laptop")
    browser.set_checked("#expires_state", False)
    browser.submit("#add")
    assert browser.path == "/user/tokens/view"
    assert browser.message().title == "API token added"
    assert browser.finds("#view-user") == []
    value = browser.text("#auth-token")
    assert re.fullmatch(TOKEN_RE, value)
    tessera_server.secrets.add(value)
    assert rpc(tessera_server, "user.checkAuthentication", {"token": value})["result"]["username"] == "carol"
    assert browser.find("#close").get_attribute("href").endswith("/user/tokens")
    browser.submit("#close")
    assert browser.token_names() == ["carol-ci", "carol-laptop"]
    # With that token the API shows carol's tokens only, too.
    mine = ApiClient(tessera_server, token=value).call("token.get", {"output": ["name"]})
    assert sorted(t["name"] for t in mine) == ["carol-ci", "carol-laptop"]

    # Status toggle and edit on the own pages.
    browser.submit(browser.row("carol-ci")["element"].find_element("css selector", ".status-toggle"))
    assert browser.path == "/user/tokens"
    assert browser.message().title == "API token disabled"
    assert browser.row("carol-ci")["status"] == "Disabled"
    browser.submit(browser.row("carol-ci")["element"].find_element("css selector", ".token-name"))
    assert browser.path == f"/user/tokens/{data['tokens']['carol-ci']}/edit"
    assert browser.finds("#user-locked") == []
    browser.fill("#description", "own edit")
    browser.submit("#update")
    assert browser.path == "/user/tokens" and browser.message().title == "API token updated"


def test_user_role_has_no_admin_token_pages(browser, tessera_server, data):
    browser.sign_in("carol", PASSWORD)
    admin_token = data["tokens"]["admin-only"]
    for path in ["/tokens", "/tokens/new", f"/tokens/{admin_token}/edit", "/administration/general", "/administration/authentication"]:
        assert_access_denied(browser, path)
    # Her own token pages do not find another user's token, as if it did not exist.
    for path in [f"/user/tokens/{admin_token}/edit", "/user/tokens/99999/edit"]:
        browser.get(path)
        assert browser.text("#error-page h1") == "Page not found", path
        assert browser.http("GET", path).status_code == 404, path
    # The menu is still there on the refusal page, without Users → API tokens.
    assert "tokens" not in browser.menu()

    # Another user's token id slipped into the own list's form is refused.
    browser.get("/user/tokens")
    browser.driver.execute_script(
        "document.querySelector(\"#mass-form input[type=checkbox][name='tokenids[]']\").value = arguments[0]", admin_token
    )
    browser.find("#mass-form input[type=checkbox][name='tokenids[]']").click()
    browser.submit("#mass-disable", confirm="Disable selected API tokens?")
    message = browser.message()
    assert not message.ok and message.title == "Cannot disable API token"
    assert message.details == [NO_PERMISSIONS]
    admin = ApiClient(tessera_server)
    assert admin.call("token.get", {"tokenids": [admin_token], "output": ["status"]})[0]["status"] == "0"

    # Posting to the admin list's actions directly is refused as well.
    csrf = browser.find("#mass-form input[name=csrf]").get_attribute("value")
    r = browser.http("POST", "/tokens/disable", data={"tokenids[]": admin_token, "csrf": csrf})
    assert r.status_code == 403
    assert admin.call("token.get", {"tokenids": [admin_token], "output": ["status"]})[0]["status"] == "0"


def test_super_admin_own_list_shows_only_own_tokens(browser, tessera_server, data):
    browser.sign_in("Admin", tessera_server.password)
    browser.get("/user/tokens")
    assert "active" in browser.find("#menu-my-tokens").get_attribute("class").split()
    assert browser.token_names() == ["admin-only"]
    browser.get("/tokens?filter_rst=1")
    assert set(browser.token_names()) == {"admin-only", "carol-ci", "carol-laptop", "dave-old"}


def test_role_without_manage_api_tokens(browser, tessera_server, data):
    browser.sign_in("dave", PASSWORD)
    assert browser.path == "/user/profile"
    assert browser.menu() == {"profile": "Profile"}
    assert browser.finds("#menu-my-tokens, #menu-tokens") == []
    assert browser.text("#profile-username") == "dave"
    for path in ["/user/tokens", "/user/tokens/new", f"/user/tokens/{data['tokens']['dave-old']}/edit", "/tokens"]:
        assert_access_denied(browser, path)
    browser.get("/")
    assert browser.path == "/user/profile"
    # The API agrees.
    dave = ApiClient(tessera_server, "dave", PASSWORD)
    answer = rpc(tessera_server, "token.get", {}, auth=dave.auth)
    assert answer["error"]["data"] == 'No permissions to call "token.get".'
