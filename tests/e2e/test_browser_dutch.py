"""Browser: the UI in Dutch after choosing nl_NL on the profile page, and back to English."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import TOKEN_RE


@pytest.fixture(scope="module", autouse=True)
def data(tessera_server, admin_api, browser):
    admin_api.call("token.create", {"name": "nl-een"})
    admin_api.call("token.create", {"name": "nl-twee", "status": 1})
    browser.sign_in("Admin", tessera_server.password)


def choose_language(browser, value: str) -> None:
    from selenium.webdriver.support.ui import Select

    browser.get("/user/profile")
    Select(browser.find("#lang")).select_by_value(value)
    browser.submit("#save")
    assert browser.path == "/user/profile"


def test_dutch_through_the_profile(browser, admin_api):
    browser.get("/user/profile")
    options = {o.get_attribute("value"): o.text for o in browser.finds("#lang option")}
    assert options["nl_NL"] == "Nederlands (nl_NL)" and options["en_US"] == "English (en_US)"
    choose_language(browser, "nl_NL")
    message = browser.message()
    assert message.ok and message.title == "Gebruiker bijgewerkt"
    assert browser.find("html").get_attribute("lang") == "nl"
    assert browser.text("h1") == "Gebruikersprofiel"
    assert browser.text("label[for=lang]") == "Taal"
    assert browser.text("label[for=rows_per_page]") == "Rijen per pagina"
    assert browser.text("#save") == "Opslaan"
    assert admin_api.call("user.get", {"userids": ["1"], "output": ["lang"]})[0]["lang"] == "nl_NL"


def test_dutch_token_list(browser):
    browser.get("/tokens")
    assert browser.driver.title == "API-tokens · Tessera"
    dutch = {
        "tokens": "API-tokens", "users": "Gebruikers", "roles": "Gebruikersrollen", "usergroups": "Gebruikersgroepen",
        "general": "Algemeen", "authentication": "Authenticatie", "profile": "Gebruikersprofiel", "my-tokens": "API-tokens",
    }
    menu = browser.menu()
    assert {"tokens", "profile", "my-tokens"} <= set(menu)
    assert menu == {key: dutch[key] for key in menu}
    assert [heading for heading, _ in browser.menu_sections()] == ["Beheer", "Gebruikersinstellingen"]
    assert browser.text("#sign-out") == "Afmelden"
    assert browser.text("h1") == "API-tokens"
    assert browser.text("#create-token") == "API-token maken"
    assert browser.text("#filter summary") == "Filter"
    assert browser.text("label[for=filter_name]") == "Naam"
    assert browser.text("label[for=filter_users_input]") == "Gebruikers"
    assert browser.text("label[for=filter_expires_state]") == "Verloopt in minder dan"
    assert browser.text("label[for=filter_creators_input]") == "Gemaakt door gebruikers"
    assert browser.texts("#filter-form .segmented label") == ["Alle", "Ingeschakeld", "Uitgeschakeld"]
    assert browser.find("#filter_users_input").get_attribute("placeholder") == "typ hier om te zoeken"
    assert browser.text("#filter-apply") == "Toepassen"
    assert browser.text("#filter-reset") == "Resetten"
    headers = browser.texts("#tokens-table thead th")[1:]
    assert headers == ["Naam", "Gebruiker", "Vervaldatum", "Gemaakt op", "Gemaakt door gebruiker", "Laatst gebruikt op", "Status"]
    rows = {row["name"]: row for row in browser.token_rows()}
    assert rows["nl-een"]["status"] == "Ingeschakeld"
    assert rows["nl-twee"]["status"] == "Uitgeschakeld"
    assert rows["nl-een"]["expires"] == "Nooit" and rows["nl-een"]["lastaccess"] == "Nooit"
    assert browser.text("#selected-count") == "0 geselecteerd"
    assert [browser.text(b) for b in ("#mass-enable", "#mass-disable", "#mass-delete")] == ["Inschakelen", "Uitschakelen", "Verwijderen"]
    assert browser.text("#paging-summary") == "2 van 2 gevonden weergegeven"
    browser.screenshot("token_list_nl")

    browser.find("#select-all").click()
    assert browser.text("#selected-count") == "2 geselecteerd"
    browser.submit("#mass-disable", confirm="Geselecteerde API-tokens uitschakelen?")
    message = browser.message()
    assert message.ok and message.title == "API-tokens uitgeschakeld"
    assert [row["status"] for row in browser.token_rows()] == ["Uitgeschakeld", "Uitgeschakeld"]


def test_dutch_token_form(browser, tessera_server):
    browser.get("/tokens/new")
    assert browser.text("h1") == "API-tokens"
    assert browser.text("label[for=name]") == "Naam"
    assert browser.text("label[for=user_input]") == "Gebruiker"
    assert browser.text("label[for=description]") == "Beschrijving"
    assert browser.text("label[for=expires_state]") == "Instellen vervaldatum en tijd"
    assert browser.text("label[for=expires_at]") == "Vervaldatum"
    assert browser.text("label[for=status]") == "Ingeschakeld"
    assert browser.text("#user-select") == "Selecteren"
    assert browser.text("#add") == "Toevoegen"
    assert browser.text("#cancel") == "Annuleren"
    assert browser.find("#expires_at").get_attribute("placeholder") == "JJJJ-MM-DD uu:mm:ss"
    browser.find("#user-select").click()
    browser.wait(lambda d: browser.find("#user-dialog").is_displayed(), "the select dialog did not open")
    assert browser.text("#user-dialog-title") == "Gebruikers"
    assert browser.find("#user-dialog-search").get_attribute("aria-label") == "Gebruikers zoeken"
    assert browser.find("#user-dialog-search").get_attribute("placeholder") == "typ hier om te zoeken"
    assert browser.text("#user-dialog-close") == "Sluiten"
    browser.find("#user-dialog-close").click()

    browser.fill("#name", "nl-drie")
    browser.submit("#add")
    message = browser.message()
    assert message.ok and message.title == "API-token toegevoegd"
    assert browser.text("#token-warning") == "⚠ Kopieer het authenticatietoken nu: u kunt het niet meer bekijken nadat de pagina is gesloten."
    assert browser.text("#copy-token") == "Kopiëren naar klembord"
    assert browser.text("#close") == "Sluiten"
    value = browser.text("#auth-token")
    assert re.fullmatch(TOKEN_RE, value)
    tessera_server.secrets.add(value)

    # A form error in Dutch.
    browser.get("/tokens/new")
    browser.fill("#name", "nl-vier")
    browser.fill("#expires_at", "morgen")
    browser.submit("#add")
    message = browser.message()
    assert not message.ok and message.title == "Kan API-token niet toevoegen"
    assert message.details == ['Onjuiste waarde voor veld "expires_at": een tijd wordt verwacht.']


LAYOUT = """
const box = (el) => el.getBoundingClientRect();
const picker = document.querySelector(".multiselect[data-name='filter_userids[]']");
const field = box(picker.querySelector(".ms-box") || picker), select = box(picker.querySelector(".ms-select"));
const input = picker.querySelector(".ms-input"), style = getComputedStyle(input);
const ctx = document.createElement("canvas").getContext("2d");
ctx.font = style.font;
const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
const line = parseFloat(getComputedStyle(document.querySelector("table.list td")).lineHeight) || 22;
const cells = [...document.querySelectorAll("table.list tbody td.name, table.list tbody td.expires, table.list tbody td.created, table.list tbody td.lastaccess, table.list tbody td.user")];
return {
  noSideways: document.documentElement.scrollWidth <= window.innerWidth,
  selectBeside: select.left >= field.right - 1 && select.top < field.bottom && select.bottom > field.top
    && select.right <= box(picker.closest(".field")).right + 1,
  placeholderFits: ctx.measureText(input.placeholder).width + padding <= input.clientWidth + 1,
  wrapped: cells.filter((td) => td.querySelector("a, *") ? td.scrollHeight > 2 * line : td.getClientRects()[0].height > 2.2 * line).map((td) => td.textContent.trim()),
  multiline: cells.filter((td) => { const r = document.createRange(); r.selectNodeContents(td); return r.getClientRects().length > 1 && new Set([...r.getClientRects()].map((c) => Math.round(c.top))).size > 1; }).map((td) => td.textContent.trim()),
};
"""


def test_dutch_list_layout_at_1400_px(browser, admin_api):
    """Several chosen users keep the Select button beside the box, the placeholder is whole, the page
    needs no sideways scrolling, and names (hyphens and all) and dates stay on one line."""
    for name in ["nl-ci-deploy-productie", "nl-back-up-nacht"]:
        admin_api.call("token.create", {"name": name, "expires_at": 2000000000})
    for username in ["nl-jansen", "nl-de-vries", "nl-van-den-berg"]:
        admin_api.call("user.create", {"username": username, "name": username, "surname": "Achternaam-Dubbel", "passwd": "Lang-wachtwoord-91", "roleid": "1", "usrgrps": [{"usrgrpid": "7"}]})
    ids = [u["userid"] for u in admin_api.call("user.get", {"output": ["userid"], "filter": {"username": ["Admin", "nl-jansen", "nl-de-vries", "nl-van-den-berg"]}})]
    choose_language(browser, "nl_NL")
    size = browser.driver.get_window_size()
    browser.driver.set_window_size(1400, 900)
    try:
        browser.get("/tokens?filter_set=1&" + "&".join(f"filter_userids[]={i}" for i in ids))
        assert len(browser.finds(".multiselect[data-name='filter_userids[]'] .chips li")) == 4
        layout = browser.driver.execute_script(LAYOUT)
        browser.screenshot("token_list_nl_1400")
        assert layout == {"noSideways": True, "selectBeside": True, "placeholderFits": True, "wrapped": [], "multiline": []}
    finally:
        browser.driver.set_window_size(size["width"], size["height"])
        browser.get("/tokens?filter_rst=1")
        choose_language(browser, "default")


def test_back_to_english(browser, admin_api):
    choose_language(browser, "en_US")
    assert browser.message().title == "User updated"
    assert browser.find("html").get_attribute("lang") == "en"
    browser.get("/tokens")
    assert browser.text("#create-token") == "Create API token"
    assert admin_api.call("user.get", {"userids": ["1"], "output": ["lang"]})[0]["lang"] == "en_US"


CATALOGS = Path(__file__).resolve().parents[2] / "Sources/Tessera/Resources/i18n"

# What a page shows a reader: the text of every element, and the attributes read out or shown.
SHOWN_TEXTS = """
const texts = [];
for (const el of document.querySelectorAll("body *")) {
  for (const node of el.childNodes) if (node.nodeType === 3 && node.textContent.trim()) texts.push(node.textContent.trim());
  for (const name of ["placeholder", "aria-label", "title", "data-confirm"]) if (el.getAttribute(name)) texts.push(el.getAttribute(name));
}
return texts;
"""


def test_no_english_is_left_in_the_dutch_pages(browser, admin_api):
    """Every text of the English catalog that Dutch says otherwise is absent from every Dutch page,
    with the select dialog open where there is one."""
    english = json.loads((CATALOGS / "en.json").read_text())
    dutch = json.loads((CATALOGS / "nl.json").read_text())
    untranslated = {text for key, text in english.items() if dutch.get(key) != text and re.search(r"[A-Za-z]{3}", text)}
    untranslated -= set(dutch.values())
    # Names of stored things are data, not texts of the UI ("User role", the "Disabled" group, "Admin").
    untranslated -= {role["name"] for role in admin_api.call("role.get", {"output": ["name"]})}
    untranslated -= {group["name"] for group in admin_api.call("usergroup.get", {"output": ["name"]})}
    untranslated -= {u[field] for u in admin_api.call("user.get", {"output": ["username", "name", "surname"]}) for field in u if field != "userid"}
    [token] = admin_api.call("token.get", {"filter": {"name": "nl-een"}, "output": ["tokenid"]})
    choose_language(browser, "nl_NL")
    pages = ["/tokens", "/tokens/new", f"/tokens/{token['tokenid']}/edit", "/user/tokens", "/user/tokens/new", "/users", "/users/new",
             "/users/1/edit", "/roles", "/roles/new", "/usergroups", "/usergroups/new", "/user/profile", "/administration/general",
             "/administration/authentication"]
    found = {}
    for page in pages:
        browser.get(page)
        for select in browser.finds(".ms-select")[:1]:
            select.click()
            browser.wait(lambda d: browser.find("#user-dialog").is_displayed(), f"{page}: the select dialog did not open")
            assert browser.text("#user-dialog-close") == "Sluiten", page
            assert browser.find("#user-dialog-search").get_attribute("aria-label") == "Gebruikers zoeken", page
        shown = browser.driver.execute_script(SHOWN_TEXTS)
        english_here = sorted({text for text in shown if text in untranslated})
        if english_here:
            found[page] = english_here
    choose_language(browser, "default")
    assert found == {}
