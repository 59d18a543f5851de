"""Browser: Users → API tokens as Admin: create (with and without expiry), the one-time token page,
reload/back, using the value against the API, edit, regenerate, status toggle, mass actions, and a
name with markup.

The module's tests run in order on one server and share its data (the token "ci-deploy" is made by
the first test and used by the later ones). Admin's time zone is set to Europe/Amsterdam so that
dates typed into the form are read in the user's zone, not the server's.
"""

from __future__ import annotations

import datetime
import re
import time
from zoneinfo import ZoneInfo

import pytest
import requests

from conftest import TOKEN_RE, rpc

ZONE = ZoneInfo("Europe/Amsterdam")
ADMIN_LABEL = "Admin (Zabbix Administrator)"
WARNING = "⚠ Make sure to copy the auth token as you won't be able to view it after the page is closed."
EXPIRED_WARNING = "⚠ The token has expired. Please update the expiry date to use the token."

# Values shared between the tests of this module (filled in as they run).
made: dict[str, str] = {}


def unix(text: str) -> int:
    """'YYYY-MM-DD hh:mm:ss' in Admin's zone → Unix time."""
    return int(datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=ZONE).timestamp())


def api_with(server, token: str) -> dict:
    """token.get called with the token in the `auth` member (Zabbix 6.0 style), raw answer."""
    return rpc(server, "token.get", {"output": ["tokenid", "name"]}, auth=token)


@pytest.fixture(scope="module", autouse=True)
def setup(tessera_server, admin_api, browser):
    admin_api.call("user.update", {"userid": "1", "timezone": "Europe/Amsterdam"})
    browser.driver.execute_cdp_cmd(
        "Browser.grantPermissions", {"origin": tessera_server.base_url, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]}
    )
    browser.sign_in("Admin", tessera_server.password)


def read_token_page(browser, server) -> str:
    """The value on the one-time page, checked and registered as a secret of the server."""
    value = browser.text("#auth-token")
    assert re.fullmatch(TOKEN_RE, value), value
    server.secrets.add(value)
    assert browser.text("#token-warning") == WARNING
    return value


def test_create_token_with_expiry(browser, tessera_server, admin_api):
    browser.get("/tokens")
    assert browser.text("#create-token") == "Create API token"
    browser.submit("#create-token")
    assert browser.path == "/tokens/new"

    # The form as it opens: owner preselected, expiry on and four weeks ahead, enabled.
    assert browser.find("#name").get_attribute("value") == ""
    assert browser.find(".multiselect.single input[type=hidden][name=userid]").get_attribute("value") == "1"
    assert browser.text(".multiselect.single .chips li").startswith(ADMIN_LABEL)
    assert browser.find("#expires_state").is_selected()
    assert browser.find("#expires-row").is_displayed()
    default_expiry = browser.find("#expires_at").get_attribute("value")
    assert abs(unix(default_expiry) - (time.time() + 28 * 86400)) < 300, default_expiry
    assert browser.find("#status").is_selected()
    assert browser.finds("#update") == [] and browser.finds("#regenerate") == []
    browser.screenshot("token_form")

    browser.fill("#name", "ci-deploy")
    browser.fill("#description", "Deploys from CI")
    browser.fill("#expires_at", "2031-06-15 12:30:00")
    browser.submit("#add")

    # The one-time page.
    message = browser.message()
    assert message.ok and message.title == "API token added"
    assert browser.text("#view-name") == "ci-deploy"
    assert browser.text("#view-user") == ADMIN_LABEL
    assert browser.text("#view-expires") == "2031-06-15 12:30:00"
    assert browser.finds("#expired-warning") == []
    assert browser.text("#view-description") == "Deploys from CI"
    assert browser.find("#view-enabled").is_selected()
    value = read_token_page(browser, tessera_server)
    made["value"] = value
    browser.screenshot("token_view")

    # Copy to clipboard puts exactly the value there.
    browser.find("#copy-token").click()
    browser.wait(lambda d: browser.text("#copy-token") == "Copied", "the copy button did not say Copied")
    clipboard = browser.driver.execute_async_script(
        "const done = arguments[0]; navigator.clipboard.readText().then(done, (e) => done('error: ' + e));"
    )
    assert clipboard == value

    # What was stored.
    [token] = admin_api.call("token.get", {"filter": {"name": "ci-deploy"}, "output": "extend"})
    made["tokenid"] = token["tokenid"]
    assert token["userid"] == "1" and token["creator_userid"] == "1"
    assert token["description"] == "Deploys from CI"
    assert token["expires_at"] == str(unix("2031-06-15 12:30:00"))
    assert token["status"] == "0"

    # The value works against the API: `auth` member and Bearer header.
    answer = api_with(tessera_server, value)
    assert "error" not in answer, answer
    assert {"tokenid": token["tokenid"], "name": "ci-deploy"} in answer["result"]
    r = requests.post(
        tessera_server.api_url,
        json={"jsonrpc": "2.0", "method": "user.checkAuthentication", "params": {"token": value}, "id": 7},
        timeout=10,
    )
    assert r.json()["result"]["username"] == "Admin"


VALUE_GONE = "The new value was shown once and cannot be shown again. Regenerate the token to get a new value."


def test_reload_and_back_do_not_show_the_token_again(browser, tessera_server, admin_api):
    value = made["value"]
    # We are still on the one-time page, reached by a redirect after the post. Close it: the list
    # shows the new token.
    assert browser.path == "/tokens/view"
    assert browser.text("#auth-token") == value
    browser.submit("#close")
    assert browser.path == "/tokens"
    row = browser.row("ci-deploy")
    assert row["user"] == ADMIN_LABEL
    assert row["expires"] == "2031-06-15 12:30:00" and not row["expired"]
    assert row["creator"] == ADMIN_LABEL
    assert row["lastaccess"] != "Never"  # the previous test used it
    assert row["status"] == "Enabled"
    assert value not in browser.driver.page_source

    # Back to the page that showed it: it was no-store and its cookie is gone, so it sends the
    # browser to the list saying why; nothing was posted again.
    # A browser that keeps the page in its back/forward cache restores it without asking the server:
    # the page then reloads itself, and had forgotten the value as it was left.
    browser.driver.back()
    browser.wait(lambda d: browser.path == "/tokens", "going back did not end on the list")
    browser._wait_ready()
    message = browser.message()
    assert message is not None and not message.ok and message.title == VALUE_GONE
    assert value not in browser.driver.page_source
    assert browser.finds("#auth-token") == []

    # Further back is the form, fetched again with GET: still one token of that name.
    browser.driver.back()
    browser._wait_ready()
    assert browser.path == "/tokens/new"
    assert value not in browser.driver.page_source
    assert admin_api.call("token.get", {"filter": {"name": "ci-deploy"}, "countOutput": True}) == "1"

    # Post/redirect/get as a plain client sees it: the post answers 303 without the value, the view
    # shows it once with no-store and deletes its cookie, and a second look finds nothing.
    csrf = browser.find("#token-form input[name=csrf]").get_attribute("value")
    r = browser.http("POST", "/tokens/create", data={"csrf": csrf, "name": "no-store", "userid": "1", "expires_state": "0", "status": "0"})
    assert r.status_code == 303 and r.headers["Location"] == "/tokens/view"
    assert re.search(TOKEN_RE, r.text) is None
    once = r.cookies["tessera_once"]
    shown = requests.get(
        browser.url("/tokens/view"),
        cookies={"tessera_session": browser.session_cookie(), "tessera_once": once},
        allow_redirects=False,
        timeout=10,
    )
    assert shown.status_code == 200
    assert shown.headers["Cache-Control"] == "no-store"
    [value_shown] = re.findall(r'<code id="auth-token">(' + TOKEN_RE + r")</code>", shown.text)
    tessera_server.secrets.add(value_shown)
    assert "tessera_once=;" in shown.headers["Set-Cookie"]
    again = browser.http("GET", "/tokens/view")
    assert again.status_code == 303 and again.headers["Location"] == "/tokens"
    assert value_shown not in again.text
    admin_api.call("token.delete", [admin_api.call("token.get", {"filter": {"name": "no-store"}})[0]["tokenid"]])

    # A reload of the one-time page in the browser never creates again either.
    browser.get("/tokens/new")
    browser.fill("#name", "reloaded")
    browser.set_checked("#expires_state", False)
    browser.submit("#add")
    assert browser.path == "/tokens/view"
    shown_value = read_token_page(browser, tessera_server)
    browser.driver.refresh()
    browser._wait_ready()
    assert browser.path == "/tokens"
    assert browser.message().title == VALUE_GONE
    assert shown_value not in browser.driver.page_source
    assert admin_api.call("token.get", {"filter": {"name": "reloaded"}, "countOutput": True}) == "1"
    admin_api.call("token.delete", [admin_api.call("token.get", {"filter": {"name": "reloaded"}})[0]["tokenid"]])


def test_create_token_without_expiry(browser, tessera_server, admin_api):
    browser.get("/tokens/new")
    browser.fill("#name", "no-expiry")
    browser.set_checked("#expires_state", False)
    assert not browser.find("#expires-row").is_displayed()
    assert not browser.find("#expires_at").is_enabled()
    browser.submit("#add")
    assert browser.message().title == "API token added"
    assert browser.text("#view-name") == "no-expiry"
    assert browser.text("#view-expires") == "-"
    value = read_token_page(browser, tessera_server)
    assert value != made["value"]

    [token] = admin_api.call("token.get", {"filter": {"name": "no-expiry"}, "output": ["expires_at", "status"]})
    assert (token["expires_at"], token["status"]) == ("0", "0")
    answer = api_with(tessera_server, value)
    assert "error" not in answer, answer

    browser.submit("#close")
    row = browser.row("no-expiry")
    assert row["expires"] == "Never" and not row["expired"]
    assert row["lastaccess"] != "Never"


def test_calendar_fills_the_date(browser):
    browser.get("/tokens/new")
    assert browser.find("#expires_calendar").get_attribute("aria-label") == "Pick a date and time"
    browser.fill("#expires_at", "2031-06-15 12:30:00")
    browser.find("#expires_calendar").click()  # opens the browser's own picker at the typed date
    browser.find("body").send_keys("\ue00c")  # Escape closes it, should it be open
    assert browser.find("#expires_picker").get_attribute("value") == "2031-06-15T12:30"
    # Picking a date (the picker's change event) writes it into the text field.
    pick = "const p = document.getElementById('expires_picker'); p.value = arguments[0]; p.dispatchEvent(new Event('change'));"
    browser.driver.execute_script(pick, "2032-01-02T03:04:05")
    assert browser.find("#expires_at").get_attribute("value") == "2032-01-02 03:04:05"
    browser.driver.execute_script(pick, "2032-01-02T03:04")
    assert browser.find("#expires_at").get_attribute("value") == "2032-01-02 03:04:00"


def test_form_errors_keep_the_values(browser, tessera_server, admin_api):
    browser.get("/tokens/new")
    browser.fill("#name", "bad-date")
    browser.fill("#description", "kept")
    browser.fill("#expires_at", "2031-02-30 10:00:00")  # no such day
    browser.submit("#add")
    assert browser.path == "/tokens/create"
    message = browser.message()
    assert not message.ok and message.title == "Cannot add API token"
    assert message.details == ['Incorrect value for field "expires_at": a time is expected.']
    assert browser.find("#name").get_attribute("value") == "bad-date"
    assert browser.find("#description").get_attribute("value") == "kept"
    assert browser.find("#expires_at").get_attribute("value") == "2031-02-30 10:00:00"
    assert browser.find(".multiselect.single input[name=userid]").get_attribute("value") == "1"
    assert browser.finds("#auth-token") == []
    assert admin_api.call("token.get", {"filter": {"name": "bad-date"}, "countOutput": True}) == "0"


def test_owner_is_required(browser, tessera_server, admin_api):
    browser.get("/tokens/new")
    browser.fill("#name", "no-owner")
    browser.find(".multiselect.single .chip-remove").click()
    assert browser.finds(".multiselect.single .chips li") == []
    browser.submit("#add")
    message = browser.message()
    assert not message.ok and message.title == "Cannot add API token"
    assert message.details == ['Field "userid" is mandatory.']
    # The form comes back without an owner, as it was posted.
    assert browser.find("#name").get_attribute("value") == "no-owner"
    assert [i.get_attribute("value") for i in browser.finds(".multiselect.single input[name=userid]")] == []
    assert browser.texts(".multiselect.single .chips li") == []
    assert admin_api.call("token.get", {"filter": {"name": "no-owner"}, "countOutput": True}) == "0"


def test_edit_name_and_description(browser, tessera_server, admin_api):
    tokenid = made["tokenid"]
    browser.get("/tokens")
    browser.submit(browser.row("ci-deploy")["element"].find_element("css selector", ".token-name"))
    assert browser.path == f"/tokens/{tokenid}/edit"
    assert browser.find("#name").get_attribute("value") == "ci-deploy"
    assert browser.text("#user-locked") == ADMIN_LABEL
    assert browser.finds(".multiselect") == []  # the owner cannot change
    assert browser.find("#description").get_attribute("value") == "Deploys from CI"
    assert browser.find("#expires_state").is_selected()
    assert browser.find("#expires_at").get_attribute("value") == "2031-06-15 12:30:00"
    assert browser.find("#status").is_selected()
    assert browser.finds("#add") == []
    assert made["value"] not in browser.driver.page_source
    browser.screenshot("token_edit")

    browser.fill("#name", "ci-deploy-2")
    browser.fill("#description", "Rotated monthly")
    browser.submit("#update")
    assert browser.path == "/tokens"
    message = browser.message()
    assert message.ok and message.title == "API token updated"
    assert "ci-deploy-2" in browser.token_names() and "ci-deploy" not in browser.token_names()
    [token] = admin_api.call("token.get", {"tokenids": [tokenid], "output": ["name", "description", "expires_at"]})
    assert (token["name"], token["description"], token["expires_at"]) == ("ci-deploy-2", "Rotated monthly", str(unix("2031-06-15 12:30:00")))
    # The message is shown once.
    browser.get("/tokens")
    assert browser.message() is None

    # Cancel leaves without changing anything.
    browser.get(f"/tokens/{tokenid}/edit")
    browser.fill("#name", "not-saved")
    browser.submit("#cancel")
    assert browser.path == "/tokens"
    assert admin_api.call("token.get", {"tokenids": [tokenid], "output": ["name"]})[0]["name"] == "ci-deploy-2"

    # The value is unchanged by an edit.
    assert "error" not in api_with(tessera_server, made["value"])


def test_regenerate(browser, tessera_server, admin_api):
    tokenid, old = made["tokenid"], made["value"]
    browser.get(f"/tokens/{tokenid}/edit")
    confirm = "Regenerate selected API token? Previously generated token will become invalid."
    # Dismissing the confirmation changes nothing.
    browser.submit("#regenerate", confirm=confirm, accept=False)
    assert browser.path == f"/tokens/{tokenid}/edit"
    assert "error" not in api_with(tessera_server, old)

    browser.submit("#regenerate", confirm=confirm)
    message = browser.message()
    assert message.ok and message.title == "API token updated"
    assert browser.text("#view-name") == "ci-deploy-2"
    new = read_token_page(browser, tessera_server)
    assert new != old
    made["value"] = new

    refused = api_with(tessera_server, old)
    assert refused["error"] == {"code": -32602, "message": "Invalid params.", "data": "Not authorized."}
    answer = api_with(tessera_server, new)
    assert "error" not in answer, answer
    assert {"tokenid": tokenid, "name": "ci-deploy-2"} in answer["result"]


def test_expired_token_is_marked(browser, tessera_server, admin_api):
    past = unix("2020-01-01 00:00:00")
    tokenid = admin_api.call("token.create", {"name": "long-gone", "expires_at": past})["tokenids"][0]
    browser.get("/tokens")
    row = browser.row("long-gone")
    assert row["expires"] == "2020-01-01 00:00:00" and row["expired"]
    assert not browser.row("ci-deploy-2")["expired"]

    browser.get(f"/tokens/{tokenid}/edit")
    browser.submit("#regenerate", confirm="Regenerate selected API token? Previously generated token will become invalid.")
    assert browser.text("#view-expires") == "2020-01-01 00:00:00 " + EXPIRED_WARNING
    assert browser.text("#expired-warning") == EXPIRED_WARNING
    value = read_token_page(browser, tessera_server)
    assert api_with(tessera_server, value)["error"]["data"] == "API token expired."


def test_status_toggle_from_the_list(browser, tessera_server, admin_api):
    tokenid, value = made["tokenid"], made["value"]
    browser.get("/tokens")
    row = browser.row("ci-deploy-2")
    button = row["element"].find_element("css selector", ".status-toggle")
    assert button.text == "Enabled" and "green" in button.get_attribute("class").split()
    browser.submit(button)
    assert browser.path == "/tokens"
    message = browser.message()
    assert message.ok and message.title == "API token disabled"
    button = browser.row("ci-deploy-2")["element"].find_element("css selector", ".status-toggle")
    assert button.text == "Disabled" and "red" in button.get_attribute("class").split()
    assert browser.row("no-expiry")["status"] == "Enabled"  # only that row
    assert admin_api.call("token.get", {"tokenids": [tokenid], "output": ["status"]})[0]["status"] == "1"
    assert api_with(tessera_server, value)["error"]["data"] == "Not authorized."

    browser.submit(button)
    assert browser.message().title == "API token enabled"
    assert browser.row("ci-deploy-2")["status"] == "Enabled"
    assert admin_api.call("token.get", {"tokenids": [tokenid], "output": ["status"]})[0]["status"] == "0"
    assert "error" not in api_with(tessera_server, value)


def test_mass_disable_enable_delete(browser, tessera_server, admin_api):
    ids = [admin_api.call("token.create", {"name": f"bulk-{n}"})["tokenids"][0] for n in (1, 2, 3)]
    browser.get("/tokens?filter_set=1&filter_name=bulk-")
    assert browser.token_names() == ["bulk-1", "bulk-2", "bulk-3"]
    assert browser.text("#selected-count") == "0 selected"
    for mass in ("#mass-enable", "#mass-disable", "#mass-delete"):
        assert not browser.find(mass).is_enabled()

    # Select all, then untick one.
    browser.find("#select-all").click()
    assert browser.text("#selected-count") == "3 selected"
    assert all(browser.find(mass).is_enabled() for mass in ("#mass-enable", "#mass-disable", "#mass-delete"))
    browser.find(f"tr[data-tokenid='{ids[2]}'] input[type=checkbox]").click()
    assert browser.text("#selected-count") == "2 selected"
    assert not browser.find("#select-all").is_selected()

    # Cancelling the confirmation does nothing.
    browser.submit("#mass-disable", confirm="Disable selected API tokens?", accept=False)
    assert browser.path.startswith("/tokens")
    assert browser.message() is None
    assert [row["status"] for row in browser.token_rows()] == ["Enabled"] * 3

    browser.submit("#mass-disable", confirm="Disable selected API tokens?")
    message = browser.message()
    assert message.ok and message.title == "API tokens disabled"
    assert [row["status"] for row in browser.token_rows()] == ["Disabled", "Disabled", "Enabled"]
    assert browser.text("#selected-count") == "0 selected"
    statuses = {t["tokenid"]: t["status"] for t in admin_api.call("token.get", {"tokenids": ids, "output": ["tokenid", "status"]})}
    assert statuses == {ids[0]: "1", ids[1]: "1", ids[2]: "0"}

    browser.find("#select-all").click()
    browser.submit("#mass-enable", confirm="Enable selected API tokens?")
    assert browser.message().title == "API tokens enabled"
    assert [row["status"] for row in browser.token_rows()] == ["Enabled"] * 3

    # One selected: the singular message.
    browser.find(f"tr[data-tokenid='{ids[0]}'] input[type=checkbox]").click()
    assert browser.text("#selected-count") == "1 selected"
    browser.submit("#mass-delete", confirm="Delete selected API tokens?")
    assert browser.message().title == "API token deleted"
    assert browser.token_names() == ["bulk-2", "bulk-3"]

    browser.find("#select-all").click()
    browser.submit("#mass-delete", confirm="Delete selected API tokens?")
    assert browser.message().title == "API tokens deleted"
    assert browser.token_rows() == []
    assert browser.text("#tokens-table tbody tr.empty") == "No data found."
    assert browser.text("#paging-summary") == "Displaying 0 of 0 found"
    assert admin_api.call("token.get", {"tokenids": ids, "countOutput": True}) == "0"
    browser.get("/tokens?filter_rst=1")


def test_delete_from_the_edit_form(browser, tessera_server, admin_api):
    tokenid = admin_api.call("token.create", {"name": "delete-me"})["tokenids"][0]
    browser.get(f"/tokens/{tokenid}/edit")
    browser.submit("#delete", confirm="Delete selected API token?", accept=False)
    assert browser.path == f"/tokens/{tokenid}/edit"
    browser.submit("#delete", confirm="Delete selected API token?")
    assert browser.path == "/tokens"
    assert browser.message().title == "API token deleted"
    assert "delete-me" not in browser.token_names()
    assert admin_api.call("token.get", {"tokenids": [tokenid], "countOutput": True}) == "0"
    # Its edit page is gone too.
    browser.get(f"/tokens/{tokenid}/edit")
    assert browser.text("#error-page h1") == "Page not found"
    assert browser.http("GET", f"/tokens/{tokenid}/edit").status_code == 404


def test_markup_in_a_name_is_text(browser, tessera_server, admin_api):
    name = "<script>alert(1)</script>"
    description = '<img src=x onerror="alert(2)"><b>bold</b>'
    browser.get("/tokens/new")
    browser.fill("#name", name)
    browser.fill("#description", description)
    browser.set_checked("#expires_state", False)
    browser.submit("#add")
    assert not browser.alert_open()
    assert browser.text("#view-name") == name
    assert browser.text("#view-description") == description
    assert browser.finds("#token-view script, #token-view img, #token-view b") == []
    read_token_page(browser, tessera_server)

    browser.submit("#close")
    assert not browser.alert_open()
    row = browser.row(name)
    assert row["element"].find_elements("css selector", "script") == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in browser.driver.page_source

    browser.submit(row["element"].find_element("css selector", ".token-name"))
    assert not browser.alert_open()
    assert browser.find("#name").get_attribute("value") == name
    assert browser.find("#description").get_attribute("value") == description

    [token] = admin_api.call("token.get", {"filter": {"name": name}, "output": ["name", "description"]})
    assert token["description"] == description
