"""Browser: the sign-in page, the start page per role, sign-out, and CSRF protection of form posts."""

from __future__ import annotations

import html
import http.server
import re
import threading

import pytest

from conftest import rpc

WRONG_PASSWORD = "Incorrect user name or password or account is temporarily blocked."


def test_login_page_and_wrong_password(browser, tessera_server):
    browser.driver.delete_all_cookies()
    browser.get("/")
    assert browser.path == "/login"  # not signed in: the start page sends to the sign-in form
    assert browser.driver.title == "Sign in · Tessera"
    assert browser.find("#username").get_attribute("value") == ""
    assert browser.text("#login-button") == "Sign in"
    assert browser.finds("nav.menu") == []  # no menu before sign-in
    browser.screenshot("login")

    browser.fill("#username", "Admin")
    browser.fill("#password", "not-the-password")
    browser.submit("#login-button")
    assert browser.path == "/login"
    message = browser.message()
    assert message is not None and not message.ok
    assert message.title == WRONG_PASSWORD
    # The username stays, the password does not.
    assert browser.find("#username").get_attribute("value") == "Admin"
    assert browser.find("#password").get_attribute("value") == ""
    assert browser.driver.get_cookie("tessera_session") is None


def test_sign_in_and_out(browser, tessera_server):
    browser.sign_in("Admin", tessera_server.password)
    assert browser.path == "/tokens"
    assert browser.text("h1") == "API tokens"
    assert browser.text("#whoami") == "Admin (Zabbix Administrator)"
    menu = browser.menu()
    assert menu["tokens"] == "API tokens"
    assert menu["profile"] == "Profile"
    assert menu["my-tokens"] == "API tokens"
    # As in Zabbix: the administration pages, then "User settings" with the profile and one's own tokens.
    assert browser.menu_sections() == [
        ("Administration", ["tokens", "users", "roles", "usergroups", "general", "authentication"]),
        ("User settings", ["profile", "my-tokens"]),
    ]
    assert "active" in browser.find("#menu-tokens").get_attribute("class").split()
    # The session cookie is HttpOnly and SameSite.
    cookie = browser.driver.get_cookie("tessera_session")
    assert cookie["httpOnly"] is True
    assert cookie.get("sameSite") == "Lax"
    session = cookie["value"]
    # The web session is an API session too.
    check = {"sessionid": session}
    assert rpc(tessera_server, "user.checkAuthentication", check)["result"]["username"] == "Admin"

    # /login while signed in goes to the start page.
    browser.get("/login")
    assert browser.path == "/tokens"

    browser.sign_out()
    assert browser.path == "/login"
    browser.get("/tokens")
    assert browser.path == "/login"
    # Signing out ended the session on the server, not only in this browser.
    assert rpc(tessera_server, "user.checkAuthentication", check)["error"]["data"] == "Session terminated, re-login, please."


def test_post_without_csrf_is_refused(browser, tessera_server, admin_api):
    tokenid = admin_api.call("token.create", {"name": "csrf-target"})["tokenids"][0]
    browser.sign_in("Admin", tessera_server.password)
    browser.get("/tokens")
    csrf = browser.find("#mass-form input[name=csrf]").get_attribute("value")
    assert re.fullmatch(r"[0-9a-f]{32}", csrf)

    for path, data in [
        ("/tokens/disable", {"tokenids[]": tokenid}),
        ("/tokens/delete", {"tokenids[]": tokenid}),
        ("/tokens/create", {"name": "csrf-created", "userid": "1", "expires_state": "0", "status": "0"}),
        (f"/tokens/{tokenid}/update", {"name": "csrf-renamed", "expires_state": "0", "status": "0"}),
        ("/user/profile", {"lang": "nl_NL"}),
    ]:
        for form in [data, {**data, "csrf": "0" * 32}]:
            r = browser.http("POST", path, data=form)
            assert r.status_code == 403, (path, form, r.status_code)
            assert "Request refused" in r.text
            assert "The form has expired or did not come from this site." in r.text

    token = admin_api.call("token.get", {"tokenids": [tokenid], "output": ["tokenid", "name", "status"]})
    assert token == [{"tokenid": tokenid, "name": "csrf-target", "status": "0"}]
    assert admin_api.call("token.get", {"filter": {"name": "csrf-created"}, "countOutput": True}) == "0"
    assert admin_api.call("user.get", {"userids": ["1"], "output": ["lang"]})[0]["lang"] == "default"

    # The same post with the page's csrf value goes through (so the refusals above were about csrf).
    r = browser.http("POST", "/tokens/disable", data={"tokenids[]": tokenid, "csrf": csrf})
    assert r.status_code == 303 and r.headers["Location"] == "/tokens"
    assert admin_api.call("token.get", {"tokenids": [tokenid], "output": ["status"]})[0]["status"] == "1"

    # The browser shows the refusal page too (a form whose csrf field was removed).
    browser.get("/tokens")
    browser.driver.execute_script("document.querySelector('#mass-form input[name=csrf]').remove()")
    browser.find(f"tr[data-tokenid='{tokenid}'] input[type=checkbox]").click()
    browser.submit("#mass-delete", confirm="Delete selected API tokens?")
    assert browser.text("#error-page h1") == "Request refused"
    assert admin_api.call("token.get", {"tokenids": [tokenid], "countOutput": True}) == "1"


@pytest.fixture
def other_site():
    """Another site: a real HTTP server on `localhost` (a different site from 127.0.0.1, where
    Tessera listens) that serves the pages put into `pages` by path."""
    pages: dict[str, str] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = pages.get(self.path, "not here").encode()
            self.send_response(200 if self.path in pages else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_address[1]}", pages
    server.shutdown()
    server.server_close()


def test_another_site_cannot_sign_the_browser_in_or_change_its_lists(browser, tessera_server, admin_api, other_site):
    site, pages = other_site
    # Login CSRF: a page elsewhere posts the sign-in form with the attacker's own credentials.
    pages["/login.html"] = f"""<!DOCTYPE html><form id="f" method="post" action="{html.escape(tessera_server.base_url)}/login">
<input name="username" value="Admin"><input name="password" value="{html.escape(tessera_server.password)}"></form>
<script>document.getElementById("f").submit();</script>"""
    browser.driver.delete_all_cookies()
    browser.driver.get(site + "/login.html")
    browser.wait(lambda d: d.current_url.startswith(tessera_server.base_url), "the other site's form was not sent")
    browser._wait_ready()
    assert browser.text("#error-page h1") == "Request refused"
    assert browser.driver.get_cookie("tessera_session") is None
    browser.get("/tokens")
    assert browser.path == "/login"

    # A link elsewhere to a sorted list shows it sorted, and the list remembers nothing of it.
    for name in ["cross-a", "cross-b"]:
        admin_api.call("token.create", {"name": name})
    browser.sign_in("Admin", tessera_server.password)
    browser.get("/tokens?filter_rst=1&sort=name&sortorder=ASC")
    ascending = browser.token_names()
    assert ascending == sorted(ascending, key=str.lower) and {"cross-a", "cross-b"} <= set(ascending)
    pages["/link.html"] = f'<!DOCTYPE html><a id="go" href="{html.escape(tessera_server.base_url)}/tokens?sort=name&amp;sortorder=DESC">list</a>'
    browser.driver.get(site + "/link.html")
    browser.driver.find_element("css selector", "#go").click()
    browser.wait(lambda d: d.current_url.startswith(tessera_server.base_url), "the link was not followed")
    browser._wait_ready()
    assert browser.token_names() == list(reversed(ascending))
    browser.get("/tokens")
    assert browser.token_names() == ascending
