"""Browser: the Users → API tokens list: every filter, the user pickers, sorting both ways, paging
(rows per page from the profile), and a creator that no longer exists.

The data is made through the JSON-RPC API once for the module: tokens of Admin, alice and bob,
some made by alice, one by a user that is deleted afterwards.
"""

from __future__ import annotations

import time

import pytest

from conftest import ApiClient

PASSWORD = "Str0ng-Pass-4711!"
DAY = 86400
ADMIN = "Admin (Zabbix Administrator)"
ALICE = "alice (Alice Jansen)"
BOB = "bob (Bob Smith)"

# name → (owner label, creator label or None for deleted, expires in days (None: never, negative: past), status)
TOKENS = {
    "alpha-admin": (ADMIN, ADMIN, None, 0),
    "beta-alice": (ALICE, ADMIN, 3, 0),
    "gamma-bob": (BOB, ADMIN, 30, 0),
    "delta-bob": (BOB, ADMIN, -2, 0),
    "epsilon-admin": (ADMIN, ADMIN, 5, 1),
    "zeta-by-alice": (BOB, ALICE, 2, 0),
    "eta-by-alice": (ALICE, ALICE, None, 0),
    "theta-orphan": (ADMIN, None, None, 0),
}
ALL = sorted(TOKENS)


@pytest.fixture(scope="module")
def data(tessera_server, admin_api, browser):
    tessera_server.secrets.add(PASSWORD)
    ids = {}
    for username, name, surname, roleid in [("alice", "Alice", "Jansen", "3"), ("bob", "Bob", "Smith", "1"), ("temp", "", "", "3")]:
        ids[username] = admin_api.call(
            "user.create",
            {"username": username, "name": name, "surname": surname, "passwd": PASSWORD, "roleid": roleid, "usrgrps": [{"usrgrpid": "7"}]},
        )["userids"][0]
    owners = {ADMIN: "1", ALICE: ids["alice"], BOB: ids["bob"]}
    alice = ApiClient(tessera_server, "alice", PASSWORD)
    temp = ApiClient(tessera_server, "temp", PASSWORD)
    now = int(time.time())
    tokenids = {}
    for name, (owner, creator, days, status) in TOKENS.items():
        api = alice if creator == ALICE else temp if creator is None else admin_api
        params = {"name": name, "userid": owners[owner], "status": status}
        if days is not None:
            params["expires_at"] = now + days * DAY
        tokenids[name] = api.call("token.create", params)["tokenids"][0]
    admin_api.call("user.delete", [ids["temp"]])
    browser.sign_in("Admin", tessera_server.password)
    browser.get("/tokens?filter_rst=1&sort=name&sortorder=ASC")
    return {"users": ids, "tokens": tokenids}


def apply_filter(browser) -> None:
    browser.submit("#filter-apply")
    assert browser.path.startswith("/tokens")


def reset_filter(browser) -> None:
    browser.get("/tokens")
    browser.submit("#filter-reset")
    assert browser.token_names() == ALL


def chips(browser, box_index: int) -> list[tuple[str, str]]:
    """(userid, label) of the chips in the n-th multiselect of the filter."""
    box = browser.finds("#filter-form .multiselect")[box_index]
    return [
        (li.find_element("css selector", "input[type=hidden]").get_attribute("value"), li.text.rstrip("×").strip())
        for li in box.find_elements("css selector", ".chips li")
    ]


def test_list_shows_every_token(browser, data):
    assert browser.token_names() == ALL
    assert browser.text("#paging-summary") == f"Displaying {len(ALL)} of {len(ALL)} found"
    assert browser.finds(".pages") == []
    for name, (owner, creator, days, status) in TOKENS.items():
        row = browser.row(name)
        assert row["tokenid"] == data["tokens"][name]
        assert row["user"] == owner, name
        if creator is not None:  # a deleted creator: test_deleted_creator_is_unknown
            assert row["creator"] == creator, name
        assert row["expired"] == (days is not None and days < 0), name
        assert (row["expires"] == "Never") == (days is None), name
        assert row["lastaccess"] == "Never"
        assert row["status"] == ("Enabled" if status == 0 else "Disabled"), name
    headers = [th.text for th in browser.finds("#tokens-table thead th")][1:]
    assert headers == ["Name", "User", "Expires at", "Created at", "Created by user", "Last accessed at", "Status"]
    # Every column but "Created at" sorts; the list starts sorted by name, ascending (▲ from the CSS class).
    assert [a.get_attribute("data-sort") for a in browser.finds("a.sort")] == ["name", "user", "expires_at", "creator", "lastaccess", "status"]
    assert [a.get_attribute("class").split() for a in browser.finds("a.sort")][0] == ["sort", "sorted-ASC"]
    browser.screenshot("token_list")


def test_deleted_creator_is_unknown(browser, data):
    # The creator of theta-orphan was deleted: the API answers creator_userid "0".
    browser.get("/tokens")
    cell = browser.row("theta-orphan")["element"].find_element("css selector", ".creator")
    assert cell.text == "Unknown"
    assert [em.text for em in cell.find_elements("css selector", "em")] == ["Unknown"]


def test_filter_by_name(browser, data):
    browser.fill("#filter_name", "-bob")
    apply_filter(browser)
    assert browser.token_names() == ["delta-bob", "gamma-bob"]
    assert browser.text("#paging-summary") == "Displaying 2 of 2 found"
    # The filter is remembered.
    browser.get("/tokens")
    assert browser.find("#filter_name").get_attribute("value") == "-bob"
    assert browser.token_names() == ["delta-bob", "gamma-bob"]
    browser.fill("#filter_name", "no such token")
    apply_filter(browser)
    assert browser.token_rows() == []
    assert browser.text("#tokens-table tbody tr.empty") == "No data found."
    reset_filter(browser)
    assert browser.find("#filter_name").get_attribute("value") == ""


def test_filter_by_users(browser, data):
    # Autocomplete: type, pick the suggestion with the mouse.
    browser.type_slowly("#filter_users_input", "Smi")
    assert browser.texts("#filter_users_input ~ .suggestions li") == [BOB]
    browser.find("#filter_users_input ~ .suggestions li").click()
    assert chips(browser, 0) == [(data["users"]["bob"], BOB)]
    assert browser.find("#filter_users_input").get_attribute("value") == ""
    assert not browser.find("#filter_users_input ~ .suggestions").is_displayed()
    apply_filter(browser)
    assert browser.token_names() == ["delta-bob", "gamma-bob", "zeta-by-alice"]
    assert {row["user"] for row in browser.token_rows()} == {BOB}
    assert chips(browser, 0) == [(data["users"]["bob"], BOB)]

    # The Select dialog adds a second user.
    browser.track_fetches()
    browser.find("#filter-form .multiselect .ms-select").click()
    dialog = browser.wait_css("#user-dialog")
    browser.wait_fetches()
    assert browser.texts("#user-dialog-list button") == [ADMIN, ALICE, BOB, "guest"]
    dialog.find_elements("css selector", "#user-dialog-list button")[1].click()
    browser.wait(lambda d: not browser.find("#user-dialog").is_displayed(), "the dialog did not close")
    assert chips(browser, 0) == [(data["users"]["bob"], BOB), (data["users"]["alice"], ALICE)]
    apply_filter(browser)
    assert browser.token_names() == ["beta-alice", "delta-bob", "eta-by-alice", "gamma-bob", "zeta-by-alice"]
    browser.screenshot("token_list_filtered")

    # Removing a chip and applying drops that user.
    browser.finds("#filter-form .multiselect")[0].find_elements("css selector", ".chip-remove")[0].click()
    assert chips(browser, 0) == [(data["users"]["alice"], ALICE)]
    apply_filter(browser)
    assert browser.token_names() == ["beta-alice", "eta-by-alice"]
    reset_filter(browser)
    assert chips(browser, 0) == []


def test_user_dialog_search_narrows_the_list(browser, data):
    browser.get("/tokens")
    browser.track_fetches()
    browser.find("#filter-form .multiselect .ms-select").click()
    browser.wait_css("#user-dialog")
    browser.wait_fetches()
    assert browser.texts("#user-dialog-list button") == [ADMIN, ALICE, BOB, "guest"]
    try:
        # One search per keystroke; on a slow network their answers arrive together.
        browser.track_fetches(hold="search=")
        browser.find("#user-dialog-search").send_keys("jans")
        browser.release_fetches()
        browser.wait_fetches()
        labels = browser.texts("#user-dialog-list button")
    finally:
        browser.find("#user-dialog-close").click()
        browser.wait(lambda d: not browser.find("#user-dialog").is_displayed(), "the dialog did not close")
    assert labels == [ALICE], f"the dialog lists the answer of every keystroke: {labels}"
    assert chips(browser, 0) == []


def test_late_suggestions_do_not_reopen_the_list(browser, data):
    """A slow answer for an earlier keystroke must not replace a newer one or reopen a closed list."""
    browser.get("/tokens")
    field = browser.find("#filter_creators_input")
    browser.track_fetches(hold=r"search=a$")  # the answer for "a" comes last
    field.send_keys("alic")
    browser.wait_fetches()
    assert browser.texts("#filter_creators_input ~ .suggestions li") == [ALICE]
    field.send_keys("\ue007")  # Enter takes the highlighted suggestion and closes the list
    assert chips(browser, 1) == [(data["users"]["alice"], ALICE)]
    assert not browser.find("#filter_creators_input ~ .suggestions").is_displayed()
    browser.release_fetches()
    browser.wait_fetches()
    shown = browser.texts("#filter_creators_input ~ .suggestions li")
    reopened = browser.find("#filter_creators_input ~ .suggestions").is_displayed()
    browser.get("/tokens")  # leave nothing half-chosen behind
    assert not reopened, f"the list opened again after the choice, showing {shown}"


def test_late_suggestions_do_not_replace_newer_ones(browser, data):
    """The answer for "a" arriving after the one for "alic" must not become the list Enter picks from."""
    browser.get("/tokens")
    field = browser.find("#filter_creators_input")
    browser.track_fetches(hold=r"search=a$")
    field.send_keys("alic")
    browser.wait_fetches()
    assert browser.texts("#filter_creators_input ~ .suggestions li") == [ALICE]
    browser.release_fetches()
    browser.wait_fetches()
    shown = browser.texts("#filter_creators_input ~ .suggestions li")
    field.send_keys("\ue007")  # Enter
    picked = chips(browser, 1)
    browser.get("/tokens")  # leave nothing half-chosen behind
    assert (shown, picked) == ([ALICE], [(data["users"]["alice"], ALICE)]), (
        f'typing "alic" shows the suggestions for "a" {shown}, and Enter picks {picked}'
    )


def test_filter_by_created_by(browser, data):
    # Keyboard: type, Enter takes the first suggestion.
    browser.type_slowly("#filter_creators_input", "alic")
    field = browser.find("#filter_creators_input")
    assert browser.texts("#filter_creators_input ~ .suggestions li") == [ALICE]
    assert browser.find("#filter_creators_input ~ .suggestions li").get_attribute("aria-selected") == "true"
    field.send_keys("\ue007")  # Enter
    assert chips(browser, 1) == [(data["users"]["alice"], ALICE)]
    apply_filter(browser)
    assert browser.token_names() == ["eta-by-alice", "zeta-by-alice"]
    assert {row["creator"] for row in browser.token_rows()} == {ALICE}
    reset_filter(browser)


def test_filter_by_expiry(browser, data):
    days = browser.find("#filter_expires_days")
    assert not days.is_enabled()
    browser.set_checked("#filter_expires_state", True)
    assert days.is_enabled()
    browser.fill("#filter_expires_days", "7")
    apply_filter(browser)
    # Expiring within 7 days and not yet expired.
    assert browser.token_names() == ["beta-alice", "epsilon-admin", "zeta-by-alice"]
    assert browser.find("#filter_expires_state").is_selected()
    assert browser.find("#filter_expires_days").get_attribute("value") == "7"
    browser.fill("#filter_expires_days", "31")
    apply_filter(browser)
    assert browser.token_names() == ["beta-alice", "epsilon-admin", "gamma-bob", "zeta-by-alice"]
    reset_filter(browser)
    assert not browser.find("#filter_expires_state").is_selected()


def test_filter_by_status(browser, data):
    assert browser.find("#filter_status_any").is_selected()
    browser.find("label[for=filter_status_disabled]").click()
    apply_filter(browser)
    assert browser.token_names() == ["epsilon-admin"]
    assert browser.find("#filter_status_disabled").is_selected()
    browser.find("label[for=filter_status_enabled]").click()
    apply_filter(browser)
    assert browser.token_names() == [n for n in ALL if n != "epsilon-admin"]
    # Filters combine: enabled + name.
    browser.fill("#filter_name", "alice")
    apply_filter(browser)
    assert browser.token_names() == ["beta-alice", "eta-by-alice", "zeta-by-alice"]
    reset_filter(browser)
    assert browser.find("#filter_status_any").is_selected()


def sort_by(browser, key: str, order: str) -> None:
    link = browser.find(f"a.sort[data-sort={key}]")
    if f"sorted-{order}" not in link.get_attribute("class").split():
        browser.submit(link)
    link = browser.find(f"a.sort[data-sort={key}]")
    if f"sorted-{order}" not in link.get_attribute("class").split():
        browser.submit(link)
    assert f"sorted-{order}" in browser.find(f"a.sort[data-sort={key}]").get_attribute("class").split()


def test_sort_by_name_both_ways(browser, data):
    link = browser.find("a.sort[data-sort=name]")
    assert "sorted-ASC" in link.get_attribute("class").split()
    browser.submit(link)  # the sorted column's link turns the order around
    assert "sorted-DESC" in browser.find("a.sort[data-sort=name]").get_attribute("class").split()
    assert browser.token_names() == sorted(ALL, reverse=True)
    browser.submit("a.sort[data-sort=name]")
    assert browser.token_names() == ALL
    # Remembered across visits.
    sort_by(browser, "name", "DESC")
    browser.get("/tokens")
    assert browser.token_names() == sorted(ALL, reverse=True)


def test_sort_by_other_columns(browser, data):
    def never_first(text):  # Never counts as 0 when sorting by time
        return "" if text == "Never" else text

    sort_by(browser, "expires_at", "ASC")
    values = [never_first(r["expires"]) for r in browser.token_rows()]
    assert values == sorted(values) and values[0] == ""
    sort_by(browser, "expires_at", "DESC")
    values = [never_first(r["expires"]) for r in browser.token_rows()]
    assert values == sorted(values, reverse=True) and values[-1] == ""
    assert browser.token_rows()[0]["tokenid"] == data["tokens"]["gamma-bob"]  # the farthest expiry

    sort_by(browser, "user", "ASC")
    users = [r["user"] for r in browser.token_rows()]
    assert users == sorted(users, key=str.lower)
    sort_by(browser, "user", "DESC")
    users = [r["user"] for r in browser.token_rows()]
    assert users == sorted(users, key=str.lower, reverse=True)

    sort_by(browser, "status", "DESC")
    assert browser.token_rows()[0]["name"] == "epsilon-admin"
    sort_by(browser, "status", "ASC")
    assert browser.token_rows()[-1]["name"] == "epsilon-admin"

    sort_by(browser, "creator", "ASC")
    rows = browser.token_rows()
    assert rows[0]["name"] == "theta-orphan"  # a deleted creator has no name: it sorts first
    creators = [r["creator"] for r in rows[1:]]
    assert creators == sorted(creators, key=str.lower)
    sort_by(browser, "name", "ASC")
    assert browser.token_names() == ALL


def test_paging_with_rows_per_page_from_the_profile(browser, tessera_server, data):
    browser.get("/user/profile")
    assert browser.text("#profile-username") == "Admin"
    assert browser.find("#rows_per_page").get_attribute("value") == "50"
    browser.screenshot("profile")
    browser.fill("#rows_per_page", "2")
    browser.submit("#save")
    assert browser.path == "/user/profile"
    message = browser.message()
    assert message.ok and message.title == "User updated"
    assert browser.find("#rows_per_page").get_attribute("value") == "2"

    try:
        browser.get("/tokens")
        sort_by(browser, "name", "ASC")
        assert browser.token_names() == ALL[0:2]
        assert browser.text("#paging-summary") == "Displaying 1 to 2 of 8 found"
        pages = browser.finds(".pages a")
        assert [a.text for a in pages] == ["1", "2", "3", "4"]
        assert [a.get_attribute("class") for a in pages] == ["current", "", "", ""]
        assert browser.find(".pages a.current").get_attribute("aria-current") == "page"

        browser.submit(browser.finds(".pages a")[2])
        assert browser.token_names() == ALL[4:6]
        assert browser.text("#paging-summary") == "Displaying 5 to 6 of 8 found"
        assert browser.text(".pages a.current") == "3"

        browser.submit(browser.finds(".pages a")[3])
        assert browser.token_names() == ALL[6:8]
        assert browser.text("#paging-summary") == "Displaying 7 to 8 of 8 found"

        # The page is remembered; sorting keeps it, a new filter starts at page 1.
        browser.get("/tokens")
        assert browser.text(".pages a.current") == "4"
        sort_by(browser, "name", "DESC")
        assert browser.token_names() == sorted(ALL, reverse=True)[6:8]
        sort_by(browser, "name", "ASC")
        browser.fill("#filter_name", "a")  # every name has an "a": a new filter starts again at page 1
        apply_filter(browser)
        assert browser.token_names() == ALL[0:2]
        assert browser.text(".pages a.current") == "1"
        browser.fill("#filter_name", "alice")
        apply_filter(browser)
        assert browser.token_names() == ["beta-alice", "eta-by-alice"]
        assert browser.text("#paging-summary") == "Displaying 1 to 2 of 3 found"
        browser.submit(browser.finds(".pages a")[1])
        assert browser.token_names() == ["zeta-by-alice"]
        assert browser.text("#paging-summary") == "Displaying 3 to 3 of 3 found"
        browser.fill("#filter_name", "-bob")
        apply_filter(browser)
        assert browser.text("#paging-summary") == "Displaying 2 of 2 found"
        assert browser.finds(".pages") == []
        reset_filter_paged(browser)
    finally:
        browser.get("/user/profile")
        browser.fill("#rows_per_page", "50")
        browser.submit("#save")
        assert browser.message().title == "User updated"


def reset_filter_paged(browser) -> None:
    browser.submit("#filter-reset")
    assert browser.text("#paging-summary") == "Displaying 1 to 2 of 8 found"
