"""The guide in a real headless browser (Debian's chromium + chromedriver, Selenium):
search a need, open a place, check hours and that private fields never appear, keyboard
use, a phone-sized screen, and an axe-core accessibility audit of every kind of page."""

from __future__ import annotations

import asyncio
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from cogs.guide.site import GuideSite
from db.engine import Database
from db.migrate import upgrade

from .conftest import (
    NOW,
    REFERENT_USER_ID,
    SECRET_NOTE,
    SECRET_REFERENT_NAME,
    SLUG,
    publish_guide,
    seed_directory,
)

pytestmark = pytest.mark.slow

AXE = Path(__file__).parent / "assets" / "axe.min.js"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
CHROME_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)

if not (CHROMIUM and CHROMEDRIVER):
    pytest.skip(
        "chromium and chromedriver are not installed (apt-get install -y chromium "
        "chromium-driver; `./dev test` does it)",
        allow_module_level=True,
    )


class ServerThread(threading.Thread):
    """The guide served by aiohttp in its own event loop, for a synchronous browser."""

    def __init__(self, data_dir: Path) -> None:
        super().__init__(daemon=True, name="guide-server")
        self.data_dir = data_dir
        self.ready = threading.Event()
        self.port = 0
        self.error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None

    def run(self) -> None:
        self._loop = asyncio.new_event_loop()
        try:
            self._loop.run_until_complete(self._serve())
        except BaseException as exc:  # reported to the test thread
            self.error = exc
            self.ready.set()
        finally:
            self._loop.close()

    async def _serve(self) -> None:
        db = Database(f"sqlite+aiosqlite:///{self.data_dir / 'browser.db'}")
        await upgrade(db.engine)
        await seed_directory(db)
        await publish_guide(db)
        app = web.Application()
        GuideSite(
            db, now=lambda: NOW, url=lambda path: f"http://127.0.0.1:{self.port}{path}"
        ).register(app.router)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._stop_event = asyncio.Event()
        self.ready.set()
        await self._stop_event.wait()
        await runner.cleanup()
        await db.dispose()

    def stop(self) -> None:
        if self._loop is not None and self._stop_event is not None:
            self._loop.call_soon_threadsafe(self._stop_event.set)
        self.join(timeout=10)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = ServerThread(tmp_path_factory.mktemp("browser"))
    server.start()
    assert server.ready.wait(30), "the guide's server did not start"
    if server.error is not None:
        raise server.error
    yield f"http://127.0.0.1:{server.port}/guide/{SLUG}/"
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM  # type: ignore[assignment]
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_argument("--window-size=1280,900")
    options.add_argument("--lang=fr-FR")
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(60)
    yield driver
    driver.quit()


def click_and_wait(browser: Any, element: Any) -> None:
    """Click a link or button and wait until the next page has replaced this one."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    old_page = browser.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(browser, 15).until(expected_conditions.staleness_of(old_page))
    WebDriverWait(browser, 15).until(
        lambda driver: driver.execute_script("return document.readyState") == "complete"
    )


def assert_no_private_data(page_source: str) -> None:
    for secret in (SECRET_NOTE, SECRET_REFERENT_NAME, str(REFERENT_USER_ID)):
        assert secret not in page_source


def axe_violations(driver: Any) -> list[dict[str, Any]]:
    """Serious and critical violations of WCAG 2.x A/AA rules found by axe-core."""
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a',
            'wcag21aa', 'best-practice']}, resultTypes: ['violations']})
          .then(r => done(r.violations))
          .catch(e => done([{id: 'axe-error', impact: 'critical', description: String(e),
            nodes: []}]));
        """
    )
    return [v for v in result if v.get("impact") in ("serious", "critical")]


def describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['description']} — "
        + "; ".join(n.get("html", "")[:120] for n in v.get("nodes", [])[:3])
        for v in violations
    )


def test_search_a_need_open_a_place_and_check_hours(base_url: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    browser.get(base_url)
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "fr"
    field = browser.find_element(By.ID, "besoin")
    field.send_keys("dossier CAF de ma mère")
    click_and_wait(
        browser, browser.find_element(By.CSS_SELECTOR, "form.search button[type=submit]")
    )
    heading = browser.find_element(By.ID, "resultats-titre").text
    assert "lieu" in heading
    names = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".place-card h3 a")]
    assert "CCAS de Mérignac – Espace France Services" in names
    assert "Médiathèque Michel Serres" not in names, "it declares no administrative help"
    assert "CAF" in browser.find_element(By.CSS_SELECTOR, ".understood").text
    assert_no_private_data(browser.page_source)

    click_and_wait(
        browser, browser.find_element(By.LINK_TEXT, "CCAS de Mérignac – Espace France Services")
    )
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("CCAS de Mérignac")
    status = browser.find_element(By.ID, "etat")
    assert status.text == "Ouvert maintenant, jusqu'à 12:30"
    assert "is-open" in status.get_attribute("class")
    today = browser.find_element(By.CSS_SELECTOR, "table.hours tr.today")
    assert today.text.startswith("Mardi") and "8:30–12:30, 13:30–17:00" in today.text
    osm = browser.find_element(By.PARTIAL_LINK_TEXT, "OpenStreetMap")
    assert osm.get_attribute("href").startswith("https://www.openstreetmap.org/?mlat=44.8")
    assert "Handicaps moteurs" in browser.find_element(By.TAG_NAME, "main").text
    assert_no_private_data(browser.page_source)


def test_neighbourhood_filter_and_pagination_without_javascript(
    base_url: str, browser: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(base_url)
    Select(browser.find_element(By.ID, "zone")).select_by_visible_text("— Beutre")
    click_and_wait(
        browser, browser.find_element(By.CSS_SELECTOR, "form.search button[type=submit]")
    )
    names = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".place-card h3 a")]
    assert names == ["Maison des Habitants de Beutre"]
    assert browser.find_element(By.ID, "resultats-titre").text.startswith("1 lieu")
    assert "zone=q%3Abeutre" in browser.current_url


def test_keyboard_skip_link_and_visible_focus(base_url: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(base_url)
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    active = browser.switch_to.active_element
    assert active.text == "Aller au contenu"
    outline = browser.execute_script("return getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    active.send_keys(Keys.ENTER)  # same page: the focus moves to <main>
    assert browser.execute_script("return document.activeElement.id") == "contenu"


def test_phone_screen_has_no_horizontal_scrolling(base_url: str, browser: Any) -> None:
    browser.set_window_size(375, 800)
    try:
        for path in ("", "?besoin=cv", "lieu/merignac-ccas", "donnees", "imprimer"):
            browser.get(base_url + path)
            overflow = browser.execute_script(
                "return document.documentElement.scrollWidth - window.innerWidth"
            )
            assert overflow <= 0, f"{path or 'accueil'} is wider than a phone screen"
    finally:
        browser.set_window_size(1280, 900)


@pytest.mark.parametrize(
    "path",
    [
        "",
        "?besoin=pas+d%27ordinateur&zone=c%3Amerignac",
        "?besoin=zorglub",
        "lieu/merignac-ccas",
        "lieu/merignac-conseiller-numerique-chemin-long",
        "imprimer",
        "donnees",
        "lieu/nexiste-pas",
    ],
)
def test_no_serious_accessibility_violation(base_url: str, browser: Any, path: str) -> None:
    browser.get(base_url + path)
    violations = axe_violations(browser)
    assert not violations, describe(violations)
    assert_no_private_data(browser.page_source)


def test_the_audit_finds_violations_when_there_are_some(browser: Any) -> None:
    """The audit is not vacuous: a page with an unlabelled field and an image without
    text alternative fails it."""
    browser.get(
        "data:text/html;charset=utf-8,<html><body><input type=text>"
        "<img src='data:image/gif;base64,R0lGODlhAQABAAAAACw='></body></html>"
    )
    found = {v["id"] for v in axe_violations(browser)}
    assert {"label", "image-alt"} <= found
