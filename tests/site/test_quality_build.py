"""The build is reproducible, and what the site shows was executed, not pasted.

Reproducible: a second build of the same checkout writes the same files, byte for byte, as the
session's build (`built_site`). Both builds read the same snippet and lab caches, as every
build does. That is the only way the outputs of timing snippets (those that print measured
seconds, throughputs or latencies) are reproducible: two cold runs measure different numbers,
by design, and the cache keeps what one run printed until an input of the snippet changes.

Executed: every Output tab and every figure next to a snippet is, byte for byte, what the cache
entry of that snippet's exact source holds (found with the hook's own `cache_key`), and a tiny
project whose snippet changes its seed shows a different output after the next build.
"""

import gzip
import hashlib
import os
import re
import shutil
import subprocess
import textwrap
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from bs4 import BeautifulSoup

from conftest import HOOKS, ROOT, build_handbook, load_hook, mkdocs_build

hook = load_hook("snippets")


@pytest.fixture(scope="session")
def second_build(built_site, tmp_path_factory):
    """The handbook built once more after `built_site`, over the same caches: a warm build."""
    site = tmp_path_factory.mktemp("second-build") / "site"
    done = build_handbook(site)
    assert done.returncode == 0, f"second build failed:\n{done.stdout}\n{done.stderr}"
    return site, done.stderr


# --- reproducible ---------------------------------------------------------------------------

# The only differences two builds of one checkout may show, and why:
# - sitemap.xml: <lastmod> is the date of the build (MkDocs writes today's date for every page),
#   so two builds either side of midnight differ there and nowhere else;
# - sitemap.xml.gz: the same sitemap, and gzip's header records that date as its mtime.
LASTMOD = re.compile(rb"<lastmod>\d{4}-\d{2}-\d{2}</lastmod>")


def comparable(path: Path) -> bytes:
    """The bytes of a built file, with the documented build-date exceptions blanked out."""
    data = path.read_bytes()
    if path.name == "sitemap.xml.gz":
        data = gzip.decompress(data)
    if path.name in ("sitemap.xml", "sitemap.xml.gz"):
        data = LASTMOD.sub(b"<lastmod>(date of the build)</lastmod>", data)
    return data


def files(site: Path) -> dict[str, Path]:
    return {p.relative_to(site).as_posix(): p for p in site.rglob("*") if p.is_file()}


def test_warm_rebuild_executes_no_snippet_and_no_lab(second_build):
    _, log = second_build
    assert ", 0 executed," in log
    assert "Converting notebook" not in log  # mkdocs-jupyter logs this when it executes a lab


def test_two_builds_write_identical_files(built_site, second_build):
    first, second = files(built_site[0]), files(second_build[0])
    assert sorted(first) == sorted(second), (
        f"only in the first build: {sorted(set(first) - set(second))}\n"
        f"only in the second: {sorted(set(second) - set(first))}"
    )
    differ = [name for name in sorted(first) if comparable(first[name]) != comparable(second[name])]
    assert not differ, f"{len(differ)} files differ between two builds: {differ}"
    assert len(first) > 100


def test_build_date_exception_is_only_the_date(tmp_path):
    site_map = b"<url><loc>x</loc><lastmod>2025-01-01</lastmod></url>"
    (tmp_path / "sitemap.xml").write_bytes(site_map)
    (tmp_path / "sitemap.xml.gz").write_bytes(gzip.compress(site_map.replace(b"01-01", b"12-31")))
    assert comparable(tmp_path / "sitemap.xml") == comparable(tmp_path / "sitemap.xml.gz")
    (tmp_path / "other.html").write_bytes(site_map)
    assert comparable(tmp_path / "other.html") == site_map  # no exception for other files


# --- executed, not pasted -------------------------------------------------------------------


def cache_root() -> Path:
    return hook.cache_folder(ROOT)


def expected_output(stdout: str) -> str:
    """The Output tab's text for a snippet's stdout, as the hook renders it: trailing blank lines
    dropped, a placeholder when it printed nothing, whitespace-only lines emptied."""
    output = stdout.rstrip() or "(this snippet prints nothing)"
    return "\n".join(line if line.strip() else "" for line in output.splitlines())


def resolve(site: Path, page: Path, url: str) -> str:
    """The file a relative URL on `page` points to, relative to the site."""
    path = unquote(urlsplit(url).path)
    return (page.parent / path).resolve().relative_to(site.resolve()).as_posix()


def check_page(site: Path, page: Path, requirements) -> tuple[list[str], set[str], int]:
    """Compare every snippet run shown on `page` with its cache entry. Returns the problems, the
    figure files (relative to the site) that were matched, and the number of runs."""
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    name = page.relative_to(site).as_posix()
    problems, figures_seen = [], set()
    runs = soup.select("p.mlsd-run")
    for run in runs:
        link = run.find("a", attrs={"download": True})
        snippet = resolve(site, page, link["href"])
        where = f"{name}: {snippet}"
        source = (ROOT / snippet).read_bytes()
        if (site / snippet).read_bytes() != source:
            problems.append(f"{where}: the download is not the file in the repository")
        key = hook.cache_key(source, requirements)
        if not (cache_root() / key / "result.json").is_file():
            problems.append(f"{where}: no cache entry {key} for this exact source")
            continue
        result = hook.load_result(cache_root() / key)
        if result.source_sha256 != hashlib.sha256((site / snippet).read_bytes()).hexdigest():
            problems.append(f"{where}: the download is not the file that ran")
        if hook.describe_environment(result.environment) not in run.get_text():
            problems.append(f"{where}: the run line does not name the run's environment")

        tabs = run.find_previous_sibling()
        labels = [label.get_text(strip=True) for label in tabs.select(".tabbed-labels > label")]
        if "tabbed-set" not in (tabs.get("class") or []) or labels != ["Code", "Output"]:
            problems.append(f"{where}: no Code and Output tabs before the download line")
            continue
        shown = tabs.select(".tabbed-content > .tabbed-block")[1].find("code").get_text()
        if shown.rstrip("\n") != expected_output(result.stdout):
            problems.append(f"{where}: the Output tab differs from the cached stdout")
        if f"during this build, in {result.seconds:.1f} s, with " not in run.get_text():
            problems.append(f"{where}: the time shown is not the cached {result.seconds:.1f} s")

        shown_figures = []
        for sibling in run.find_next_siblings():
            if sibling.name != "figure" or "mlsd-figure" not in sibling.get("class", []):
                break
            shown_figures.append(sibling)
        if len(shown_figures) != len(result.figures):
            problems.append(
                f"{where}: {len(shown_figures)} figures shown, cache has {len(result.figures)}"
            )
            continue
        for figure, (fig_name, meta) in zip(shown_figures, result.figures.items(), strict=True):
            images = figure.find_all("img")
            caption = figure.find("figcaption")
            if (caption.get_text() if caption else "") != meta["caption"]:
                problems.append(f"{where}: caption of {fig_name} differs from the cached one")
            alt = meta["alt"].replace("[", "(").replace("]", ")")
            for theme, img in zip(("light", "dark"), images, strict=True):
                shown_file = resolve(site, page, img["src"])
                figures_seen.add(shown_file)
                cached = result.folder / "figures" / f"{fig_name}.{theme}.svg"
                if (site / shown_file).read_bytes() != cached.read_bytes():
                    problems.append(f"{where}: {shown_file} is not the cached {cached.name}")
                if img.get("alt") != alt:
                    problems.append(f"{where}: alt text of {shown_file} differs from the cache")
    for tabs in soup.select(".tabbed-set"):
        labels = [label.get_text(strip=True) for label in tabs.select(".tabbed-labels > label")]
        after = tabs.find_next_sibling()
        is_run = after is not None and "mlsd-run" in (after.get("class") or [])
        if "Output" in labels and not is_run:
            problems.append(f"{name}: an Output tab that no snippet run produced: {labels}")
    for figure in soup.select("figure.mlsd-figure"):
        for img in figure.find_all("img"):
            if resolve(site, page, img["src"]) not in figures_seen:
                problems.append(f"{name}: figure {img['src']} belongs to no snippet run")
    return problems, figures_seen, len(runs)


def test_every_output_and_figure_is_the_cached_result_of_its_snippet(built_site):
    site, _ = built_site
    requirements = (ROOT / "requirements.txt").read_bytes()
    problems, figures_seen, runs = [], set(), 0
    for page in sorted(site.rglob("*.html")):
        found, seen, count = check_page(site, page, requirements)
        problems += found
        figures_seen |= seen
        runs += count
    published = {p.relative_to(site).as_posix() for p in (site / "figures").rglob("*.svg")}
    problems += [
        f"{name}: published but shown by no snippet run" for name in published - figures_seen
    ]
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
    assert runs >= 50 and len(figures_seen) >= 20, (runs, len(figures_seen))


@pytest.fixture
def seeded_project(tmp_path):
    """A tiny MkDocs project with the real snippet hook and one seeded snippet, built with its
    own snippet cache."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "snippets" / "ch").mkdir(parents=True)
    shutil.copy(ROOT / "requirements.txt", tmp_path / "requirements.txt")
    (tmp_path / "mkdocs.yml").write_text(
        textwrap.dedent(
            f"""\
            site_name: tiny
            markdown_extensions:
              - pymdownx.superfences
              - pymdownx.tabbed:
                  alternate_style: true
              - md_in_html
              - attr_list
              - pymdownx.snippets:
                  base_path: [snippets]
                  check_paths: true
            hooks:
              - {HOOKS / "snippets.py"}
            """
        )
    )
    (tmp_path / "docs" / "index.md").write_text("# Tiny\n\n<!-- snippet: ch/draw.py -->\n")
    return tmp_path


def build_and_read_output(project: Path, seed: int) -> tuple[str, str]:
    (project / "snippets" / "ch" / "draw.py").write_text(
        textwrap.dedent(
            f"""\
            import numpy as np

            SEED = {seed}


            def main():
                rng = np.random.default_rng(SEED)
                print("draws:", " ".join(f"{{x:.4f}}" for x in rng.normal(size=4)))


            if __name__ == "__main__":
                main()
            """
        )
    )
    done = mkdocs_build(project, project / "site", MLSD_CACHE_DIR=str(project / "cache"))
    assert done.returncode == 0, done.stderr
    soup = BeautifulSoup((project / "site" / "index.html").read_text(), "html.parser")
    output = soup.select(".tabbed-content > .tabbed-block")[1].get_text().strip()
    return output, done.stderr


def test_changing_the_seed_changes_the_output_after_the_next_build(seeded_project):
    first, log = build_and_read_output(seeded_project, seed=1)
    assert first.startswith("draws: ") and "1 used, 1 executed" in log
    reseeded, log = build_and_read_output(seeded_project, seed=2)
    assert "1 used, 1 executed" in log
    assert reseeded.startswith("draws: ") and reseeded != first
    reader = seeded_project / "reader"  # a reader's empty folder and the readers' interpreter
    reader.mkdir()
    shutil.copy(seeded_project / "snippets" / "ch" / "draw.py", reader)
    direct = subprocess.run(
        [os.environ["MLSD_READER_PYTHON"], "-I", "draw.py"],
        cwd=reader,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert direct.stdout.strip() == reseeded
