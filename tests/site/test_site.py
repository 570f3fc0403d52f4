"""The built handbook: strict build, search index, executed snippets and figures on a chapter.
Links, resources, alt text and reproducibility: tests/site/test_quality_*.py; offline, console
and accessibility in Chromium: tests/browser/test_quality_browser.py."""

import hashlib
import json
import re
from pathlib import Path

from bs4 import BeautifulSoup

from conftest import DOCS, ROOT, built_page


def images(path: Path) -> list[dict]:
    """The attributes of every <img> on one HTML page."""
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    return [img.attrs for img in soup.find_all("img")]


def pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if p.name != "404.html")


SHORTCODE = re.compile(r"^<!--\s*snippet\s*:\s*([\w./-]+\.py)(?::[\w-]+)?\s*-->\s*$")
FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
BUILD_REPORT = re.compile(r"snippets: (\d+) used, (\d+) executed, (\d+) from cache")


def snippets_used_by_pages() -> dict[str, str]:
    """{snippet path: the first page under docs/ that uses it}, read from the Markdown here
    rather than with the hook's parser, so that a shortcode the hook overlooks shows up."""
    used: dict[str, str] = {}
    for page in sorted(DOCS.rglob("*.md")):
        fence = None
        for line in page.read_text(encoding="utf-8").splitlines():
            opener = FENCE.match(line)
            if opener and fence is None:
                fence = opener.group(1)
            elif opener and line.strip().startswith(fence) and not line.strip().strip("`~"):
                fence = None
            elif fence is None and (match := SHORTCODE.match(line)):
                used.setdefault(match.group(1), page.relative_to(DOCS).as_posix())
    return used


def test_strict_build_ran_every_snippet_it_uses(built_site, snippet_results):
    site, log = built_site
    # MkDocs' own warnings; a lab's kernel may log "[IPKernelApp] WARNING | ..." on a cold build
    assert not re.search(r"^WARNING\s+-", log, flags=re.MULTILINE), log
    used = snippets_used_by_pages()
    report = BUILD_REPORT.search(log)
    assert report, f"the build did not report its snippets:\n{log}"
    reported, executed, cached = map(int, report.groups())
    assert reported == len(used) == executed + cached, (report.group(0), len(used))
    published = {p.relative_to(site / "snippets").as_posix() for p in site.glob("snippets/**/*.py")}
    assert published == set(used)  # the build publishes each snippet it used for download
    texts: dict[str, str] = {}
    for path, page in sorted(used.items()):
        result = snippet_results(path)  # fails, naming the snippet, when it has no result
        source = (ROOT / "snippets" / path).read_bytes()
        assert result.source_sha256 == hashlib.sha256(source).hexdigest(), path
        if page not in texts:
            html = built_page(site, page).read_text(encoding="utf-8")
            texts[page] = BeautifulSoup(html, "html.parser").get_text()
        first = next(line.strip() for line in result.stdout.splitlines() if line.strip())
        assert first in texts[page], f"{page} does not show the output of snippets/{path}"


def test_search_index_contains_every_page(built_site):
    site, _ = built_site
    index = json.loads((site / "search" / "search_index.json").read_text())
    locations = {doc["location"].split("#")[0] for doc in index["docs"]}
    for page in pages(site):
        location = page.relative_to(site).as_posix().removesuffix("index.html")
        assert location in locations, f"{location or 'home'} is missing from the search index"


def test_model_development_chapter_shows_executed_snippets_and_figures(built_site):
    site, _ = built_site
    html = (site / "model-development" / "index.html").read_text()
    assert html.count('<label for="__tabbed_') >= 8  # at least four Code/Output pairs
    figures = {img["src"] for img in images(site / "model-development" / "index.html")}
    light = [src for src in figures if src.endswith(".light.svg#only-light")]
    assert len(light) >= 2
    assert all(src.replace("light", "dark") in figures for src in light)
    assert "<math" in html  # formulas rendered to MathML at build time
    assert 'class="arithmatex"' not in html


def test_home_page_names_the_real_repository_and_the_versions_snippets_ran_with(built_site):
    site, _ = built_site
    text = re.sub(r"<[^>]+>", "", (site / "index.html").read_text(encoding="utf-8"))
    assert "git clone https://github.com/ml-system-design-handbook/handbook.git" in text
    assert "<this repository>" not in text and "&lt;this repository&gt;" not in text
    pins = dict(
        line.split("==")
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    versions = re.search(
        r"Python (3\.\d+\.\d+), numpy (\S+), torch (\S+) and matplotlib (\S+)", text
    )
    assert versions, "the landing page does not state the versions"
    python, numpy, torch, matplotlib = versions.groups()
    assert numpy == pins["numpy"] and matplotlib == pins["matplotlib"]
    assert torch.split("+")[0] == pins["torch"]  # a local build tag such as +cpu may follow
