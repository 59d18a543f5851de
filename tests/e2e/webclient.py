"""The web UI without a browser: a signed-in `requests` session that posts forms with their CSRF
field, and a reader of the HTML it gets back.

Shared by test_secrets.py and test_web_hardening.py. `WebClient` never follows redirects on its
own (so every answer can be looked at), except through `follow()`; pass `session=` to have its
requests go through a `requests.Session` of your own (e.g. one with a response hook that records).
"""

from __future__ import annotations

import html.parser
import re
import urllib.parse

import requests

SESSION_COOKIE = "tessera_session"
FLASH_COOKIE = "tessera_flash"


class WebClient:
    """One person using the web UI of one server with plain HTTP requests."""

    def __init__(self, server, session: requests.Session | None = None):
        self.server = server
        self.http = session or requests.Session()
        self._csrf: str | None = None

    def url(self, path: str) -> str:
        return self.server.base_url + path

    # -- requests

    def get(self, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", 10)
        return self.http.get(self.url(path), **kwargs)

    def post(self, path: str, data=None, csrf: bool = True, **kwargs) -> requests.Response:
        """A form post; with `csrf` the session's CSRF field is added (unless `data` has one)."""
        fields = list(data.items()) if isinstance(data, dict) else list(data or [])
        if csrf and not any(name == "csrf" for name, _ in fields):
            fields.append(("csrf", self.csrf))
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", 10)
        return self.http.post(self.url(path), data=fields, **kwargs)

    def follow(self, response: requests.Response) -> requests.Response:
        """GET the Location of a redirect (the browser's next page, which shows the flash message)."""
        assert response.status_code in (302, 303), (response.status_code, response.text[:500])
        return self.get(response.headers["Location"])

    # -- session

    @property
    def session_id(self) -> str | None:
        return self.http.cookies.get(SESSION_COOKIE)

    def sign_in(self, username: str, password: str) -> requests.Response:
        """Posts the sign-in form; returns its answer (a 303 to / with the session cookie on success)."""
        self._csrf = None
        self.http.cookies.clear()
        response = self.http.post(
            self.url("/login"), data={"username": username, "password": password}, allow_redirects=False, timeout=10
        )
        assert response.status_code == 303 and self.session_id, (
            f"sign-in as {username!r} failed: HTTP {response.status_code} {response.text[:500]}"
        )
        return response

    def sign_out(self) -> requests.Response:
        response = self.post("/logout")
        self._csrf = None
        return response

    @property
    def csrf(self) -> str:
        """The CSRF field of this session's forms (read once from the profile page)."""
        if self._csrf is None:
            page = self.get("/user/profile")
            assert page.status_code == 200, (page.status_code, page.text[:500])
            self._csrf = csrf_field(page.text)
        return self._csrf


def csrf_field(page: str) -> str:
    """The value of the first `<input name="csrf">` of a page."""
    for tag in HtmlPage(page).tags:
        if tag.name == "input" and tag.attrs.get("name") == "csrf":
            return tag.attrs.get("value") or ""
    raise AssertionError("the page has no csrf field")


# ---------------------------------------------------------------------------------------------
# Reading HTML


class Tag:
    """A start tag as the HTML parser saw it: name, attributes (decoded), and its line."""

    def __init__(self, name: str, attrs: list[tuple[str, str | None]], line: int):
        self.name = name
        self.attr_list = attrs
        self.attrs = {k: (v if v is not None else "") for k, v in attrs}
        self.line = line

    def __repr__(self) -> str:
        return f"<{self.name} {self.attr_list!r} (line {self.line})>"


class HtmlPage(html.parser.HTMLParser):
    """A page parsed the way a browser tokenizes it: start tags with decoded attribute values, the
    decoded text (including the raw text of <textarea> and <title>), and the bodies of <script>."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.source = page
        self.tags: list[Tag] = []
        self.end_tags: list[tuple[str, int]] = []  # (name, line)
        self.texts: list[str] = []
        self.scripts: list[tuple[Tag, str]] = []
        self._open_script: Tag | None = None
        self._script_body: list[str] = []
        self.feed(page)
        self.close()

    def handle_starttag(self, tag, attrs):
        element = Tag(tag, attrs, self.getpos()[0])
        self.tags.append(element)
        if tag == "script":
            self._open_script, self._script_body = element, []

    def handle_startendtag(self, tag, attrs):
        self.tags.append(Tag(tag, attrs, self.getpos()[0]))

    def handle_endtag(self, tag):
        self.end_tags.append((tag, self.getpos()[0]))
        if tag == "script" and self._open_script is not None:
            self.scripts.append((self._open_script, "".join(self._script_body)))
            self._open_script = None

    def handle_data(self, data):
        if self._open_script is not None:
            self._script_body.append(data)
        else:
            self.texts.append(data)

    # -- what the page shows

    @property
    def text(self) -> str:
        """All text content, decoded, joined with newlines (so values do not run into each other)."""
        return "\n".join(self.texts)

    def attribute_values(self) -> list[str]:
        return [value for tag in self.tags for value in tag.attrs.values()]

    def shows(self, value: str) -> bool:
        """True when the value appears, decoded, in some text or attribute of the page."""
        return value in self.text or any(value in v for v in self.attribute_values())

    def by_id(self, element_id: str) -> Tag | None:
        return next((t for t in self.tags if t.attrs.get("id") == element_id), None)

    # -- what a secure page must not have

    def stray_end_tags(self) -> list[str]:
        """End tags without a start tag to close (what a `</textarea>` smuggled into a page leaves)."""
        opened: dict[str, int] = {}
        for tag in self.tags:
            opened[tag.name] = opened.get(tag.name, 0) + 1
        problems = []
        for name, line in self.end_tags:
            if opened.get(name, 0) == 0:
                problems.append(f"a stray </{name}> at line {line}")
            else:
                opened[name] -= 1
        return problems

    def inline_script_problems(self) -> list[str]:
        """Inline code: <script> elements with a body or without src, on…= handler attributes, and
        javascript: URLs in attributes a browser follows."""
        problems = []
        for tag, body in self.scripts:
            if body.strip():
                problems.append(f"inline <script> body at line {tag.line}: {body.strip()[:80]!r}")
            if "src" not in tag.attrs:
                problems.append(f"<script> without src at line {tag.line}")
        for tag in self.tags:
            for name, value in tag.attrs.items():
                if name.lower().startswith("on"):
                    problems.append(f"handler attribute {name}={value!r} on <{tag.name}> at line {tag.line}")
                if name.lower() in ("href", "src", "action", "formaction", "data", "xlink:href") and re.match(
                    r"\s*javascript:", value, re.IGNORECASE
                ):
                    problems.append(f"{name}={value!r} on <{tag.name}> at line {tag.line}")
        return problems


def query(path: str, **params) -> str:
    """`path?urlencoded` (lists become repeated names)."""
    return path + "?" + urllib.parse.urlencode(params, doseq=True)
