"""The portal in a real headless Chromium, driven through Playwright.

Fixtures:

* `live_portal` (module scope): a real `uvicorn` server (one worker) on a fresh, migrated SQLite
  file, seeded with participants, providers and portal users who have usernames and passwords.
  It is a `LivePortal`; `live_portal.user("physician")` is an `Account` to sign in with, and
  `live_portal.new_user(role, npi=...)` adds one more while the server runs (for tests that
  spoil an account, such as the lock-out).
* `browser` (session scope): Debian's Chromium at /usr/bin/chromium. Playwright never downloads a
  browser here. Without Playwright or Chromium the tests skip with the reason; with
  PRECERT_TEST_BROWSER_REQUIRED=1 (CI, see .ci/run) they fail instead.
* `page` (function scope): a new browser context (no cookies shared between tests), 1280x900.
  A test that passes still fails at teardown if the page threw an uncaught JavaScript error or
  a stylesheet/script failed to load (`page_problems` lists them); a failed test leaves a
  screenshot, whose path is printed.

Helpers: `sign_in(page, base_url, username, password)`, `axe_violations(page, impacts=...)` and
`assert_no_axe_violations(page, impacts=...)`; axe-core comes from npm
(`npm ci --prefix tests/browser`, which `make install-test` runs).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from precert.db import transaction
from precert.migrate import upgrade
from precert.users.service import add_user
from precert.users.sign_in import hash_password
from tests.conftest import World
from tests.e2e.conftest import SERVER_TODAY, _tail, start_server, stop_server, wait_until_ready

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright, Response

try:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import expect, sync_playwright
except ImportError as exc:  # pragma: no cover - only without the test dependencies
    PLAYWRIGHT_MISSING: str | None = (
        f"the Python package playwright is not installed ({exc}); run `make install-test`"
    )
    PlaywrightError = Exception  # type: ignore[assignment,misc]

    def expect(*args: object, **kwargs: object) -> NoReturn:  # type: ignore[misc]
        unavailable(PLAYWRIGHT_MISSING or "playwright is missing")

else:
    PLAYWRIGHT_MISSING = None

__all__ = [
    "AXE_PATH",
    "Account",
    "AxeViolation",
    "LivePortal",
    "assert_no_axe_violations",
    "axe_violations",
    "expect",
    "sign_in",
]

HERE = Path(__file__).parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE_PATH = HERE / "node_modules" / "axe-core" / "axe.min.js"
# Playwright's own default waits 30 s; a portal page on loopback answers in milliseconds.
DEFAULT_TIMEOUT_MS = 10_000
WORKERS = 1
REQUIRED_ENV = "PRECERT_TEST_BROWSER_REQUIRED"

# The performing provider type of each therapy.
THERAPY_PROVIDER_TYPES = ("physical_therapist", "chiropractor", "acupuncturist")


def browser_required() -> bool:
    """In CI (.ci/run) a browser test that cannot run is a failure, not a skip."""
    return os.environ.get(REQUIRED_ENV) == "1"


def unavailable(reason: str) -> NoReturn:
    """Skip the test with `reason`, or fail it when the browser tests are required."""
    if browser_required():
        pytest.fail(f"{reason} ({REQUIRED_ENV}=1)", pytrace=False)
    pytest.skip(reason)


# --- the seeded server -------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    """A portal user who signs in with a username and password."""

    username: str
    password: str
    role: str
    npi: str | None
    name: str


@dataclass(frozen=True)
class Participants:
    """Participant IDs of the seeded roster (as of PRECERT_TODAY=2026-03-02)."""

    adult: str  # 46 years old, eligible since 2020
    under_21: str  # 15 years old, eligible since 2020
    not_eligible: str  # eligibility ended 2025-12-31


@dataclass
class LivePortal:
    """A running portal server on a seeded database, and who can sign in to it."""

    base_url: str
    database_url: str
    log_path: Path
    today: date
    users: dict[str, Account]
    participants: Participants
    npis: dict[str, str]
    world: World = field(repr=False)  # the same database, to seed more rows during a test
    _numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1), repr=False)

    def user(self, key: str) -> Account:
        """Return a seeded account by key: physician, physician_2, physical_therapist,
        chiropractor, acupuncturist, staff or admin."""
        return self.users[key]

    def url(self, path: str) -> str:
        return self.base_url + path

    def new_user(self, role: str, *, npi: str | None = None, name: str | None = None) -> Account:
        """Add a fresh portal user while the server runs (username unique in this module)."""
        n = next(self._numbers)
        username = f"extra-{role}-{n}"
        account = Account(username, f"pass phrase of {username}", role, npi, name or username)
        _add_account(self.world, account)
        return account

    def log_tail(self, lines: int = 40) -> str:
        return _tail(self.log_path, lines)


def _add_account(world: World, account: Account) -> None:
    with transaction(world.sessions) as s:
        add_user(
            s,
            role=account.role,
            name=account.name,
            npi=account.npi,
            username=account.username,
            password_hash=hash_password(account.password),
        )


def _account(key: str, role: str, name: str, npi: str | None = None) -> Account:
    return Account(key.replace("_", "-"), f"{key} correct horse battery", role, npi, name)


def seed(world: World) -> tuple[dict[str, Account], Participants, dict[str, str]]:
    """Load participants, two physicians, a provider per therapy, and the portal users."""
    participants = Participants(
        adult=world.participant("30000001", birth_date=date(1980, 1, 1)),
        under_21=world.participant("30000002", birth_date=date(2010, 6, 15)),
        not_eligible=world.participant(
            "30000003",
            birth_date=date(1975, 5, 5),
            spans=((date(2020, 1, 1), date(2025, 12, 31)),),
        ),
    )
    npis = {
        "physician": world.provider(1, "physician"),
        "physician_2": world.provider(2, "physician"),
    }
    for number, kind in enumerate(THERAPY_PROVIDER_TYPES, start=3):
        npis[kind] = world.provider(number, kind)
    users = {
        "physician": _account("physician", "physician", "Dr. Ada First", npis["physician"]),
        "physician_2": _account("physician_2", "physician", "Dr. Ben Second", npis["physician_2"]),
        "physical_therapist": _account(
            "physical_therapist", "provider", "Pat Therapist", npis["physical_therapist"]
        ),
        "chiropractor": _account("chiropractor", "provider", "Cam Chiro", npis["chiropractor"]),
        "acupuncturist": _account(
            "acupuncturist", "provider", "Avery Needles", npis["acupuncturist"]
        ),
        "staff": _account("staff", "staff", "Sam Staff"),
        "admin": _account("admin", "admin", "Alex Admin"),
    }
    for account in users.values():
        _add_account(world, account)
    return users, participants, npis


@pytest.fixture(scope="module")
def live_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LivePortal]:
    """A real server (one worker) on a fresh migrated and seeded SQLite file, per test module."""
    workdir = tmp_path_factory.mktemp("live_portal")
    url = f"sqlite:///{workdir / 'precert.db'}"
    upgrade(url)
    world = World(url)
    try:
        users, participants, npis = seed(world)
        process, base_url, log_path = start_server(url, workdir, workers=WORKERS)
        try:
            try:
                wait_until_ready(process, base_url, log_path, workers=WORKERS)
            except RuntimeError as exc:
                pytest.fail(str(exc), pytrace=False)
            yield LivePortal(
                base_url=base_url,
                database_url=url,
                log_path=log_path,
                today=date.fromisoformat(SERVER_TODAY),
                users=users,
                participants=participants,
                npis=npis,
                world=world,
            )
        finally:
            stop_server(process)
    finally:
        world.close()


# --- the browser -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    if PLAYWRIGHT_MISSING:
        unavailable(PLAYWRIGHT_MISSING)
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    """Debian's headless Chromium (never a downloaded one)."""
    if not os.access(CHROMIUM, os.X_OK):
        unavailable(
            f"no Chromium at {CHROMIUM}; install Debian's: "
            "apt-get update && apt-get install -y chromium"
        )
    try:
        launched = playwright_instance.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
    except PlaywrightError as exc:
        unavailable(f"Chromium at {CHROMIUM} did not start: {exc.message.splitlines()[0]}")
    yield launched
    launched.close()


@pytest.fixture
def page_problems() -> list[str]:
    """What went wrong inside the page during the test: uncaught JavaScript errors, and
    stylesheets, scripts or other sub-resources that failed to load. `page` fails the test at
    teardown when any are left; a test that provokes one on purpose clears the list."""
    return []


@pytest.fixture
def page(
    browser: Browser, request: pytest.FixtureRequest, tmp_path: Path, page_problems: list[str]
) -> Iterator[Page]:
    """A page in a browser context of its own; a failed test leaves a screenshot beside it."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    page.on("pageerror", lambda error: page_problems.append(f"JavaScript error: {error}"))
    page.on("response", lambda response: _note_failed_resource(response, page_problems))
    try:
        yield page
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            shot = tmp_path / "failure.png"
            try:
                page.screenshot(path=str(shot), full_page=True)
                print(f"\nscreenshot of the page at failure ({page.url}): {shot}")
            except PlaywrightError:
                pass
        context.close()
    if page_problems and report is not None and report.passed:
        pytest.fail("the page had problems:\n  " + "\n  ".join(page_problems), pytrace=False)


def _note_failed_resource(response: Response, problems: list[str]) -> None:
    # Documents answer 401/403 on purpose (a wrong password, a refused form); their
    # sub-resources never should.
    if response.status >= 400 and response.request.resource_type != "document":
        kind = response.request.resource_type
        problems.append(f"{kind} {response.url} answered {response.status}")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the test item, so `page` can see whether the test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


# --- helpers -----------------------------------------------------------------------------------


def sign_in(page: Page, base_url: str, username: str, password: str) -> Response | None:
    """Sign in through the login form, as a person would: by the fields' labels.

    Returns the response of the page the form led to (after redirects): the home page (200)
    when signed in, the login page again (401) when not.
    """
    page.goto(base_url + "/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Sign in").click()
    return navigation.value


@dataclass(frozen=True)
class AxeViolation:
    id: str
    impact: str
    help: str
    help_url: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        where = "\n".join(f"      at {target}" for target in self.targets)
        return f"  [{self.impact}] {self.id}: {self.help}\n      ({self.help_url})\n{where}"


_AXE_RUN = """
async () => {
  const results = await axe.run(document);
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact || "",
    help: v.help,
    helpUrl: v.helpUrl,
    targets: v.nodes.map((n) => n.target.map(String).join(" ")),
  }));
}
"""


def axe_violations(
    page: Page, impacts: tuple[str, ...] = ("serious", "critical")
) -> list[AxeViolation]:
    """Run axe-core on the page as it stands; return its violations of the given impacts."""
    if not AXE_PATH.is_file():
        unavailable(
            f"axe-core is not installed at {AXE_PATH}; run `npm ci --prefix tests/browser` "
            "(make install-test does when npm is on PATH)"
        )
    page.add_script_tag(path=str(AXE_PATH))
    found: list[dict[str, Any]] = page.evaluate(_AXE_RUN)
    return [
        AxeViolation(v["id"], v["impact"], v["help"], v["helpUrl"], tuple(v["targets"]))
        for v in found
        if v["impact"] in impacts
    ]


def assert_no_axe_violations(
    page: Page, impacts: tuple[str, ...] = ("serious", "critical")
) -> None:
    """Fail with a readable list when axe-core finds violations of the given impacts."""
    violations = axe_violations(page, impacts)
    if violations:
        listed = "\n".join(str(v) for v in violations)
        raise AssertionError(
            f"axe-core found {len(violations)} {'/'.join(impacts)} violation(s) on "
            f"{page.url}:\n{listed}"
        )
