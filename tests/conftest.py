"""Shared fixtures: import a snippet or hook by path, build the site once per test session, read
the build's record of each snippet's run, and serve the site to one headless Chromium.

Markers are set here, from what a test uses, never by hand: `build` on every test whose fixtures
include `built_site` (directly, or through `snippet_results`, `site_server`, ...), `browser` on
every test that uses the `browser` fixture. `make test-fast` runs the rest:
`pytest -m "not build and not browser"`."""

import functools
import importlib.util
import io
import logging
import os
import re
import shutil
import subprocess
import sys
import threading
import traceback
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
SNIPPETS = ROOT / "snippets"
DOCS = ROOT / "docs"
HOOKS = ROOT / "scripts" / "hooks"
MKDOCS = [sys.executable, "-m", "mkdocs"]
# The readers' environment the build runs snippets in; tiny test projects use the project's.
os.environ.setdefault("MLSD_READER_PYTHON", str(ROOT / ".venv-reader" / "bin" / "python"))
# Debian's Chromium, never a browser downloaded by Playwright; `make test` installs it.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def load_snippet(relative_path: str):
    """Import a snippet file such as "model-development/baselines.py" as a module."""
    path = SNIPPETS / relative_path
    name = "snippet_" + relative_path.replace("/", "_").replace("-", "_").removesuffix(".py")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look modules up here
    spec.loader.exec_module(module)
    return module


@functools.cache
def snippet_hook():
    return load_hook("snippets")


def used_snippets() -> dict[str, list[str]]:
    """{snippet path under snippets/: the pages under docs/ that use it}, read from the pages'
    `<!-- snippet: path[:section] -->` shortcodes with the hook's own parser."""
    used: dict[str, list[str]] = {}
    for page in sorted(DOCS.rglob("*.md")):
        uri = page.relative_to(DOCS).as_posix()
        for code in snippet_hook().parse_shortcodes(page.read_text(encoding="utf-8"), uri):
            pages = used.setdefault(code.path, [])
            if uri not in pages:
                pages.append(uri)
    return used


def built_page(site: Path, page: str) -> Path:
    """The HTML file MkDocs writes for docs/<page> with directory URLs: "a/b.md" becomes
    "a/b/index.html", "a/index.md" stays "a/index.html"."""
    stem = page.removesuffix(".md")
    if stem == "index" or stem.endswith("/index"):
        return site / f"{stem.removesuffix('index')}index.html"
    return site / stem / "index.html"


def all_snippets() -> list[str]:
    """Every snippet file, as a path under snippets/."""
    return sorted(p.relative_to(SNIPPETS).as_posix() for p in SNIPPETS.rglob("*.py"))


@pytest.fixture(scope="session")
def snippet_results(built_site):
    """The build's record of a snippet's run: `snippet_results("chapter/name.py")` is the cached
    Result (what it printed, the figures it saved, the environment) of the file as it is now,
    run as a reader would (a copy in an empty folder, `python -I`, the readers' interpreter).

    The site is built first, so every snippet a page uses has run, side by side, before any test
    reads a result; a test never runs a snippet. No result for the current source is a failure
    that names the snippet: the build did not run it (no page uses it), or the file changed
    after the build."""
    hook = snippet_hook()
    cache = hook.cache_folder(ROOT)
    requirements = (ROOT / "requirements.txt").read_bytes()

    def result(relative_path: str):
        snippet = SNIPPETS / relative_path
        assert snippet.is_file(), f"no snippet file snippets/{relative_path}"
        folder = cache / hook.cache_key(snippet.read_bytes(), requirements)
        assert (folder / "result.json").is_file(), (
            f"the build left no result for snippets/{relative_path} as it is now (looked in "
            f"{folder}): no page uses it, or it changed after the build"
        )
        return hook.load_result(folder)

    return result


def pytest_collection_modifyitems(config, items):
    """Mark each test by the fixtures it needs (their whole closure): `build` when it needs the
    real handbook built, `browser` when it drives Chromium."""
    for item in items:
        needs = set(getattr(item, "fixturenames", ()))
        if "built_site" in needs:
            item.add_marker(pytest.mark.build)
        if "browser" in needs:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="module")
def one_thread():
    """One torch thread for a whole test module (tiny models run faster and repeat exactly),
    set before the module's own module-scoped fixtures train anything, restored afterwards.
    A module opts in with `pytestmark = pytest.mark.usefixtures("one_thread")`."""
    import torch  # here: most test modules never need torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def load_hook(name: str):
    """Import a MkDocs hook from scripts/hooks/ as a module."""
    spec = importlib.util.spec_from_file_location(f"hook_{name}", HOOKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@functools.cache
def load_canvas_tool():
    """Import scripts/canvas.py (the canvas library and command-line tool) as a module."""
    spec = importlib.util.spec_from_file_location("canvas_tool", ROOT / "scripts" / "canvas.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


@dataclass
class Build:
    """What `mkdocs build` left: its exit status and what it logged (as the command line would
    print it on stderr)."""

    returncode: int
    stdout: str
    stderr: str


def mkdocs_build(project: Path, site: Path, **env) -> Build:
    """`mkdocs build --strict` of a small project folder, run in this process.

    In this process rather than `python -m mkdocs`, because start-up is most of a small build:
    on two cores a tiny project took 0.47 s as a command and 0.11 s here, and the hook tests
    build about forty of them (tests/hooks with test_quality_build's seeded project: 56 s as
    commands, 29 s here).

    What the command would give a build, each build gets: the project as working directory
    (pymdownx.snippets reads its base_path from there), `env` in os.environ, the hooks imported
    afresh (MkDocs caches a hook module per path; a new one reads MLSD_SNIPPET_JOBS and the like
    as a new process would, and starts with no state from the last build), the "mkdocs" logger
    at INFO, captured as the command would print it, and startup and shutdown events. Afterwards
    the working directory, os.environ (the labs hook sets JUPYTER_PATH) and the logger are put
    back, so builds do not leak into each other or into later tests.

    The real handbook is built by `build_handbook`, as a command: that is how it is built
    everywhere else, and it runs for long enough that start-up does not count."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.config.config_options import Hooks
    from mkdocs.exceptions import Abort

    logger = logging.getLogger("mkdocs")
    saved = (os.getcwd(), dict(os.environ), logger.level)
    log = io.StringIO()
    handler = logging.StreamHandler(log)
    handler.setFormatter(logging.Formatter("%(levelname)-8s-  %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    os.environ.update({"NO_MKDOCS_2_WARNING": "1", **env})
    Hooks._load_hook.cache_clear()
    returncode = 0
    try:
        os.chdir(project)
        config = load_config(str(project / "mkdocs.yml"), strict=True, site_dir=str(site))
        config.plugins.on_startup(command="build", dirty=False)
        try:
            build(config)
        finally:
            config.plugins.on_shutdown()
    except Abort as error:  # what the command prints before it exits with status 1
        returncode = 1
        log.write(f"Aborted: {error}\n")
    except Exception:  # a crash: the command would print the traceback
        returncode = 1
        log.write(traceback.format_exc())
    finally:
        cwd, environment, level = saved
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(environment)
        logger.removeHandler(handler)
        logger.setLevel(level)
        Hooks._load_hook.cache_clear()
    return Build(returncode, "", log.getvalue())


def build_handbook(site: Path) -> subprocess.CompletedProcess:
    """`mkdocs build --strict` of the real handbook into `site`, as a command, the way `make
    build` and CI build it; the snippet and lab caches in .cache/ are shared."""
    return subprocess.run(
        [*MKDOCS, "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=1800,
    )


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """The real handbook, built once with --strict; the snippet cache in .cache/ is shared."""
    site = tmp_path_factory.mktemp("site")
    done = build_handbook(site)
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout}\n{done.stderr}"
    return site, done.stderr


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def site_server(built_site, tmp_path_factory):
    """A copy of the built site served on a loopback port: `.url` to open, `.root` on disk.

    Material's instant navigation only follows links listed in sitemap.xml, matching scheme and
    host but not port, so the copy's sitemap is pointed at this server. Tests may add files of
    their own to the copy (named `browser-test-*`); the build in `built_site` stays untouched.
    """
    built, _ = built_site
    root = tmp_path_factory.mktemp("served") / "site"
    shutil.copytree(built, root)
    httpd = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(root))
    )
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    sitemap = root / "sitemap.xml"
    text = sitemap.read_text(encoding="utf-8")
    origin = re.search(r"<loc>(\w+://[^/<]+)", text).group(1)
    sitemap.write_text(text.replace(f"<loc>{origin}", f"<loc>{url}"), encoding="utf-8")
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield SimpleNamespace(url=url, root=root)
    httpd.shutdown()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: `make test` installs it"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def new_page(browser, color_scheme="light", **context_options):
    """A page in a fresh context that records requests, console errors and warnings, and the
    messages of dialogs, which it accepts only when `page.accept_dialogs` is set."""
    context = browser.new_context(
        color_scheme=color_scheme, viewport={"width": 1280, "height": 900}, **context_options
    )
    page = context.new_page()
    page.requests, page.errors, page.warnings, page.dialogs = [], [], [], []
    page.accept_dialogs = False
    page.on("request", lambda request: page.requests.append(request.url))
    page.on("console", lambda msg: msg.type == "error" and page.errors.append(msg.text))
    page.on("console", lambda msg: msg.type == "warning" and page.warnings.append(msg.text))
    page.on("pageerror", lambda error: page.errors.append(str(error)))

    def on_dialog(dialog):
        page.dialogs.append(dialog.message)
        dialog.accept() if page.accept_dialogs else dialog.dismiss()

    page.on("dialog", on_dialog)
    return page


def other_hosts(urls: list[str]) -> list[str]:
    """The URLs among `urls` that went anywhere but the loopback server."""
    return [
        url
        for url in urls
        if urlsplit(url).scheme in ("http", "https", "ws", "wss")
        and urlsplit(url).hostname != "127.0.0.1"
    ]
