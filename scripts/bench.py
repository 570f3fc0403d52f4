"""Benchmark the build and the built site, and print one table.

Run with `make bench`. Every build is a separate `mkdocs build` process into a temporary folder,
with temporary snippet and lab caches, so the project's own .cache/ is left alone. Measured:

- a cold build (empty caches), warm builds (nothing changed), and a bare build of the same
  Markdown without our hooks and without executing the labs: warm / bare should stay <= 1.3;
- the rebuild after editing one snippet, against a bare build plus that snippet's own run time;
- `mkdocs serve`: the time from saving an edited page to the server sending the new version;
- per page, the bytes a static host sends gzipped (the HTML and the CSS, JS and images it
  loads), the largest page, and the search index (targets: a chapter under 500 KB, the index
  under 2 MB);
- Lighthouse performance and accessibility for four pages, with the pinned lighthouse from
  scripts/bench-tools (installed with `npm ci` on first use) against Debian's Chromium
  (targets: performance >= 95, accessibility 100). `--no-lighthouse` skips it.

Each time is the median of several runs (`--runs`, default 3); the cold build runs once unless
`--cold-runs` says otherwise, because it executes every snippet and lab (minutes).
"""

import argparse
import contextlib
import functools
import gzip
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / "scripts" / "bench-tools"
TOUCHED_SNIPPET = "scoping/multilabel.py"  # small and fast: the rebuild is mostly MkDocs
EDITED_PAGE = "docs/scoping.md"
LIGHTHOUSE_PAGES = ["", "model-development/", "labs/01-debugging-a-training-loop/", "canvas/"]
TARGETS = {"warm/bare": 1.3, "chapter KB": 500, "search index KB": 2048, "performance": 95}

# A bare build: the same pages and theme, but no hooks and no lab execution. Links to files
# that only the hooks generate (snippet downloads, canvas PDFs) cannot resolve, so it is not
# --strict.
BARE_CONFIG = """\
INHERIT: {root}/mkdocs.yml
docs_dir: {root}/docs
theme:
  custom_dir: {root}/overrides
hooks: []
watch: []
plugins:
  - search
  - mkdocs-jupyter:
      include: ["labs/*.ipynb"]
      execute: false
      cache: false
"""


# --- builds ------------------------------------------------------------------------------------


def build(caches: Path, site: Path, config: Path | None = None, strict=True) -> tuple[float, str]:
    env = {
        **os.environ,
        "NO_MKDOCS_2_WARNING": "1",
        "MLSD_CACHE_DIR": str(caches / "snippets"),
        "MLSD_LAB_CACHE_DIR": str(caches / "labs"),
    }
    command = [sys.executable, "-m", "mkdocs", "build", "--site-dir", str(site)]
    command += ["--strict"] * strict + (["--config-file", str(config)] if config else [])
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"build failed:\n{done.stderr[-4000:]}")
    return seconds, done.stderr


def snippet_summary(log: str) -> str:
    found = re.search(r"snippets: (\d+) used, (\d+) executed", log)
    labs = log.count("Converting notebook")
    return (
        f"{found.group(2)} of {found.group(1)} snippets and {labs} labs executed" if found else ""
    )


def median_of(runs: int, measure) -> tuple[float, list[float]]:
    times = [measure() for _ in range(runs)]
    return statistics.median(times), times


@contextlib.contextmanager
def edited(path: Path, addition: str):
    """Append `addition` to a file and put the original back, whatever happens."""
    original = path.read_bytes()
    path.write_bytes(original + addition.encode())
    try:
        yield
    finally:
        path.write_bytes(original)


def snippet_seconds(caches: Path, name: str) -> float:
    """The run time the snippet hook recorded for the newest cached run of `name`."""
    newest = max(
        (caches / "snippets").glob("*/result.json"), key=lambda p: p.stat().st_mtime, default=None
    )
    return json.loads(newest.read_text())["seconds"] if newest else float("nan")


# --- mkdocs serve ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, marker: str | None, timeout: float = 300) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        with contextlib.suppress(OSError):
            body = urllib.request.urlopen(url, timeout=5).read().decode()
            if marker is None or marker in body:
                return time.perf_counter() - start
        time.sleep(0.05)
    sys.exit(f"mkdocs serve did not serve {url} within {timeout} s")


def serve_reload_times(caches: Path, runs: int) -> list[float]:
    port = free_port()
    env = {
        **os.environ,
        "NO_MKDOCS_2_WARNING": "1",
        "MLSD_CACHE_DIR": str(caches / "snippets"),
        "MLSD_LAB_CACHE_DIR": str(caches / "labs"),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "serve", "--dev-addr", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/{Path(EDITED_PAGE).stem}/"
    times = []
    try:
        wait_for(url, None)
        for run in range(runs):
            marker = f"bench-marker-{run}-{time.time_ns()}"
            with edited(ROOT / EDITED_PAGE, f"\n\n{marker}\n"):
                times.append(wait_for(url, marker))
            time.sleep(1.0)  # let the rebuild that restores the page finish
    finally:
        server.terminate()
        server.wait(timeout=30)
    return times


# --- page weight -------------------------------------------------------------------------------


class Resources(HTMLParser):
    """Local files a page loads: stylesheets, scripts, images (not links it merely offers)."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and attrs.get("rel") == "stylesheet":
            self.found.append(attrs.get("href"))
        elif tag in ("script", "img", "source") and attrs.get("src"):
            self.found.append(attrs["src"])


@functools.cache
def gzipped_size(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=6, mtime=0))


def page_weights(site: Path) -> dict[str, int]:
    weights = {}
    for html in sorted(site.rglob("index.html")):
        parser = Resources()
        parser.feed(html.read_text(encoding="utf-8"))
        total = gzipped_size(html)
        for src in {s for s in parser.found if s and "://" not in s and not s.startswith("data:")}:
            resource = (html.parent / src.split("#")[0].split("?")[0]).resolve()
            if resource.is_file():
                total += gzipped_size(resource)
        page = html.parent.relative_to(site).as_posix()
        weights["home" if page == "." else page] = total
    return weights


# --- Lighthouse --------------------------------------------------------------------------------


def lighthouse_binary() -> Path | None:
    binary = TOOLS / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        if not shutil.which("npm"):
            return None
        subprocess.run(["npm", "ci", "--silent", "--prefix", str(TOOLS)], check=True)
    return binary


class GzipHandler(SimpleHTTPRequestHandler):
    """Serves the site as a static host such as GitHub Pages does: text compressed with gzip
    when the browser accepts it (Lighthouse's network simulation counts the bytes sent)."""

    COMPRESSIBLE = (".html", ".css", ".js", ".json", ".svg", ".xml", ".txt", ".ipynb")

    def do_GET(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        wants_gzip = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (wants_gzip and path.suffix in self.COMPRESSIBLE and path.is_file()):
            return super().do_GET()
        body = gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def lighthouse_scores(site: Path) -> dict[str, tuple[int, int]]:
    binary = lighthouse_binary()
    if binary is None or not Path("/usr/bin/chromium").exists():
        return {}
    httpd = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(GzipHandler, directory=str(site))
    )
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}/"
    scores = {}
    try:
        for page in LIGHTHOUSE_PAGES:
            done = subprocess.run(
                [
                    str(binary),
                    base + page,
                    "--quiet",
                    "--output=json",
                    "--only-categories=performance,accessibility",
                    "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
                ],
                env={**os.environ, "CHROME_PATH": "/usr/bin/chromium"},
                capture_output=True,
                text=True,
                timeout=300,
            )
            if done.returncode != 0:
                sys.exit(f"lighthouse failed on {page or 'home'}:\n{done.stderr[-2000:]}")
            categories = json.loads(done.stdout)["categories"]
            scores[page or "home"] = tuple(
                round(categories[name]["score"] * 100) for name in ("performance", "accessibility")
            )
    finally:
        httpd.shutdown()
    return scores


# --- the table ---------------------------------------------------------------------------------


def row(measure: str, value: str, note: str = "") -> str:
    return f"| {measure:<44} | {value:>14} | {note:<58} |"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per warm measurement")
    parser.add_argument("--cold-runs", type=int, default=1, help="cold builds (each minutes)")
    parser.add_argument("--no-lighthouse", action="store_true", help="skip Lighthouse")
    args = parser.parse_args(argv)

    lines = [
        row("measure", "value", "notes"),
        "|" + "-" * 46 + "|" + "-" * 16 + "|" + "-" * 60 + "|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        caches, site = tmp / "caches", tmp / "site"
        cold_times = []
        for _ in range(args.cold_runs):
            shutil.rmtree(caches, ignore_errors=True)
            seconds, log = build(caches, site)
            cold_times.append(seconds)
        cold = statistics.median(cold_times)
        lines.append(row("cold build (empty caches)", f"{cold:.1f} s", f"{snippet_summary(log)}"))

        warm, warm_times = median_of(args.runs, lambda: build(caches, site)[0])
        lines.append(row("warm build (nothing changed)", f"{warm:.2f} s", spread(warm_times)))

        bare_config = tmp / "bare.yml"
        bare_config.write_text(BARE_CONFIG.format(root=ROOT))
        bare, bare_times = median_of(
            args.runs, lambda: build(caches, tmp / "bare-site", bare_config, strict=False)[0]
        )
        lines.append(
            row("bare build (no hooks, labs not executed)", f"{bare:.2f} s", spread(bare_times))
        )
        ratio = warm / bare
        verdict = "met" if ratio <= TARGETS["warm/bare"] else "MISSED"
        lines.append(
            row("warm / bare", f"{ratio:.2f}", f"target <= {TARGETS['warm/bare']}: {verdict}")
        )

        touched, own = [], []
        for run in range(args.runs):
            with edited(ROOT / "snippets" / TOUCHED_SNIPPET, f"\n# bench edit {run}\n"):
                touched.append(build(caches, site)[0])
                own.append(snippet_seconds(caches, TOUCHED_SNIPPET))
        expected = bare + statistics.median(own)
        lines.append(
            row(
                f"rebuild after editing {TOUCHED_SNIPPET}",
                f"{statistics.median(touched):.2f} s",
                f"bare + the snippet's own run = {expected:.2f} s",
            )
        )

        reloads = serve_reload_times(caches, args.runs)
        lines.append(
            row(
                "mkdocs serve: saved edit to page served",
                f"{statistics.median(reloads):.2f} s",
                spread(reloads),
            )
        )

        build(caches, site)  # the pages as they are, for weights and Lighthouse
        weights = page_weights(site)
        heaviest = max(weights, key=weights.get)
        chapters = {
            k: v for k, v in weights.items() if "/" not in k and k not in ("home", "search")
        }
        worst_chapter = max(chapters, key=chapters.get)
        kb = TARGETS["chapter KB"]
        lines.append(
            row(
                "largest page, gzipped with what it loads",
                f"{weights[heaviest] / 1024:.0f} KB",
                heaviest,
            )
        )
        verdict = "met" if chapters[worst_chapter] / 1024 < kb else "MISSED"
        lines.append(
            row(
                "largest chapter page",
                f"{chapters[worst_chapter] / 1024:.0f} KB",
                f"{worst_chapter}; target < {kb} KB: {verdict}",
            )
        )
        index = site / "search" / "search_index.json"
        index_kb = index.stat().st_size / 1024
        verdict = "met" if index_kb < TARGETS["search index KB"] else "MISSED"
        lines.append(
            row(
                "search index",
                f"{index_kb:.0f} KB",
                f"gzipped {gzipped_size(index) / 1024:.0f} KB; target < 2 MB: {verdict}",
            )
        )

        if not args.no_lighthouse:
            for page, (performance, accessibility) in lighthouse_scores(site).items():
                verdict = (
                    "met"
                    if performance >= TARGETS["performance"] and accessibility == 100
                    else "MISSED"
                )
                lines.append(
                    row(
                        f"Lighthouse {page}",
                        f"{performance} / {accessibility}",
                        f"performance / accessibility; targets 95 / 100: {verdict}",
                    )
                )

    print("\n".join(lines))
    print("\nPage weights (KB, gzipped, page plus what it loads):")
    for page, size in sorted(weights.items(), key=lambda item: -item[1]):
        print(f"  {size / 1024:7.0f}  {page}")


def spread(times: list[float]) -> str:
    return f"median of {len(times)} (min {min(times):.2f}, max {max(times):.2f})"


if __name__ == "__main__":
    main()
