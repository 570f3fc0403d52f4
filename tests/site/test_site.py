"""The built handbook: strict build, search index, executed snippets and figures on a chapter.
Links, resources, alt text, reproducibility and offline checks live in tests/test_quality_*.py."""

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = pytest.mark.build


class PageParser(HTMLParser):
    """Collects the ids, links and resource references of one HTML page."""

    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.resources: list[tuple[str, str]] = []  # (tag, url) the browser would load
        self.images: list[dict[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name"):
            if attrs.get(key):
                self.ids.add(attrs[key])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag in ("img", "script", "iframe", "source", "video", "audio") and attrs.get("src"):
            self.resources.append((tag, attrs["src"]))
        if tag == "link" and attrs.get("href") and attrs.get("rel") not in ("canonical",):
            self.resources.append((tag, attrs["href"]))
        if tag == "img":
            self.images.append(attrs)


def parse(path: Path) -> PageParser:
    parser = PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if p.name != "404.html")


def test_strict_build_ran_every_snippet_it_uses(built_site):
    _, log = built_site
    # MkDocs' own warnings; a lab's kernel may log "[IPKernelApp] WARNING | ..." on a cold build
    assert not re.search(r"^WARNING\s+-", log, flags=re.MULTILINE), log
    assert "snippets:" in log and " used," in log


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
    figures = {img["src"] for img in parse(site / "model-development" / "index.html").images}
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
