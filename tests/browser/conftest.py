"""The browser suite's harness: Chromium driven by Playwright on the session's sandbox.

A test asks for ``person`` (or the bare ``page``) and walks a human flow page by page, clicking
and typing as a person would. The harness gives:

* the distribution's Chromium (``/usr/bin/chromium``, or ``COOP_SANDBOX_CHROMIUM``) driven by the
  Playwright driver that ships inside the ``playwright`` wheel: nothing is downloaded at run time.
  Where no Chromium is installed every test here is skipped, saying why (``.ci/run`` installs one
  with ``apt-get install -y chromium``);
* a browser that cannot leave the machine: any request to a host other than the sandbox's
  (127.0.0.1/localhost) is refused and fails the test (the sandbox works on closed networks);
* the session's sandbox reset before each test (``fresh_sandbox``: world state, frozen clock at
  its start instant), so flows are deterministic and never sleep: Playwright's auto-waiting
  (``expect``) waits for what the page shows;
* ``person.shot("name")``: a screenshot of each step under ``reports/browser/<test>/``; a failing
  test also leaves ``failure.png`` and ``failure.html`` (the page's HTML) there;
* readers of what a person reads on a phone: ``person.soft_token(document)`` (the DIMO app),
  ``person.inbox(to)`` (the notify inbox: OTPs, receipts).

Viewports: ``person`` runs at 1280×900 (desktop) unless the test is parametrized with
``@pytest.mark.parametrize("viewport", ["phone", "desktop"], indirect=True)`` (phone = 390×844).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from sandbox.testing import SandboxHandle

CHROMIUM = Path(os.environ.get("COOP_SANDBOX_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
#: How long Playwright's auto-waiting waits for a page or an element (ms); slow CI machines.
TIMEOUT_MS = 20_000

try:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Route, expect, sync_playwright
except ImportError:  # pragma: no cover - the test extra installs it; every test is skipped, saying so
    sync_playwright = None
    Browser = BrowserContext = Page = Playwright = Route = Any
    expect = None

__all__ = ["Page", "Person", "expect"]  # what the test modules import from here


def _why_skipped() -> str | None:
    if sync_playwright is None:
        return "playwright is not installed (pip install -e '.[test]')"
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        return f"no Chromium at {CHROMIUM} (apt-get install -y chromium, or set COOP_SANDBOX_CHROMIUM)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark (and, without a Chromium, skip) the browser tests, and run them last: Playwright's sync
    API drives an event loop on the main thread while it runs, which no async test may meet."""
    reason = _why_skipped()
    here = Path(__file__).parent
    browser = [item for item in items if here in Path(str(item.fspath)).parents]
    for item in browser:
        item.add_marker(pytest.mark.browser)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))
    chosen = set(map(id, browser))
    items[:] = [item for item in items if id(item) not in chosen] + browser


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="module")
def playwright_driver() -> Iterator[Playwright]:
    """Per module, not per session: its event loop stops with the module (see above)."""
    assert sync_playwright is not None
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    chromium = playwright_driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def viewport(request: pytest.FixtureRequest) -> str:
    """``desktop`` by default; parametrize indirectly with ``phone`` for a 390 px screen."""
    return str(getattr(request, "param", "desktop"))


def shots_dir(request: pytest.FixtureRequest) -> Path:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    folder = Path(request.config.rootpath) / "reports" / "browser" / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@dataclass
class Offline:
    """Refuses every request that would leave the machine, and remembers it."""

    refused: list[str] = field(default_factory=list)

    def __call__(self, route: Route) -> None:
        url = route.request.url
        host = urlsplit(url).hostname or ""
        if url.startswith(("data:", "blob:", "about:")) or host in LOCAL_HOSTS:
            route.continue_()
        else:
            self.refused.append(url)
            route.abort("blockedbyclient")


@pytest.fixture
def browser_context(browser: Browser, viewport: str) -> Iterator[tuple[BrowserContext, Offline]]:
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="es-CO", timezone_id="America/Bogota")
    context.set_default_timeout(TIMEOUT_MS)
    offline = Offline()
    context.route("**/*", offline)
    yield context, offline
    context.close()


@pytest.fixture
def page(
    request: pytest.FixtureRequest, browser_context: tuple[BrowserContext, Offline], fresh_sandbox: SandboxHandle
) -> Iterator[Page]:
    """A page in a fresh browser context, on the session's sandbox reset to its world."""
    context, offline = browser_context
    tab = context.new_page()
    expect.set_options(timeout=TIMEOUT_MS)
    yield tab
    failed = getattr(request.node, "report_call", None)
    if failed is not None and failed.failed:
        folder = (
            Path(request.config.rootpath)
            / "reports"
            / "browser"
            / re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
        )
        folder.mkdir(parents=True, exist_ok=True)
        for n, open_tab in enumerate(context.pages):
            suffix = "" if n == 0 else f"-{n}"
            try:
                (folder / f"failure{suffix}.html").write_text(open_tab.content(), encoding="utf-8")
                open_tab.screenshot(path=str(folder / f"failure{suffix}.png"), full_page=True)
            except Exception as exc:  # a closed or crashed tab: say so, keep the other evidence
                (folder / f"failure{suffix}.txt").write_text(f"{open_tab.url}: {exc}\n")
    assert not offline.refused, f"the pages tried to leave the machine: {offline.refused}"


@dataclass
class InboxMessage:
    to: str
    sender: str  # the party that sent it (ach, merchant, switch…)
    text: str
    secret: str | None


class Person:
    """A person at a browser: goes to a party's page, takes a screenshot of each step, and reads
    codes where a person reads them (the DIMO app on the phone, the SMS/e-mail inbox)."""

    def __init__(self, page: Page, sandbox: SandboxHandle, folder: Path) -> None:
        self.page = page
        self.sandbox = sandbox
        self.folder = folder
        self._step = 0

    def url(self, party: str, path: str = "/") -> str:
        return self.sandbox.url(party) + path

    def goto(self, party: str, path: str = "/") -> Page:
        response = self.page.goto(self.url(party, path))
        assert response is not None and response.ok, f"{party}{path}: HTTP {response.status if response else '—'}"
        return self.page

    def shot(self, name: str, page: Page | None = None) -> Path:
        """Screenshot of the whole page (``NN-name.png``, in step order)."""
        self._step += 1
        path = self.folder / f"{self._step:02d}-{name}.png"
        (page or self.page).screenshot(path=str(path), full_page=True)
        return path

    def phone(self) -> Page:
        """A second tab: the person's phone (the DIMO app, the inbox), same browser context."""
        return self.page.context.new_page()

    def soft_token(self, document: str, *, shot: str | None = "app-dimo") -> str:
        """The code the DIMO app shows for the holder's (first) card, read from the app's page."""
        phone = self.phone()
        try:
            phone.goto(self.url("ceibo", f"/app?q={document}"))
            code = phone.locator("[data-soft-token]").first
            expect(code).to_have_text(re.compile(r"^\d{6}$"))
            if shot:
                self.shot(shot, phone)
            return code.inner_text().strip()
        finally:
            phone.close()

    def inbox(self, to: str, *, kind: str | None = None, shot: str | None = "buzon") -> list[InboxMessage]:
        """The messages of the notify inbox page for ``to``, newest first (``kind``: otp, receipt, notice)."""
        phone = self.phone()
        try:
            phone.goto(self.url("notify", "/inbox"))
            phone.get_by_label("Celular o correo del destinatario").fill(to)
            phone.get_by_role("button", name="Ver mensajes").click()
            rows = phone.locator("[data-message]")
            expect(rows.first).to_be_visible()
            if shot:
                self.shot(shot, phone)
            found = []
            for row in rows.all():
                if kind and row.get_attribute("data-kind") != kind:
                    continue
                secret = row.locator("[data-otp]")
                found.append(
                    InboxMessage(
                        to=row.get_attribute("data-to") or "",
                        sender=row.get_attribute("data-from") or "",
                        text=row.locator("[data-text]").inner_text(),
                        secret=secret.first.get_attribute("data-otp") if secret.count() else None,
                    )
                )
            return found
        finally:
            phone.close()

    def latest_code(self, to: str) -> str:
        """The newest OTP sent to ``to``, as read in the inbox page."""
        messages = [m for m in self.inbox(to, kind="otp", shot="buzon-otp") if m.secret]
        assert messages, f"no OTP for {to} in the inbox"
        return str(messages[0].secret)


@pytest.fixture
def person(request: pytest.FixtureRequest, page: Page, fresh_sandbox: SandboxHandle) -> Person:
    return Person(page, fresh_sandbox, shots_dir(request))
