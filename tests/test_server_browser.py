"""The dashboard in a real browser (Playwright driving Debian's headless Chromium)
against the server on a real PostgreSQL: a supervisor logs in, sees the overdue list,
opens an inspection with a finding, downloads its evidence and logs out; an inspector is
refused the user list."""

import hashlib

import pytest

from detector.push import Server, push
from tests.conftest import system_tool
from tests.server_env import PASSWORD, make_city

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def browser():
    """Requested last, so that it starts after the database is set up and stops before
    it is emptied (Playwright's sync API runs an event loop on this thread)."""
    chromium = system_tool("chromium", "chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=FLAGS)
        yield b
        b.close()


@pytest.fixture
def city(server_db, tmp_path, live_server):
    world = make_city(tmp_path)
    push(world.office_book, Server(live_server, world.token, allow_http=True))
    push(world.other_book, Server(live_server, world.other_token, allow_http=True))
    yield world
    world.office_book.close()
    world.other_book.close()


def log_in(page, base, username):
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def test_a_supervisor_finds_the_overdue_and_downloads_a_findings_evidence(
        city, live_server, tmp_path, browser):
    page = browser.new_page(accept_downloads=True)
    page.goto(f"{live_server}/")
    assert page.url.startswith(f"{live_server}/login")  # anonymous: sent to log in
    log_in(page, live_server, "sam")
    # STN-C was never inspected: overdue, at the top; the south's location is not shown.
    first = page.locator("#schedule tr.row-overdue").first
    assert "STN-C" in first.inner_text() and "overdue" in first.inner_text()
    assert "STN-S" not in page.locator("#schedule").inner_text()
    assert "overdue" in page.locator("#counts").text_content()
    page.screenshot(path=str(tmp_path / "schedule.png"))
    # An inspection with a finding, its evidence downloaded and checked.
    page.click("a[href='/inspections']")
    page.click("a[href='/inspections/insp-00000']")
    assert "verified by the server" in page.locator("#verification").inner_text()
    assert "suspicious" in page.inner_text("main")
    # The finding's snapshot shown, and its RF spectrum plotted.
    finding = page.locator("section.finding").first
    assert "Finding: suspicious" in finding.inner_text()
    snapshot = finding.locator("img.snapshot")
    snapshot.wait_for()
    assert snapshot.evaluate("img => img.complete && img.naturalWidth > 0")
    assert finding.locator("svg polyline").count() >= 1
    page.screenshot(path=str(tmp_path / "finding.png"), full_page=True)
    link = page.locator("#evidence a").first
    sha = link.get_attribute("href").rsplit("/", 1)[1]
    with page.expect_download() as info:
        link.click()
    saved = tmp_path / "evidence.bin"
    info.value.save_as(saved)
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == sha
    # The months at a glance, the findings among them.
    page.click("a[href='/statistics']")
    assert page.locator("#months rect.result-suspicious").count() >= 1
    page.screenshot(path=str(tmp_path / "statistics.png"), full_page=True)
    page.click("text=log out")
    page.goto(f"{live_server}/inspections")
    assert page.url.startswith(f"{live_server}/login")


def test_an_inspector_is_refused_the_user_list(city, live_server, browser):
    page = browser.new_page()
    log_in(page, live_server, "ines")
    assert page.locator("#schedule").count() == 1
    response = page.goto(f"{live_server}/users")
    assert response.status == 403 and "may not see" in page.inner_text("body")
    assert page.locator("a[href='/users']").count() == 0
