"""Fixtures for the end-to-end suite: a real `tessera serve` process per test module.

The server binary is `.build/debug/tessera` (override with the env var TESSERA_BIN). Each
server gets a free port on 127.0.0.1, its own data folder, a known Admin password and an
API version; its stdout/stderr go to a log file that tests can read (`server.read_log()`).

Parametrize a module by API version with

    pytestmark = pytest.mark.parametrize("tessera_server", ["7.0.0", "6.0.14"], indirect=True, scope="module")

A param is either a version string or a `ServerSpec` (version + storage backend). Without a
param the server reports 7.0.0 on SQLite. The backend "postgres" needs TESSERA_TEST_POSTGRES_URL
(postgres://user@host:port/db on a throwaway cluster, as scripts/test sets it); each such server
gets a fresh database created with psql, and the test is skipped when the variable is unset.

Secrets a test sees (token values, passwords) can be registered with `server.secrets.add(...)`:
after the process has stopped, the fixture fails if any of them occurs in the server's log.

The browser suite (test_browser_*.py) adds the module-scoped fixtures `browser` (a headless
Chromium through Selenium on the module's server, wrapped in `Browser`: sign-in, waits, page
readers, screenshots into tests/e2e/screenshots/) and `admin_api` (JSON-RPC calls as Admin).
A failing browser test leaves tests/e2e/screenshots/failed/<test>.png and .html.

The scale-out suites (test_scaleout_*.py) run several servers on one PostgreSQL database
(`TesseraServer(spec, workdir, database_url=...)`, started together with `launch()` and then
`wait_healthy()`), and stop and start a dedicated cluster (scripts/pg-cluster.sh halt/resume). What
they measure is printed under "scale-out figures" at the end of the run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import secrets as pysecrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
from pathlib import Path

import pytest
import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BIN = REPO_ROOT / ".build" / "debug" / "tessera"
ADMIN_PASSWORD = "e2e-Admin-pw-4711"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0


@dataclasses.dataclass(frozen=True)
class ServerSpec:
    """What kind of server a test module wants."""

    api_version: str = "7.0.0"
    backend: str = "sqlite"  # "sqlite" (embedded, --data-dir) or "postgres" (--database)

    def __str__(self) -> str:
        return self.api_version if self.backend == "sqlite" else f"{self.api_version}-{self.backend}"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tessera_binary() -> Path:
    path = Path(os.environ.get("TESSERA_BIN") or DEFAULT_BIN)
    if not path.is_file() or not os.access(path, os.X_OK):
        pytest.fail(f"tessera binary not found at {path}: run `swift build` first or set TESSERA_BIN", pytrace=False)
    return path


def _psql(base_url: str, sql: str) -> None:
    psql = shutil.which("psql") or "/usr/lib/postgresql/15/bin/psql"
    subprocess.run([psql, "-v", "ON_ERROR_STOP=1", "-qAt", base_url, "-c", sql], check=True, capture_output=True, timeout=30)


def create_postgres_database(base_url: str) -> tuple[str, str]:
    """Creates a fresh database on the cluster of `base_url`; returns (name, URL)."""
    name = "tessera_e2e_" + pysecrets.token_hex(6)
    _psql(base_url, f'CREATE DATABASE "{name}"')
    parts = urllib.parse.urlsplit(base_url)
    return name, urllib.parse.urlunsplit(parts._replace(path="/" + name))


class TesseraServer:
    """One running `tessera serve` process."""

    def __init__(
        self,
        spec: ServerSpec,
        workdir: Path,
        database_url: str | None = None,
        extra_args: list[str] | None = None,
        scheme: str = "http",
        verify: bool | str = True,
    ):
        """`database_url`: run on this existing PostgreSQL database (shared with other servers, never
        dropped here) instead of creating a fresh one for a "postgres" spec. `extra_args`: more
        `tessera serve` arguments, appended to the command line (e.g. `["--metrics-port", "9100"]`).
        `scheme`: "https" for a server started with --tls-cert/--tls-key; `verify` is what `requests`
        checks its certificate against (a CA file), used by the health wait and `rpc()`."""
        self.spec = spec
        self.api_version = spec.api_version
        self.password = ADMIN_PASSWORD
        self.port = free_port()
        self.extra_args: list[str] = list(extra_args or [])
        self.scheme = scheme
        self.verify = verify
        self.base_url = f"{scheme}://127.0.0.1:{self.port}"
        self.api_url = f"{self.base_url}/api_jsonrpc.php"
        self.data_dir = workdir / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = workdir / "server.log"
        self.database_url: str | None = database_url
        self.database_name: str | None = None  # set only for a database this server created (and drops)
        self.secrets: set[str] = {self.password}
        self.process: subprocess.Popen | None = None
        self._log_file = None

    def command(self) -> list[str]:
        cmd = [
            str(tessera_binary()),
            "serve",
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--data-dir", str(self.data_dir),
            "--api-version", self.api_version,
            # debug logs the most: the plaintext token must not show up even there.
            "--log-level", os.environ.get("TESSERA_E2E_LOG_LEVEL", "debug"),
        ]
        if self.database_url:
            cmd += ["--database", self.database_url]
        return cmd + self.extra_args

    def start(self) -> None:
        self.launch()
        self._wait_healthy()

    def launch(self) -> None:
        """Starts the process without waiting for it (see `wait_healthy`): several servers can start at once."""
        if self.spec.backend == "postgres" and self.database_url is None:
            base = os.environ.get("TESSERA_TEST_POSTGRES_URL")
            if not base:
                pytest.skip("TESSERA_TEST_POSTGRES_URL is not set (scripts/test sets it)")
            self.database_name, self.database_url = create_postgres_database(base)

        # Only what we set here configures the server: drop any TESSERA_* from the caller.
        env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
        env["TESSERA_ADMIN_PASSWORD"] = self.password
        self._log_file = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            self.command(),
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=self.data_dir,
            start_new_session=True,
        )

    def wait_healthy(self) -> None:
        """Waits until GET /healthz answers 200; fails the test (and stops the process) otherwise."""
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        last_error = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.stop()
                pytest.fail(
                    f"tessera exited with code {self.process.returncode} before answering /healthz:\n{self.read_log()}",
                    pytrace=False,
                )
            try:
                r = requests.get(f"{self.base_url}/healthz", timeout=2, verify=self.verify)
                if r.status_code == 200:
                    return
                last_error = f"HTTP {r.status_code}"
            except requests.RequestException as err:
                last_error = str(err)
            time.sleep(0.1)
        self.stop()
        pytest.fail(
            f"tessera did not answer GET /healthz with 200 within {START_TIMEOUT:.0f} s ({last_error}):\n{self.read_log()}",
            pytrace=False,
        )

    def stop(self) -> None:
        """Stops the process (SIGTERM, then SIGKILL); safe to call twice."""
        proc = self.process
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=STOP_TIMEOUT)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        if self.database_name:
            name, self.database_name = self.database_name, None
            try:
                _psql(os.environ["TESSERA_TEST_POSTGRES_URL"], f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except (KeyError, subprocess.SubprocessError):
                pass  # a throwaway cluster goes away anyway

    def read_log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def leaked_secrets(self) -> list[str]:
        log = self.read_log()
        return sorted(s for s in self.secrets if s and s in log)


def _spec(param) -> ServerSpec:
    if param is None:
        return ServerSpec()
    if isinstance(param, ServerSpec):
        return param
    return ServerSpec(api_version=str(param))


@contextlib.contextmanager
def running(tmp_path: Path, *args: str, spec: ServerSpec | None = None, name: str = "server", **kwargs):
    """A started `tessera serve` with `args` appended, stopped afterwards; fails the test when a
    registered secret (`server.secrets`) appears in its log."""
    workdir = tmp_path / name
    workdir.mkdir(parents=True, exist_ok=True)
    server = TesseraServer(spec or ServerSpec(), workdir, extra_args=list(args), **kwargs)
    try:
        server.start()
        yield server
    finally:
        server.stop()
    leaked = server.leaked_secrets()
    if leaked:
        # From a module-scoped fixture, reported as an error of whichever test comes next.
        pytest.fail(f"server {server.spec}: secret values appear in {server.log_path}: {[s[:4] + '…' for s in leaked]}", pytrace=False)


@pytest.fixture(scope="module")
def tessera_server(request, tmp_path_factory):
    """A running Tessera server for the whole module (param: API version or ServerSpec)."""
    spec = _spec(getattr(request, "param", None))
    with running(tmp_path_factory.mktemp(f"tessera-{spec}".replace(".", "_")), spec=spec) as server:
        yield server


def rpc(server: TesseraServer, method: str, params, auth: str | None = None, bearer: str | None = None, rid=1) -> dict:
    """One raw JSON-RPC call; returns the decoded response body."""
    body = {"jsonrpc": "2.0", "method": method, "params": params, "id": rid}
    if auth is not None:
        body["auth"] = auth
    headers = {"Content-Type": "application/json-rpc"}
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    r = requests.post(server.api_url, json=body, headers=headers, timeout=10, verify=getattr(server, "verify", True))
    assert r.status_code == 200, (r.status_code, r.text)
    return r.json()


# ---------------------------------------------------------------------------------------------
# Browser suite (tests/e2e/test_browser_*.py): headless Chromium driven by Selenium.
#
# Chromium and its driver come from Debian (`chromium`, `chromium-driver`; scripts/test installs
# them); TESSERA_E2E_CHROMIUM and TESSERA_E2E_CHROMEDRIVER override where they are looked for.
# Selenium is imported lazily so that the other suites run without it.

SCREENSHOT_DIR = REPO_ROOT / "tests" / "e2e" / "screenshots"
SCREENSHOT_SIZE = (1400, 900)
BROWSER_WAIT = 10.0  # seconds for one explicit wait (page load, element, alert)
TOKEN_RE = r"[0-9a-f]{64}"


class ApiError(Exception):
    """A JSON-RPC error answer: `.code`, `.message`, `.data` as the server sent them."""

    def __init__(self, error: dict):
        self.code = error.get("code")
        self.message = error.get("message")
        self.data = error.get("data")
        super().__init__(f"{self.code} {self.message} {self.data}")


class ApiClient:
    """JSON-RPC calls as one user (session from user.login) or with a token; raises `ApiError`."""

    def __init__(self, server: TesseraServer, username: str = "Admin", password: str | None = None, token: str | None = None):
        self.server = server
        if token is not None:
            self.auth = token
        else:
            self.auth = self.call_raw("user.login", {"username": username, "password": password or server.password}, auth=None)

    def call_raw(self, method: str, params, auth: str | None):
        answer = rpc(self.server, method, params, auth=auth)
        if "error" in answer:
            raise ApiError(answer["error"])
        return answer["result"]

    def call(self, method: str, params):
        return self.call_raw(method, params, auth=self.auth)


@dataclasses.dataclass
class PageMessage:
    """The message box (#message) at the top of a page."""

    ok: bool
    title: str
    details: list[str]


def _browser_executables() -> tuple[str, str]:
    chromium = os.environ.get("TESSERA_E2E_CHROMIUM") or next(
        (p for p in map(shutil.which, ["chromium", "chromium-browser", "google-chrome"]) if p), None
    )
    driver = os.environ.get("TESSERA_E2E_CHROMEDRIVER") or shutil.which("chromedriver")
    if driver is None and Path("/usr/lib/chromium/chromedriver").is_file():
        driver = "/usr/lib/chromium/chromedriver"
    missing = [name for name, path in [("chromium", chromium), ("chromedriver", driver)] if not path]
    if missing:
        pytest.fail(
            f"{' and '.join(missing)} not found: install the Debian packages chromium and chromium-driver "
            "(scripts/test does) or set TESSERA_E2E_CHROMIUM / TESSERA_E2E_CHROMEDRIVER",
            pytrace=False,
        )
    return chromium, driver


def start_chromium():
    """A headless Chromium with a 1400x900 viewport (no Selenium Manager, no network use)."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail("selenium is not installed: pip install -r tests/e2e/requirements.txt", pytrace=False)
    chromium, chromedriver = _browser_executables()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in [
        "--headless=new",
        "--no-sandbox",  # runs as root in CI
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--password-store=basic",
        "--lang=en-US",
        f"--window-size={SCREENSHOT_SIZE[0]},{SCREENSHOT_SIZE[1]}",
    ]:
        options.add_argument(arg)
    # No password manager prompts or leak checks over the sign-in forms.
    options.add_experimental_option(
        "prefs",
        {"credentials_enable_service": False, "profile.password_manager_enabled": False, "profile.password_manager_leak_detection": False},
    )
    # Alerts (window.confirm) are handled explicitly by the tests; an unexpected one fails the next command.
    options.unhandled_prompt_behavior = "ignore"
    driver = webdriver.Chrome(options=options, service=Service(executable_path=chromedriver))
    driver.set_page_load_timeout(30)
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": SCREENSHOT_SIZE[0], "height": SCREENSHOT_SIZE[1], "deviceScaleFactor": 1, "mobile": False},
    )
    return driver


class Browser:
    """A signed-in (or not) Chromium tab on one Tessera server, with the waits the tests need."""

    def __init__(self, driver, server: TesseraServer):
        self.driver = driver
        self.server = server
        self.base_url = server.base_url

    # -- navigation and waiting

    def url(self, path: str) -> str:
        return self.base_url + path

    @property
    def path(self) -> str:
        """Path (and query) of the current page."""
        parts = urllib.parse.urlsplit(self.driver.current_url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def wait(self, condition, message: str = "", timeout: float = BROWSER_WAIT):
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, timeout, poll_frequency=0.05).until(condition, message)

    def _wait_ready(self) -> None:
        self.wait(lambda d: d.execute_script("return document.readyState") == "complete", "page did not finish loading")

    def get(self, path: str) -> None:
        self.driver.get(self.url(path))
        self._wait_ready()

    def find(self, css: str):
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, css)

    def finds(self, css: str) -> list:
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def text(self, css: str) -> str:
        return self.find(css).text

    def texts(self, css: str) -> list[str]:
        """innerText of every match, read at one instant (safe while scripts rebuild the list)."""
        return self.driver.execute_script(
            "return Array.from(document.querySelectorAll(arguments[0])).map((e) => e.innerText.trim())", css
        )

    # -- the page's fetch() calls (the user pickers search with GET /ui/users)

    _FETCH_HOOK = """
        if (!window.__e2e) {
          const e2e = window.__e2e = {pending: 0, hold: null, held: []};
          const fetch = window.fetch, json = Response.prototype.json;
          window.fetch = function (url, options) {
            e2e.pending++;
            let answer = fetch.call(this, url, options);
            if (e2e.hold && new RegExp(e2e.hold).test(String(url))) {
              const real = answer;
              answer = new Promise((resolve) => e2e.held.push(() => resolve(real)));
            }
            return answer.finally(() => { e2e.pending--; });
          };
          // The body is read after fetch() settles; the page's code runs in the same turn after it.
          Response.prototype.json = function () {
            e2e.pending++;
            return json.call(this).finally(() => setTimeout(() => { e2e.pending--; }, 0));
          };
        }
    """

    def track_fetches(self, hold: str | None = None) -> None:
        """Counts this page's fetch() calls until their answers are handled; with `hold` (a regex on
        the URL), answers to matching requests are held back until `release_fetches()`: a slow network."""
        self.driver.execute_script(self._FETCH_HOOK + "window.__e2e.hold = arguments[0];", hold)

    def release_fetches(self) -> None:
        self.driver.execute_script("const e2e = window.__e2e; e2e.hold = null; e2e.held.splice(0).forEach((go) => go());")

    def wait_fetches(self) -> None:
        """Waits until every fetch() that is not held back has been answered and handled by the page."""
        self.wait(
            lambda d: d.execute_script("const e2e = window.__e2e; return e2e.pending === e2e.held.length"),
            "the page's requests did not finish",
        )

    def type_slowly(self, css: str, text: str) -> None:
        """Types one key at a time and lets the page answer each (as a person types, without the
        races of a fast typist, which tests with held answers cover instead)."""
        self.track_fetches()
        field = self.find(css)
        for key in text:
            field.send_keys(key)
            self.wait_fetches()

    def wait_css(self, css: str, visible: bool = True):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as EC

        locator = (By.CSS_SELECTOR, css)
        cond = EC.visibility_of_element_located(locator) if visible else EC.presence_of_element_located(locator)
        return self.wait(cond, f"{css} did not appear on {self.path}")

    def fill(self, css: str, value: str):
        field = self.find(css)
        field.clear()
        if value:
            field.send_keys(value)
        return field

    def set_checked(self, css: str, checked: bool) -> None:
        box = self.find(css)
        if box.is_selected() != checked:
            box.click()
        assert box.is_selected() == checked, css

    def submit(self, element_or_css, confirm: str | None = None, accept: bool = True) -> None:
        """Clicks a button or link that loads a new page and waits for that page.

        With `confirm`, the click must raise a window.confirm with exactly that text, which is
        accepted (or dismissed with accept=False, in which case no page load is waited for)."""
        from selenium.webdriver.support import expected_conditions as EC

        element = self.find(element_or_css) if isinstance(element_or_css, str) else element_or_css
        self.driver.execute_script("window.__e2eOldPage = true")
        element.click()
        if confirm is not None:
            alert = self.wait(EC.alert_is_present(), "no confirmation dialog appeared")
            assert alert.text == confirm
            if not accept:
                alert.dismiss()
                return
            alert.accept()
        self.wait(self._new_page_loaded, "the click did not load a new page")

    def _new_page_loaded(self, driver) -> bool:
        """True once a new document (without the marker set before the click) has finished loading."""
        from selenium.common.exceptions import UnexpectedAlertPresentException, WebDriverException

        try:
            return bool(driver.execute_script("return !window.__e2eOldPage && document.readyState === 'complete'"))
        except UnexpectedAlertPresentException:
            raise
        except WebDriverException:  # the old document is going away while the script runs
            return False

    def alert_open(self) -> bool:
        from selenium.common.exceptions import NoAlertPresentException

        try:
            self.driver.switch_to.alert.text
            return True
        except NoAlertPresentException:
            return False

    # -- session

    def sign_in(self, username: str, password: str) -> None:
        """Signs in through the form (after dropping any earlier session) and waits for the start page."""
        self.driver.delete_all_cookies()
        self.get("/login")
        self.fill("#username", username)
        self.fill("#password", password)
        self.submit("#login-button")
        assert not self.path.startswith("/login"), f"sign-in as {username} failed: {self.message()}"

    def sign_out(self) -> None:
        self.submit("#sign-out")

    def session_cookie(self) -> str:
        cookie = self.driver.get_cookie("tessera_session")
        assert cookie is not None, "no session cookie in the browser"
        return cookie["value"]

    def http(self, method: str, path: str, **kwargs) -> requests.Response:
        """A plain request outside the browser with the browser's session cookie (no redirects followed)."""
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", 10)
        return requests.request(method, self.url(path), cookies={"tessera_session": self.session_cookie()}, **kwargs)

    # -- what pages show

    def message(self) -> PageMessage | None:
        boxes = self.finds("#message")
        if not boxes:
            return None
        box = boxes[0]
        classes = (box.get_attribute("class") or "").split()
        assert ("msg-good" in classes) != ("msg-bad" in classes), classes
        details = [li.text for li in box.find_elements("css selector", "li")]
        return PageMessage(ok="msg-good" in classes, title=box.find_element("css selector", "h4").text, details=details)

    def menu(self) -> dict[str, str]:
        """Menu item id (without `menu-`) → label."""
        return {a.get_attribute("id")[len("menu-"):]: a.text for a in self.finds("nav.menu a")}

    def menu_sections(self) -> list[tuple[str, list[str]]]:
        """The menu's sections in order: heading → item ids (without `menu-`)."""
        return [
            (group.get_attribute("aria-label"), [a.get_attribute("id")[len("menu-"):] for a in group.find_elements("css selector", "a")])
            for group in self.finds("nav.menu .menu-section")
        ]

    def token_rows(self) -> list[dict]:
        """The rows of #tokens-table as dicts (cells absent from the page are left out), read in one script."""
        return self.driver.execute_script(
            """
            const cells = {name: ".token-name", user: ".user", expires: ".expires", created: ".created",
                           creator: ".creator", lastaccess: ".lastaccess", status: ".status-toggle"};
            return Array.from(document.querySelectorAll("#tokens-table tbody tr[data-tokenid]")).map((tr) => {
              const row = {tokenid: tr.dataset.tokenid, element: tr};
              for (const [key, css] of Object.entries(cells)) {
                const cell = tr.querySelector(css);
                if (cell) row[key] = cell.innerText.trim();
              }
              row.expired = tr.querySelector(".expires").classList.contains("red");
              return row;
            });
            """
        )

    def token_names(self) -> list[str]:
        return [row["name"] for row in self.token_rows()]

    def row(self, name: str) -> dict:
        matches = [row for row in self.token_rows() if row["name"] == name]
        assert len(matches) == 1, f"expected one row named {name!r}, got {[r['name'] for r in self.token_rows()]}"
        return matches[0]

    def screenshot(self, name: str) -> Path:
        """Writes tests/e2e/screenshots/<name>.png at 1400x900."""
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        self.driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": SCREENSHOT_SIZE[0], "height": SCREENSHOT_SIZE[1], "deviceScaleFactor": 1, "mobile": False},
        )
        path = SCREENSHOT_DIR / f"{name}.png"
        png = self.driver.get_screenshot_as_png()
        width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
        assert (width, height) == SCREENSHOT_SIZE, f"screenshot {name} is {width}x{height}"
        path.write_bytes(png)
        return path


@pytest.fixture(scope="module")
def browser(tessera_server):
    """A headless Chromium on the module's server, closed after the module."""
    driver = start_chromium()
    try:
        yield Browser(driver, tessera_server)
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def admin_api(tessera_server) -> ApiClient:
    """JSON-RPC as Admin (a session from user.login)."""
    return ApiClient(tessera_server)


def pytest_sessionstart(session):
    """Screenshots of failures are about this run only."""
    shutil.rmtree(SCREENSHOT_DIR / "failed", ignore_errors=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing browser test leaves tests/e2e/screenshots/failed/<test>.png and .html behind."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    browser = item.funcargs.get("browser") if hasattr(item, "funcargs") else None
    if not isinstance(browser, Browser):
        return
    folder = SCREENSHOT_DIR / "failed"
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in item.nodeid.split("::", 1)[-1])
    try:
        folder.mkdir(parents=True, exist_ok=True)
        browser.driver.save_screenshot(str(folder / f"{safe}.png"))
        (folder / f"{safe}.html").write_text(browser.driver.page_source)
    except Exception:  # an open alert or a dead browser: the failure itself says more
        pass


# ---------------------------------------------------------------------------------------------
# Scale-out suites (tests/e2e/test_scaleout_*.py): several `tessera serve --database` processes on
# one PostgreSQL database, and PostgreSQL outages. They need TESSERA_TEST_POSTGRES_URL (a throwaway
# cluster, as scripts/test sets it) and are skipped without it. The figures they measure are
# collected in SCALEOUT_FIGURES and printed in the closing summary (also without -s).

SCALEOUT_FIGURES: list[str] = []
PG_CLUSTER_SCRIPT = REPO_ROOT / "scripts" / "pg-cluster.sh"


def postgres_base_url() -> str:
    """TESSERA_TEST_POSTGRES_URL, or skips the test with the reason."""
    base = os.environ.get("TESSERA_TEST_POSTGRES_URL")
    if not base:
        pytest.skip("TESSERA_TEST_POSTGRES_URL is not set (scripts/test sets it): the scale-out suites need PostgreSQL")
    return base


def psql_query(url: str, sql: str) -> list[list[str]]:
    """Runs one SQL statement with psql; returns the rows as lists of text fields."""
    psql = shutil.which("psql") or "/usr/lib/postgresql/15/bin/psql"
    done = subprocess.run(
        [psql, "-v", "ON_ERROR_STOP=1", "-qAt", "-F", "\t", url, "-c", sql], check=True, capture_output=True, text=True, timeout=30
    )
    return [line.split("\t") for line in done.stdout.splitlines() if line]


def drop_postgres_database(base_url: str, name: str) -> None:
    try:
        _psql(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except subprocess.SubprocessError:
        pass  # a throwaway cluster goes away anyway


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0–100) by the nearest-rank method; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))  # ceil(n * p / 100), at least 1
    return ordered[int(rank) - 1]


def figures_line(label: str, seconds: list[float]) -> str:
    """`label: n=…, p50 … ms, p99 … ms, max … ms` for a list of durations in seconds."""
    ms = [v * 1000 for v in seconds]
    return (
        f"{label}: n={len(ms)}, p50 {percentile(ms, 50):.1f} ms, p99 {percentile(ms, 99):.1f} ms, "
        f"max {max(ms, default=0):.1f} ms"
    )


def pytest_terminal_summary(terminalreporter):
    """Prints what the scale-out suites measured (revocation delays, outage recovery)."""
    if SCALEOUT_FIGURES:
        terminalreporter.write_sep("-", "scale-out figures")
        for line in SCALEOUT_FIGURES:
            terminalreporter.write_line(line)


# ---------------------------------------------------------------------------------------------
# A dedicated PostgreSQL cluster, for tests that stop and start it


@dataclasses.dataclass
class PgCluster:
    dir: str
    port: int

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> str:
        done = subprocess.run(["bash", str(PG_CLUSTER_SCRIPT), *args], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"pg-cluster.sh {' '.join(args)} failed:\n{done.stderr}"
        return done.stdout

    def halt(self) -> None:
        """Stops PostgreSQL (fast shutdown: sessions are ended, open transactions roll back)."""
        self._run("halt", self.dir, "fast")

    def resume(self) -> None:
        """Starts it again on the same port; returns once it accepts connections."""
        assert self._run("resume", self.dir).strip().splitlines()[-1] == str(self.port)


@contextlib.contextmanager
def pg_cluster(tls: Path | None = None):
    """A throwaway cluster of our own (stopped and removed afterwards). With `tls`, a folder holding
    server.crt, server.key and ca.crt: the cluster runs with ssl=on (`pg-cluster.sh start-tls`)."""
    if not os.environ.get("TESSERA_TEST_POSTGRES_URL"):
        pytest.skip("TESSERA_TEST_POSTGRES_URL is not set (scripts/test sets it): this test needs PostgreSQL")
    # Under /tmp (not pytest's 0700 tmp folder), so that the postgres OS user can reach it.
    folder = tempfile.mkdtemp(prefix="tessera-pg.", dir="/tmp")
    start = ["start", folder] if tls is None else ["start-tls", folder, str(tls)]
    try:
        done = subprocess.run(["bash", str(PG_CLUSTER_SCRIPT), *start], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and done.stdout.strip(), f"could not start a PostgreSQL cluster:\n{done.stderr}"
        yield PgCluster(folder, int(done.stdout.strip().splitlines()[-1]))
    finally:
        subprocess.run(["bash", str(PG_CLUSTER_SCRIPT), "stop", folder], capture_output=True, timeout=120)
