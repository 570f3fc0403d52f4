"""The built site in a real headless Chromium (Debian's), driven by Playwright: search, copy
buttons, dark mode, instant navigation and MathML, with no request to any other host."""

import pytest

from conftest import new_page, other_hosts


@pytest.fixture
def page(browser, site_server):
    page = new_page(browser)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site_server.url)
    yield page
    page.context.close()


def assert_clean(page):
    page.wait_for_load_state("networkidle")
    assert not other_hosts(page.requests), other_hosts(page.requests)
    assert page.errors == []


def test_search_finds_the_chapter(page, site_server):
    page.goto(f"{site_server.url}/")
    page.click(".md-search__input")
    page.keyboard.type("overfitting")  # Material searches on key events, not on fill()
    page.locator(".md-search-result__item").first.wait_for(timeout=15000)
    assert "Model development" in page.locator(".md-search-result").inner_text()
    assert_clean(page)


def test_chapter_has_working_copy_buttons_and_dark_mode(page, site_server):
    page.goto(f"{site_server.url}/model-development/")
    buttons = page.locator("button[data-md-type=copy]")
    buttons.first.wait_for(state="attached")  # Material's script adds them after load
    assert buttons.count() >= 4

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
    assert_clean(page)


def test_instant_navigation_swaps_the_page_without_reloading(page, site_server):
    page.goto(f"{site_server.url}/")
    page.evaluate("window.__same_document = true")  # lost if the browser loads a new document
    page.locator("a.md-nav__link[href*='model-development']").first.click()
    page.wait_for_url("**/model-development/")
    page.locator("h1#model-development").wait_for()
    assert page.evaluate("window.__same_document") is True

    math = page.locator("math").first
    math.scroll_into_view_if_needed()
    box = math.bounding_box()
    assert box and box["width"] > 5 and box["height"] > 5  # MathML laid out, not raw TeX
    assert_clean(page)
