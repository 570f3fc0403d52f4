"""Every page of the built site, read from disk: each internal link, anchor and resource (images,
`srcset` candidates, stylesheets, scripts, icons, the search worker, `url()` in our CSS, the
sitemap) resolves to a file of the build; nothing is loaded from another host; external links are
listed and checked to be well formed, never fetched; every image has alt text.

One checker covers links and resources alike, so that a figure, a stylesheet or a srcset
candidate that points nowhere fails the same way as a broken cross-link.
"""

import json
import posixpath
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from bs4 import BeautifulSoup

# Attributes that hold a URL, by tag. `srcset` holds a list of candidates.
URL_ATTRIBUTES = {
    "a": ("href",),
    "area": ("href",),
    "link": ("href",),
    "img": ("src", "srcset"),
    "source": ("src", "srcset"),
    "script": ("src",),
    "iframe": ("src",),
    "video": ("src", "poster"),
    "audio": ("src",),
    "track": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "input": ("src",),
    "image": ("href", "xlink:href"),  # inline SVG
    "use": ("href", "xlink:href"),
    "form": ("action",),
}
# What a reader follows by clicking; everything else the browser fetches by itself on load.
FOLLOWED = {"a", "area", "form"}
FOLLOWED_LINK_RELS = {"canonical", "prev", "next", "alternate", "author", "license", "search"}
IGNORED_SCHEMES = ("data:", "javascript:", "blob:", "about:")
CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)""")


@dataclass(frozen=True)
class Reference:
    source: str  # the page or file that holds it, relative to the site
    what: str  # e.g. "<img src>"
    url: str
    followed: bool  # a link the reader clicks, as opposed to a resource the page loads


@dataclass
class ParsedPage:
    ids: set[str] = field(default_factory=set)
    references: list[Reference] = field(default_factory=list)
    images: list[dict[str, str]] = field(default_factory=list)


# Elements whose `id` or `name` is not an anchor a link can point at.
NOT_ANCHORS = ("meta", "input", "button", "textarea", "select")


def parse_page(site: Path, path: Path) -> ParsedPage:
    """The anchors, references and images of one page, read with BeautifulSoup."""
    name = path.relative_to(site).as_posix()
    page = ParsedPage()

    def add(what: str, url: str, followed: bool) -> None:
        url = url.strip()
        if url and not url.lower().startswith(IGNORED_SCHEMES):
            page.references.append(Reference(name, what, url, followed))

    # multi_valued_attributes=None: `rel` and `class` stay strings, as the page wrote them
    soup = BeautifulSoup(
        path.read_text(encoding="utf-8"), "html.parser", multi_valued_attributes=None
    )
    for element in soup.find_all(True):
        tag = element.name
        attrs = {key: value or "" for key, value in element.attrs.items()}
        for key in ("id", "name"):
            if attrs.get(key) and tag not in NOT_ANCHORS:
                page.ids.add(attrs[key])
        followed = tag in FOLLOWED
        if tag == "link":
            rels = set(attrs.get("rel", "").lower().split())
            followed = bool(rels) and rels <= FOLLOWED_LINK_RELS
        for attribute in URL_ATTRIBUTES.get(tag, ()):
            value = attrs.get(attribute)
            if not value:
                continue
            if attribute == "srcset":
                for candidate in value.split(","):
                    if candidate.strip():
                        add(f"<{tag} srcset>", candidate.split()[0], followed)
            else:
                add(f"<{tag} {attribute}>", value, followed)
        if tag == "img":
            page.images.append(attrs)
        for url in CSS_URL.findall(attrs.get("style", "")):
            add(f"<{tag} style>", url[1], False)
        if tag == "style":
            for url in CSS_URL.findall(element.get_text()):
                add("<style> url()", url[1], False)
        elif tag == "script":
            data = element.get_text()
            if '"search":' in data and data.lstrip().startswith("{"):
                worker = json.loads(data).get("search")  # Material's __config names its worker
                if worker:
                    add("__config search worker", worker, False)
    return page


def html_pages(site: Path) -> list[Path]:
    """Every page of the site, the 404 page included."""
    return sorted(site.rglob("*.html"))


def site_origin(site: Path) -> str:
    """`site_url` as the build wrote it, e.g. "http://127.0.0.1:8000/", read from the sitemap."""
    first = re.search(r"<loc>([^<]+)</loc>", (site / "sitemap.xml").read_text(encoding="utf-8"))
    assert first, "sitemap.xml lists no page"
    return first.group(1)


@dataclass
class Report:
    pages: int = 0
    checked: int = 0
    broken: list[str] = field(default_factory=list)
    loaded_from_elsewhere: list[str] = field(default_factory=list)
    external: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    images: int = 0
    missing_alt: list[str] = field(default_factory=list)


def check_site(site: Path) -> Report:
    """Resolve every reference of every page, stylesheet and the sitemap against the files."""
    origin = site_origin(site)
    base_path = urlsplit(origin).path or "/"
    parsed = {path: parse_page(site, path) for path in html_pages(site)}
    references = [ref for page in parsed.values() for ref in page.references]
    for css in sorted(site.rglob("*.css")):
        name = css.relative_to(site).as_posix()
        for _, url in CSS_URL.findall(css.read_text(encoding="utf-8", errors="replace")):
            if url and not url.lower().startswith(IGNORED_SCHEMES):
                references.append(Reference(name, "css url()", url, False))
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    for url in re.findall(r"<loc>([^<]+)</loc>", sitemap):
        references.append(Reference("sitemap.xml", "<loc>", url, True))

    report = Report(pages=len(parsed), checked=len(references))
    for ref in references:
        where = f"{ref.source}: {ref.what} {ref.url}"
        parts = urlsplit(ref.url)
        if ref.url.startswith(origin):  # an absolute URL into this site (canonical, sitemap)
            parts = urlsplit(ref.url[len(origin) :])
            relative = parts.path
        elif parts.scheme or parts.netloc:
            report.external[ref.url].add(ref.source)
            if not ref.followed:
                report.loaded_from_elsewhere.append(where)
            continue
        elif parts.path.startswith("/"):  # root-relative, as on the 404 page
            if not parts.path.startswith(base_path):
                report.broken.append(f"{where} (outside the site's base path {base_path})")
                continue
            relative = parts.path[len(base_path) :]
        elif parts.path:
            relative = posixpath.join(posixpath.dirname(ref.source), parts.path)
        else:  # "#anchor" or "?query" on the same page
            relative = ref.source
        relative = posixpath.normpath(unquote(relative) or ".")
        if relative == ".." or relative.startswith("../"):
            report.broken.append(f"{where} (leaves the site)")
            continue
        target = site / relative
        if target.is_dir():
            target = target / "index.html"
        elif parts.path.endswith("/"):
            report.broken.append(f"{where} (no folder {relative}/)")
            continue
        if not target.is_file():
            report.broken.append(f"{where} (no file {target.relative_to(site).as_posix()})")
            continue
        fragment = unquote(parts.fragment)
        if fragment and target.suffix == ".html" and fragment not in parsed[target].ids:
            name = target.relative_to(site).as_posix()
            report.broken.append(f"{where} (no id {fragment!r} in {name})")

    for path, page in parsed.items():
        for img in page.images:
            report.images += 1
            if not img.get("alt", "").strip():
                name = path.relative_to(site).as_posix()
                report.missing_alt.append(f"{name}: <img src={img.get('src', '')[:80]!r}>")
    return report


def malformed(url: str) -> str | None:
    """Why an external link is not a well-formed http(s) or mailto URL, or None."""
    if re.search(r"\s", url):
        return "contains whitespace"
    parts = urlsplit(url)
    if parts.scheme == "mailto":
        return (
            None if re.fullmatch(r"[^@/]+@[^@/]+\.[a-z]{2,}", parts.path, re.I) else "bad address"
        )
    if parts.scheme not in ("http", "https"):
        return f"scheme {parts.scheme or '(none)'!r}"
    host = parts.hostname or ""
    if not re.fullmatch(r"([a-z0-9-]+\.)+[a-z]{2,}|127\.0\.0\.1|localhost", host, re.I):
        return f"host {host!r}"
    return None


@pytest.fixture(scope="module")
def report(built_site) -> Report:
    site, _ = built_site
    return check_site(site)


def test_the_checker_saw_the_whole_site(report):
    assert report.pages >= 20, f"only {report.pages} pages: is the build complete?"
    assert report.checked >= 1000 and report.images >= 20


def test_every_internal_link_anchor_and_resource_resolves(report):
    assert not report.broken, f"{len(report.broken)} broken:\n" + "\n".join(report.broken)


def test_no_page_loads_anything_from_another_host(report):
    assert not report.loaded_from_elsewhere, "\n".join(report.loaded_from_elsewhere)


def test_external_links_are_listed_and_well_formed_never_fetched(report, tmp_path):
    listing = tmp_path / "external-links.txt"
    lines = [f"{url}\t{', '.join(sorted(pages))}" for url, pages in sorted(report.external.items())]
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} external links, listed in {listing}:", *lines, sep="\n")  # on failure
    bad = [f"{url}: {why}" for url in report.external if (why := malformed(url))]
    assert not bad, "\n".join(bad)


def test_every_image_has_alt_text(report):
    assert not report.missing_alt, "\n".join(report.missing_alt)


def test_the_checker_catches_each_kind_of_break(tmp_path):
    """A tiny hand-made site with one of each fault: the checker must name every one."""
    site = tmp_path / "site"
    (site / "a").mkdir(parents=True)
    (site / "sitemap.xml").write_text(
        "<urlset><url><loc>http://example.org/docs/</loc></url>"
        "<url><loc>http://example.org/docs/gone/</loc></url></urlset>"
    )
    (site / "style.css").write_text("p { background: url('missing.png') }")
    (site / "ok.svg").write_text("<svg/>")
    (site / "index.html").write_text(
        '<h1 id="top">T</h1><a href="a/">fine</a><a href="#top">fine</a>'
        '<a href="a/#nowhere">anchor</a><img src="ok.svg#only-light" alt="x">'
        '<img src="no.svg" alt="">'
        '<picture><source srcset="ok.svg 1x, lost.svg 2x"></picture>'
        '<link rel="stylesheet" href="style.css"><script src="https://cdn.example.com/x.js">'
        '</script><a href="https://example.com/a b">bad</a><a href="/other/">outside</a>'
    )
    (site / "a" / "index.html").write_text('<a href="../../up.html">up</a>')
    found = check_site(site)
    broken = "\n".join(found.broken)
    for fault in ("a/#nowhere", "no.svg", "lost.svg", "missing.png", "docs/gone/", "up.html"):
        assert fault in broken
    assert "outside the site's base path" in broken  # /other/ when the site lives at /docs/
    assert "ok.svg" not in broken and "#top" not in broken and " a/ " not in broken
    assert found.loaded_from_elsewhere == ["index.html: <script src> https://cdn.example.com/x.js"]
    assert [u for u in found.external if malformed(u)] == ["https://example.com/a b"]
    assert found.missing_alt == ["index.html: <img src='no.svg'>"]
