"""Browser: the UI in Dutch after choosing nl_NL on the profile page, and back to English."""

from __future__ import annotations

import re

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
        "profile": "Gebruikersprofiel", "my-tokens": "API-tokens",
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


def test_back_to_english(browser, admin_api):
    choose_language(browser, "en_US")
    assert browser.message().title == "User updated"
    assert browser.find("html").get_attribute("lang") == "en"
    browser.get("/tokens")
    assert browser.text("#create-token") == "Create API token"
    assert admin_api.call("user.get", {"userids": ["1"], "output": ["lang"]})[0]["lang"] == "en_US"
