"""Every page of the built site in headless Chromium (Debian's), in the light and the dark
scheme: it asks nothing of any host but the local server, logs no console error, and axe-core
finds no serious or critical WCAG 2 A/AA violation. Material's search ranks each chapter first
for its key terms.

axe-core comes from the pinned npm package in scripts/a11y (`make test` installs it with
`npm ci`) and is injected into each page by the test, never loaded from a CDN.
"""

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from conftest import ROOT, new_page, other_hosts

AXE = ROOT / "scripts" / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING = ("serious", "critical")
SCHEMES = {"light": "default", "dark": "slate"}  # Material's name for each scheme
RUN_AXE = """async (tags) => {
    const results = await axe.run(document, {
        runOnly: {type: "tag", values: tags},
        resultTypes: ["violations"],
    });
    return results.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map((n) => ({target: n.target.join(" "), summary: n.failureSummary})),
    }));
}"""


@dataclass
class Visit:
    path: str  # the URL path on the local server
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    scheme: str | None = None
    violations: list[dict] = field(default_factory=list)


def page_paths(site) -> list[str]:
    """The URL of every page of the site: folders for index.html, the 404 page by its name."""
    paths = []
    for html in sorted(site.rglob("*.html")):
        relative = html.relative_to(site).as_posix()
        paths.append("/" + relative.removesuffix("index.html"))
    return paths


@pytest.fixture(scope="module", params=list(SCHEMES))
def tour(request, browser, site_server, built_site):
    """Open every page in turn in one context with the given system colour scheme (Material's
    palette follows the system by default), recording requests and console errors per page and
    running axe-core on it once it has loaded."""
    assert AXE.is_file(), f"{AXE} is missing: run `npm ci --prefix scripts/a11y` (make test does)"
    site, _ = built_site
    theme = request.param
    page = new_page(browser, color_scheme=theme)
    visits = []
    try:
        for path in page_paths(site):
            page.requests.clear()
            page.errors.clear()
            visit = Visit(path)
            page.goto(site_server.url + path)
            visit.scheme = page.locator("body").get_attribute("data-md-color-scheme")
            page.add_script_tag(path=str(AXE))
            visit.violations = page.evaluate(RUN_AXE, WCAG_TAGS)
            page.wait_for_load_state("networkidle")  # axe takes a second: usually at once
            visit.requests, visit.errors = list(page.requests), list(page.errors)
            visits.append(visit)
    finally:
        page.context.close()
    return theme, visits


def test_every_page_is_shown_in_the_scheme_of_the_system(tour):
    theme, visits = tour
    wrong = [f"{v.path}: {v.scheme}" for v in visits if v.scheme != SCHEMES[theme]]
    assert len(visits) >= 20 and not wrong, "\n".join(wrong)


def test_every_page_asks_nothing_of_any_other_host(tour):
    _, visits = tour
    elsewhere = [f"{v.path}: {url}" for v in visits for url in other_hosts(v.requests)]
    assert not elsewhere, "\n".join(elsewhere)
    assert all(v.requests for v in visits)  # the recorder did see the page's own requests


def test_every_page_logs_no_console_error(tour):
    _, visits = tour
    errors = [f"{v.path}: {error}" for v in visits for error in v.errors]
    assert not errors, "\n".join(errors)


def test_axe_finds_no_serious_or_critical_violation(tour):
    theme, visits = tour
    found = [
        f"{v.path} [{theme}] {violation['impact']} {violation['id']}: {violation['help']}\n"
        + "\n".join(f"    {node['target']}" for node in violation["nodes"][:5])
        + (f"\n    ... {len(violation['nodes']) - 5} more" if len(violation["nodes"]) > 5 else "")
        for v in visits
        for violation in v.violations
        if violation["impact"] in BLOCKING
    ]
    assert not found, f"{len(found)} violations:\n" + "\n".join(found)


# --- search ---------------------------------------------------------------------------------

# One or two terms per chapter in the navigation, taken from what the chapter teaches (its
# headings); typing each into the search box must list that chapter first.
SEARCH_TERMS = {
    "overview/": ["ML systems"],
    "scoping/": ["requirements", "business objective"],
    "data-engineering/": ["data engineering", "data formats"],
    "training-data/": ["sampling", "missing data"],  # "class imbalance" ranks Lab 2 first
    "features/": ["feature engineering", "data leakage"],
    "model-development/": ["overfitting", "learning curves"],
    "evaluation/": ["offline evaluation"],
    "deployment/": ["deployment", "dynamic batching"],
    "compression/": ["quantisation", "distillation"],
    "monitoring/": ["distribution shifts", "monitoring"],
    "continual-learning/": ["continual learning", "champion"],
    "infrastructure/": ["infrastructure", "orchestrators"],
    "human-side/": ["responsible AI", "team structure"],
    "lessons-from-the-field/": ["lessons", "incidental complexity"],
    "interview-practice/": ["interview"],
}

# The link of the first result, once the results shown are those of the whole term: Material
# adds to each result link `?h=` with the words of the query that the result matched, so while
# earlier keystrokes' results are shown, some link carries a partial word ("overf") or none
# carries the term's last word.
FIRST_RESULT = """(words) => {
    const links = [...document.querySelectorAll(".md-search-result__item a")];
    const seen = new Set();
    for (const link of links) {
        const matched = (new URL(link.href).searchParams.get("h") || "").split(" ");
        for (const word of matched.filter(Boolean)) {
            if (!words.includes(word)) return null;
            seen.add(word);
        }
    }
    return seen.has(words[words.length - 1]) ? links[0].href : null;
}"""
SHOWN = """() => [...document.querySelectorAll(".md-search-result__item > a")].slice(0, 5)
    .map((a) => a.getAttribute("href"))"""


@pytest.fixture(scope="module")
def search_page(browser, site_server):
    page = new_page(browser)
    page.goto(f"{site_server.url}/", wait_until="networkidle")
    yield page
    page.context.close()


def search(page, term: str) -> str:
    """Type `term` into Material's search box and return the link of the first result."""
    box = page.locator(".md-search__input")
    box.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    page.keyboard.type(term)  # Material searches on key events, not on fill()
    words = re.split(r"[\s\-]+", term.lower())  # the index's separator
    try:
        return page.wait_for_function(FIRST_RESULT, arg=words, timeout=15000).json_value()
    except PlaywrightTimeout:
        pytest.fail(f"{term!r}: no result matches the whole term; shown: {page.evaluate(SHOWN)}")


@pytest.mark.parametrize(
    ("chapter", "term"), [(c, t) for c, terms in SEARCH_TERMS.items() for t in terms]
)
def test_search_ranks_the_chapter_first(search_page, site_server, chapter, term):
    first = search(search_page, term)
    found = urlsplit(urljoin(site_server.url + "/", first)).path.removeprefix("/")
    assert found == chapter, f"{term!r}: first result is {first}, not {chapter}"
    assert not other_hosts(search_page.requests) and search_page.errors == []


def test_every_chapter_in_the_navigation_has_search_terms():
    nav = re.findall(r"^\s+- [^:\n]+: ([\w-]+)\.md\s*$", (ROOT / "mkdocs.yml").read_text(), re.M)
    assert set(nav) - {"index"} == {chapter.rstrip("/") for chapter in SEARCH_TERMS}
