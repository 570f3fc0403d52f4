"""The built handbook: strict build, links and anchors, search index, offline assets, figures."""

import json
import posixpath
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from conftest import ROOT, mkdocs_build

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


def is_external(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.scheme or parts.netloc)


def resolve(site: Path, page: Path, url: str) -> tuple[Path, str]:
    """The file a relative URL on `page` points to, and its fragment."""
    parts = urlsplit(url)
    here = page.parent.relative_to(site).as_posix()
    target = posixpath.normpath(posixpath.join(here, unquote(parts.path))) if parts.path else ""
    path = site / target if parts.path else page
    if path.is_dir():
        path = path / "index.html"
    return path, unquote(parts.fragment)


def pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if p.name != "404.html")


def test_strict_build_ran_every_snippet_it_uses(built_site):
    _, log = built_site
    assert "WARNING" not in log
    assert "snippets:" in log and " used," in log


def test_every_internal_link_and_anchor_resolves(built_site):
    site, _ = built_site
    parsed = {page: parse(page) for page in pages(site)}
    broken = []
    for page, parser in parsed.items():
        for url in parser.links + [url for _, url in parser.resources]:
            if is_external(url) or url.startswith(("mailto:", "data:")):
                continue
            target, fragment = resolve(site, page, url)
            if not target.exists():
                broken.append(f"{page.relative_to(site)}: {url} (no file)")
            elif fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else parse(target).ids
                if fragment not in ids:
                    broken.append(f"{page.relative_to(site)}: {url} (no anchor)")
    assert not broken, "\n".join(broken)


def test_pages_load_nothing_from_other_hosts(built_site):
    site, _ = built_site
    external = [
        f"{page.relative_to(site)}: <{tag}> {url}"
        for page in pages(site)
        for tag, url in parse(page).resources
        if is_external(url)
    ]
    assert not external, "\n".join(external)


def test_search_index_contains_every_page(built_site):
    site, _ = built_site
    index = json.loads((site / "search" / "search_index.json").read_text())
    locations = {doc["location"].split("#")[0] for doc in index["docs"]}
    for page in pages(site):
        location = page.relative_to(site).as_posix().removesuffix("index.html")
        assert location in locations, f"{location or 'home'} is missing from the search index"


def test_every_image_has_alt_text(built_site):
    site, _ = built_site
    missing = [
        f"{page.relative_to(site)}: {img.get('src')}"
        for page in pages(site)
        for img in parse(page).images
        if not (img.get("alt") or "").strip()
    ]
    assert not missing, "\n".join(missing)


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


def test_warm_rebuild_executes_no_snippet_and_no_lab(built_site, tmp_path):
    done = mkdocs_build(ROOT, tmp_path / "site")
    assert done.returncode == 0, done.stderr
    assert ", 0 executed," in done.stderr
    assert "Converting notebook" not in done.stderr  # mkdocs-jupyter logs this when it executes
