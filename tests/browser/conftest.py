"""Browser tests: Playwright driving Debian's Chromium against the live test server."""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(
            "needs Debian's Chromium at /usr/bin/chromium: apt-get install chromium"
        )
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own
    # database calls are still synchronous, so Django may allow them.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def sign_in(page, live_server, username, password="ordersite-demo"):
    page.goto(f"{live_server.url}/staff/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/staff/")


ACCESSIBILITY_PROBLEMS = """() => {
    const problems = [];
    const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
    for (const el of document.querySelectorAll("input, select, textarea")) {
        if (el.type === "hidden" || !visible(el)) continue;
        const named = el.labels.length || el.getAttribute("aria-label")
            || el.getAttribute("aria-labelledby") || el.title;
        if (!named) problems.push(`unlabelled ${el.tagName.toLowerCase()} ${el.name || el.id}`);
    }
    for (const el of document.querySelectorAll("button, a[href]")) {
        if (visible(el) && !(el.innerText.trim() || el.getAttribute("aria-label")))
            problems.push(`${el.tagName.toLowerCase()} without text`);
    }
    for (const img of document.querySelectorAll("img:not([alt])")) problems.push("img without alt");
    const h1 = document.querySelectorAll("h1").length;
    if (h1 !== 1) problems.push(`${h1} h1 headings`);
    let last = 0;
    for (const h of document.querySelectorAll("h1, h2, h3, h4, h5, h6")) {
        const level = Number(h.tagName[1]);
        if (last && level > last + 1) problems.push(`heading ${h.tagName} after h${last}: ${h.innerText}`);
        last = level;
    }
    if (!document.documentElement.lang) problems.push("no lang on <html>");
    return problems;
}"""


def accessibility_problems(page) -> list[str]:
    """Basic checks a screen-reader or keyboard user depends on (labels, names, headings)."""
    return page.evaluate(ACCESSIBILITY_PROBLEMS)
