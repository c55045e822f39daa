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


ACCESSIBILITY_PROBLEMS = r"""() => {
    const problems = [];
    // Inside a closed <details> (all but its own summary) nothing is shown, though
    // Chromium still gives such elements boxes.
    const folded = (el) => {
        for (let d = el.closest("details:not([open])"); d;
             d = d.parentElement && d.parentElement.closest("details:not([open])")) {
            const summary = d.querySelector(":scope > summary");
            if (!(summary && summary.contains(el))) return true;
        }
        return false;
    };
    const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length) && !folded(el);
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
    // Text contrast (WCAG 2 AA): 4.5:1, or 3:1 for large text (24px, or 18.66px bold).
    const rgba = (c) => (c.match(/[\d.]+/g) || []).map(Number);
    const luminance = ([r, g, b]) => {
        const lin = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
        return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
    };
    const over = (top, bottom) => {
        const a = top.length > 3 ? top[3] : 1;
        return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a));
    };
    const background = (el) => {
        const layers = [];
        for (let e = el; e; e = e.parentElement) {
            const bg = rgba(getComputedStyle(e).backgroundColor);
            if (bg.length > 3 && bg[3] === 0) continue;
            layers.push(bg);
            if (bg.length === 3 || bg[3] === 1) break;
        }
        return layers.reverse().reduce((below, layer) => over(layer, below), [255, 255, 255]);
    };
    const seen = new Set();
    const texts = document.evaluate("//text()[normalize-space()]", document.body, null, XPathResult.ORDERED_NODE_SNAPSHOT_TYPE, null);
    for (let i = 0; i < texts.snapshotLength; i++) {
        const node = texts.snapshotItem(i);
        const el = node.parentElement;
        if (!el || seen.has(el) || !visible(el) || el.closest("script, style, .visually-hidden, [hidden], option, datalist")) continue;
        seen.add(el);
        const style = getComputedStyle(el);
        const bg = background(el);
        const fg = over(rgba(style.color), bg);
        const [l1, l2] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
        const ratio = (l1 + 0.05) / (l2 + 0.05);
        const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
        const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
        if (ratio < needed) problems.push(`contrast ${ratio.toFixed(2)} < ${needed}: "${node.textContent.trim().slice(0, 40)}"`);
    }
    return problems;
}"""


def accessibility_problems(page) -> list[str]:
    """Basic checks a screen-reader or keyboard user depends on (labels, names, headings)."""
    return page.evaluate(ACCESSIBILITY_PROBLEMS)
