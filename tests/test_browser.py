"""The built site in a real headless Chromium (Debian's), driven by Playwright.

Playwright never downloads a browser here: it launches /usr/bin/chromium, which `make test`
installs from Debian's packages when missing.
"""

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = [pytest.mark.build, pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(built_site):
    site, _ = built_site
    handler = functools.partial(QuietHandler, directory=str(site))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), (
        "Debian's chromium is missing: run `make test`, which installs it"
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server):
    """A fresh page that records every request and every console error."""
    context = browser.new_context(color_scheme="light", viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    page = context.new_page()
    page.requests, page.errors = [], []
    page.on("request", lambda request: page.requests.append(request.url))
    page.on("console", lambda msg: msg.type == "error" and page.errors.append(msg.text))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


def other_hosts(urls: list[str]) -> list[str]:
    return [
        u
        for u in urls
        if urlsplit(u).scheme in ("http", "https", "ws", "wss")
        and urlsplit(u).hostname != "127.0.0.1"
    ]


def test_search_finds_the_chapter(page, server):
    page.goto(f"{server}/")
    page.click(".md-search__input")
    page.keyboard.type("overfitting")  # Material searches on key events, not on fill()
    result = page.locator(".md-search-result__item").first
    result.wait_for(timeout=15000)
    assert "Model development" in page.locator(".md-search-result").inner_text()
    assert not other_hosts(page.requests)
    assert page.errors == []


def test_chapter_has_working_copy_buttons_and_dark_mode(page, server):
    page.goto(f"{server}/model-development/")
    buttons = page.locator("button[data-md-type=copy]")
    buttons.first.wait_for(state="attached")  # Material's script adds them after load
    assert buttons.count() >= 1

    first_code = page.locator(".tabbed-block .highlight code").first
    first_code.scroll_into_view_if_needed()
    first_code.hover()
    page.locator(".tabbed-block button[data-md-type=copy]").first.click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.strip() and copied.strip().splitlines()[0] in first_code.inner_text()

    body = page.locator("body")
    assert body.get_attribute("data-md-color-scheme") == "default"
    for _ in range(3):  # the toggle cycles: system, light, dark
        if body.get_attribute("data-md-color-scheme") == "slate":
            break
        page.locator("form[data-md-component=palette] label:visible").first.click()
    assert body.get_attribute("data-md-color-scheme") == "slate"
    dark_figure = page.locator('img[src*=".dark.svg"]').first
    light_figure = page.locator('img[src*=".light.svg"]').first
    dark_figure.scroll_into_view_if_needed()
    assert dark_figure.is_visible() and not light_figure.is_visible()

    page.wait_for_load_state("networkidle")
    assert not other_hosts(page.requests), other_hosts(page.requests)
    assert page.errors == []


def test_instant_navigation_and_math_render(page, server):
    page.goto(f"{server}/")
    page.locator("a.md-nav__link[href*='model-development']").first.click()
    page.wait_for_url("**/model-development/")
    math = page.locator("math").first
    math.scroll_into_view_if_needed()
    box = math.bounding_box()
    assert box and box["width"] > 5 and box["height"] > 5  # MathML laid out, not raw TeX
    page.wait_for_load_state("networkidle")
    assert not other_hosts(page.requests), other_hosts(page.requests)
    assert page.errors == []
