"""Run the code examples in snippets/ and show their code, output and figures on the pages.

A page names a snippet with one whole-line shortcode, written as an HTML comment so that it stays
invisible on GitHub:

    <!-- snippet: model-development/learning_curves.py -->
    <!-- snippet: model-development/learning_curves.py:core -->

The optional `:name` shows only the section between `# --8<-- [start:name]` and
`# --8<-- [end:name]` (pymdownx.snippets does the including); the whole file still runs.

How it works:
- `on_files` reads every page, finds the snippets it uses and runs each one in its own
  subprocess with a timeout, unless the cache already holds a result for exactly this source.
  The cache key hashes everything that can change a result: the snippet, the mlsd helper
  package, requirements.txt, the Python version and this runner's version. Results live in
  .cache/snippets/<key>/ or under $MLSD_CACHE_DIR: outside docs/, so `mkdocs serve` does not
  rebuild in a loop. A result is moved into place only after a successful run, so a failure
  never clobbers a good entry.
  The figures and the snippet file itself are added to the site as generated files.
- `on_page_markdown` replaces each shortcode with Code and Output tabs, the figures (light and
  dark) with alt text and caption, and a link to download the runnable file.

Snippets run one after another, not in parallel: several examples measure time, and a
neighbour competing for the two cores would make those measurements wrong.

Anything wrong (an unknown shortcode, a missing file, a snippet that raises or times out) stops
the build with the page, the snippet and the traceback.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

RUNNER_VERSION = "1"  # bump to invalidate every cached result after changing how snippets run
TIMEOUT_SECONDS = float(os.environ.get("MLSD_SNIPPET_TIMEOUT", "300"))
SHORTCODE = re.compile(r"^<!--\s*(?P<name>[a-z][a-z-]*)\s*:\s*(?P<args>.*?)\s*-->\s*$")
SNIPPET_ARGS = re.compile(r"^(?P<path>[\w./-]+\.py)(?::(?P<section>[a-z][-_0-9a-z]*))?$")
KNOWN_SHORTCODES = {"snippet", "canvas"}  # "canvas" is expanded by scripts/hooks/canvas.py

log = logging.getLogger("mkdocs.hooks.snippets")


class SnippetError(PluginError):
    """A shortcode, a snippet file or a snippet run is wrong; the message says which and why."""


@dataclass(frozen=True)
class Shortcode:
    path: str  # relative to snippets/, posix
    section: str | None
    line: int


@dataclass
class Result:
    """What one run of a snippet produced, as stored in the cache."""

    stdout: str
    seconds: float
    figures: dict[str, dict[str, str]] = field(default_factory=dict)  # name -> alt, caption
    folder: Path | None = None


# --- pure functions -------------------------------------------------------------------------


def parse_shortcodes(markdown: str, page: str) -> list[Shortcode]:
    """Find every whole-line shortcode outside fenced code blocks; reject unknown ones."""
    found = []
    fence = None
    for number, line in enumerate(markdown.splitlines(), start=1):
        stripped = line.strip()
        opener = re.match(r"^(`{3,}|~{3,})", stripped)
        if opener:
            if fence is None:
                fence = opener.group(1)
            elif stripped.startswith(fence) and stripped.strip("`~") == "":
                fence = None
            continue
        if fence is not None:
            continue
        match = SHORTCODE.match(line)
        if not match:
            indented = SHORTCODE.match(stripped)
            if indented and indented.group("name") in KNOWN_SHORTCODES:
                raise SnippetError(
                    f"{page}:{number}: an indented shortcode is left as a comment (inside a list "
                    f"or an admonition, say); start it at the first column: {stripped}"
                )
            continue
        name, args = match.group("name"), match.group("args")
        if name not in KNOWN_SHORTCODES:
            known = ", ".join(sorted(KNOWN_SHORTCODES))
            raise SnippetError(
                f"{page}:{number}: unknown shortcode '{name}' (known: {known}): {line.strip()}"
            )
        if name != "snippet":
            continue  # another hook's shortcode: that hook checks and expands it
        target = SNIPPET_ARGS.match(args)
        if not target or ".." in target.group("path").split("/"):
            raise SnippetError(
                f"{page}:{number}: malformed snippet shortcode, expected "
                f"'<!-- snippet: chapter/file.py -->' or '...file.py:section -->': {line.strip()}"
            )
        found.append(Shortcode(target.group("path"), target.group("section"), number))
    return found


def cache_key(source: bytes, helper_files: dict[str, bytes], requirements: bytes) -> str:
    """Hash everything that can change what a snippet prints or draws."""
    digest = hashlib.sha256()
    for part in (RUNNER_VERSION.encode(), sys.version.encode(), requirements, source):
        digest.update(hashlib.sha256(part).digest())
    for name in sorted(helper_files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(helper_files[name]).digest())
    return digest.hexdigest()[:24]


def failure_message(snippet: Path, page: str, reason: str, output: str) -> str:
    """The error a reader of the build log needs: where, what, and the snippet's own traceback."""
    tail = output.strip()[-4000:] or "(no output)"
    return f"snippet {snippet} (used by {page}) {reason}:\n{tail}"


def longest_run(text: str, char: str) -> int:
    runs = re.findall(f"{re.escape(char)}+", text)
    return max((len(r) for r in runs), default=0)


def indent(text: str, spaces: int = 4) -> str:
    pad = " " * spaces
    return "\n".join(pad + line if line.strip() else "" for line in text.splitlines())


def render(shortcode: Shortcode, result: Result, page_uri: str) -> str:
    """Markdown for one shortcode: Code and Output tabs, figures, download link."""
    include = shortcode.path + (f":{shortcode.section}" if shortcode.section else "")
    output = result.stdout.rstrip() or "(this snippet prints nothing)"
    fence = "`" * max(3, longest_run(output, "`") + 1)
    path = f"snippets/{shortcode.path}"
    title = f"{path} (excerpt)" if shortcode.section else path
    here = posixpath.dirname(page_uri)
    download = posixpath.relpath(path, here)
    parts = [
        '=== "Code"',
        "",
        indent(f'```python title="{title}"\n--8<-- "{include}"\n```'),
        "",
        '=== "Output"',
        "",
        indent(f"{fence}text\n{output}\n{fence}"),
        "",
        f"[Download `{posixpath.basename(path)}`]({download}){{ download }}: the output is what "
        f"`python {path}` printed during this build, in {result.seconds:.1f} s.",
        "{ .mlsd-run }",
        "",
    ]
    for name, meta in result.figures.items():
        base = posixpath.relpath(figure_uri(shortcode.path, name, "light"), here)
        dark = posixpath.relpath(figure_uri(shortcode.path, name, "dark"), here)
        alt = meta["alt"].replace("[", "(").replace("]", ")")
        parts += [
            '<figure class="mlsd-figure" markdown="span">',
            f"  ![{alt}]({base}#only-light)![{alt}]({dark}#only-dark)",
            f"  <figcaption>{html.escape(meta['caption'])}</figcaption>" if meta["caption"] else "",
            "</figure>",
            "",
        ]
    return "\n".join(parts)


def figure_uri(snippet_path: str, name: str, theme: str) -> str:
    return f"figures/{posixpath.splitext(snippet_path)[0]}/{name}.{theme}.svg"


# --- running and caching ----------------------------------------------------------------------


def run_snippet(snippet: Path, snippets_root: Path, cache_root: Path, key: str, page: str):
    """Run one snippet in a fresh process; store and return its Result, or raise SnippetError."""
    cache_root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="run-", dir=cache_root))
    env = {
        **os.environ,
        "MLSD_FIGURE_DIR": str(scratch / "figures"),
        "MPLBACKEND": "Agg",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",  # no __pycache__ in watched snippets/: no reload loop
        "PYTHONPATH": os.pathsep.join([str(snippets_root), os.environ.get("PYTHONPATH", "")]),
    }
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, str(snippet)],
            cwd=scratch,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired as error:
        shutil.rmtree(scratch, ignore_errors=True)
        output = (error.stdout or b"").decode() if isinstance(error.stdout, bytes) else ""
        raise SnippetError(
            failure_message(snippet, page, f"timed out after {TIMEOUT_SECONDS:.0f} s", output)
        ) from None
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        shutil.rmtree(scratch, ignore_errors=True)
        reason = f"failed with exit code {done.returncode}"
        raise SnippetError(failure_message(snippet, page, reason, done.stdout + done.stderr))
    figures = read_figures(scratch / "figures", snippet)
    (scratch / "result.json").write_text(
        json.dumps({"stdout": done.stdout, "seconds": seconds, "figures": figures}, indent=2)
    )
    final = cache_root / key
    if final.exists():  # another build got there first; keep its result
        shutil.rmtree(scratch, ignore_errors=True)
    else:
        scratch.rename(final)
    return load_result(final)


def read_figures(folder: Path, snippet: Path) -> dict[str, dict[str, str]]:
    meta_file = folder / "figures.json"
    if not meta_file.exists():
        return {}
    figures = json.loads(meta_file.read_text())
    for name in figures:
        for theme in ("light", "dark"):
            if not (folder / f"{name}.{theme}.svg").exists():
                raise SnippetError(f"snippet {snippet} recorded figure {name!r} but wrote no SVG")
    return figures


def load_result(folder: Path) -> Result:
    data = json.loads((folder / "result.json").read_text())
    return Result(data["stdout"], data["seconds"], data["figures"], folder)


def helper_files(snippets_root: Path) -> dict[str, bytes]:
    helpers = snippets_root / "mlsd"
    return {
        str(p.relative_to(snippets_root)): p.read_bytes() for p in sorted(helpers.rglob("*.py"))
    }


# --- MkDocs entry points --------------------------------------------------------------------

_results: dict[str, Result] = {}  # snippet path -> result of this build, filled by on_files


def on_files(files: Files, config) -> Files:
    root = Path(config.config_file_path).parent
    snippets_root = root / "snippets"
    cache_root = Path(os.environ.get("MLSD_CACHE_DIR", root / ".cache" / "snippets"))
    helpers = helper_files(snippets_root)
    pins = root / "requirements.txt"
    requirements = pins.read_bytes() if pins.exists() else b""
    _results.clear()
    executed, started = 0, time.perf_counter()
    for page_file in files.documentation_pages():
        for code in parse_shortcodes(page_file.content_string, page_file.src_uri):
            if code.path in _results:
                continue
            snippet = snippets_root / code.path
            if not snippet.is_file():
                raise SnippetError(
                    f"{page_file.src_uri}:{code.line}: snippet file not found: snippets/{code.path}"
                )
            key = cache_key(snippet.read_bytes(), helpers, requirements)
            if (cache_root / key / "result.json").exists():
                result = load_result(cache_root / key)
            else:
                log.info("running snippets/%s", code.path)
                result = run_snippet(snippet, snippets_root, cache_root, key, page_file.src_uri)
                executed += 1
            _results[code.path] = result
            add_generated_files(files, config, code.path, snippet, result)
    log.info(
        "snippets: %d used, %d executed, %d from cache (%.1f s)",
        len(_results),
        executed,
        len(_results) - executed,
        time.perf_counter() - started,
    )
    return files


def add_generated_files(files: Files, config, path: str, snippet: Path, result: Result) -> None:
    files.append(File.generated(config, f"snippets/{path}", abs_src_path=str(snippet)))
    for name in result.figures:
        for theme in ("light", "dark"):
            svg = result.folder / "figures" / f"{name}.{theme}.svg"
            files.append(File.generated(config, figure_uri(path, name, theme), abs_src_path=svg))


def on_page_markdown(markdown: str, page, config, files) -> str:
    lines = markdown.splitlines()
    for code in parse_shortcodes(markdown, page.file.src_uri):
        if code.path not in _results:  # the page was edited after this build read it
            raise SnippetError(
                f"{page.file.src_uri}:{code.line}: snippets/{code.path} was added while the site "
                "was building; build again"
            )
        lines[code.line - 1] = render(code, _results[code.path], page.file.src_uri)
    return "\n".join(lines) + "\n"
