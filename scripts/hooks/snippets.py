"""Run the code examples in snippets/ as a reader would, and show their code, output and figures.

A page names a snippet with one whole-line shortcode, written as an HTML comment so that it stays
invisible on GitHub:

    <!-- snippet: model-development/learning_curves.py -->
    <!-- snippet: model-development/learning_curves.py:core -->

The optional `:name` shows only the section between `# --8<-- [start:name]` and
`# --8<-- [end:name]` (pymdownx.snippets does the including); the whole file still runs, and the
download is the whole file.

How a snippet runs: exactly as a reader runs the file they download. A copy of it goes into an
empty folder and runs there with `python -I`, by the readers' interpreter (.venv-reader/, or
$MLSD_READER_PYTHON): a virtual environment holding numpy, torch and matplotlib at the pinned
versions and nothing of this project, so a snippet that imports anything else fails the build.
The build adds only two things from outside, neither of which the snippet can see in its code:
- MATPLOTLIBRC points at the handbook's figure style (palette, fonts as text, stable ids);
- afterwards, every `NAME.svg` the snippet saved, less its date (so the same figure gives the
  same bytes), becomes the light figure and a recoloured copy the dark one, and the SVG's own
  metadata gives the alt text (`Description`) and caption (`Title`):
  `fig.savefig("NAME.svg", metadata={"Description": alt, "Title": caption})`.

How results are kept: `on_files` runs each snippet the pages use, unless the cache already holds
a result for exactly this source. The key hashes everything that can change a result: the
snippet, the figure style, requirements.txt, the Python version and this runner's version.
Results live in .cache/snippets/<key>/ or under $MLSD_CACHE_DIR: outside docs/, so `mkdocs serve`
does not rebuild in a loop. A result is moved into place only after a successful run, so a
failure never clobbers a good entry. Each result records what produced it (Python, numpy, torch,
matplotlib, the processor), which the run line under the output states.

Snippets run as many at a time as there are cores ($MLSD_SNIPPET_JOBS to change it), each with
its share of the cores for numpy's and torch's thread pools (OMP_NUM_THREADS; without it two
runs of two spinning threads each on two cores took four times as long), except those that
measure time: a snippet that reads a clock says so with a module-level `MEASURES_TIME = True` (a
test holds every snippet to it), and runs after the others, alone and with every core, so that
no neighbour skews what it measures.

Anything wrong (an unknown shortcode, a missing file, a snippet that raises or times out, a
figure without alt text) stops the build with the page, the snippet and the reason.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import os
import platform
import posixpath
import re
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

RUNNER_VERSION = "2"  # bump to invalidate every cached result after changing how snippets run
TIMEOUT_SECONDS = float(os.environ.get("MLSD_SNIPPET_TIMEOUT", "300"))
SHORTCODE = re.compile(r"^<!--\s*(?P<name>[a-z][a-z-]*)\s*:\s*(?P<args>.*?)\s*-->\s*$")
SNIPPET_ARGS = re.compile(r"^(?P<path>[\w./-]+\.py)(?::(?P<section>[a-z][-_0-9a-z]*))?$")
# "canvas" is expanded by scripts/hooks/canvas.py, "clone" by scripts/hooks/clone.py;
# "environment" (no arguments) becomes the versions snippets run with, as a phrase.
KNOWN_SHORTCODES = {"snippet", "canvas", "clone", "environment"}
READER_PACKAGES = ("numpy", "torch", "matplotlib")  # all a snippet may import beyond the stdlib
# Snippets that do not measure time run this many at a time; those that do run alone.
PARALLEL_RUNS = int(os.environ.get("MLSD_SNIPPET_JOBS") or os.cpu_count() or 1)
MEASURES_TIME = re.compile(r"^MEASURES_TIME\s*=\s*True\b", re.MULTILINE)

# The figure style, given to matplotlib through MATPLOTLIBRC. Text, axes and grid use INK and
# GRID, which the dark copy of a figure swaps for DARK_INK and DARK_GRID; data colours (the
# Okabe-Ito palette) read on both a white and a near-black page and stay as they are.
INK, GRID = "1f1f1f", "d0d0d0"
DARK_INK, DARK_GRID = "e3e3e3", "4a4a4a"
PALETTE = ["0072B2", "E69F00", "009E73", "CC79A7", "56B4E9", "D55E00", "F0E442"]
FIGURE_STYLE = f"""\
axes.prop_cycle: cycler('color', [{", ".join(repr(c) for c in PALETTE)}])
axes.spines.top: False
axes.spines.right: False
axes.grid: True
axes.edgecolor: {INK}
axes.labelcolor: {INK}
text.color: {INK}
xtick.color: {INK}
ytick.color: {INK}
grid.color: {GRID}
grid.linewidth: 0.6
figure.figsize: 7.0, 4.0
font.family: sans-serif
font.size: 11
legend.frameon: False
lines.linewidth: 2.0
savefig.bbox: tight
savefig.transparent: True
svg.fonttype: none
svg.hashsalt: mlsd
"""
SVG_NS = {
    "svg": "http://www.w3.org/2000/svg",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "cc": "http://creativecommons.org/ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
}

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
    environment: dict[str, str] = field(default_factory=dict)  # python, numpy, ..., processor
    source_sha256: str = ""  # the exact file that ran
    stderr: str = ""  # warnings a reader would see too; not shown on the page


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


def cache_key(source: bytes, requirements: bytes) -> str:
    """Hash everything that can change what a snippet prints or draws."""
    digest = hashlib.sha256()
    parts = (RUNNER_VERSION, sys.version, FIGURE_STYLE, DARK_INK + DARK_GRID)
    for part in (*(p.encode() for p in parts), requirements, source):
        digest.update(hashlib.sha256(part).digest())
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
        f"[Download `{posixpath.basename(path)}`]({download}){{ download }}"
        + (" (the whole runnable file; the Code tab shows an excerpt)" if shortcode.section else "")
        + f": the output is what `python {posixpath.basename(path)}` printed during this build, "
        f"in {result.seconds:.1f} s, {describe_environment(result.environment)}.",
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


def describe_versions(environment: dict[str, str]) -> str:
    """'Python 3.11.7, numpy 2.4.6, torch 2.13.0 and matplotlib 3.11.2'."""
    names = {"python": "Python", **{p: p for p in READER_PACKAGES}}
    tools = [f"{label} {environment[key]}" for key, label in names.items() if key in environment]
    return ", ".join(tools[:-1]) + f" and {tools[-1]}" if len(tools) > 1 else "".join(tools)


def describe_environment(environment: dict[str, str]) -> str:
    """'with Python 3.11.7, numpy 2.4.6, torch 2.13.0 and matplotlib 3.11.2 on <processor>'."""
    processor = environment.get("processor")
    return f"with {describe_versions(environment)}" + (f" on {processor}" if processor else "")


def figure_uri(snippet_path: str, name: str, theme: str) -> str:
    return f"figures/{posixpath.splitext(snippet_path)[0]}/{name}.{theme}.svg"


# --- running and caching ----------------------------------------------------------------------


def processor_name() -> str:
    """The processor's model name from /proc/cpuinfo (Linux), else what Python can tell."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine() or "an unknown processor"


# Run by the readers' interpreter: its versions, and whether it can see anything of ours.
_PROBE = """\
import importlib.metadata as m, importlib.util as u, json, platform
print(json.dumps({
    "python": platform.python_version(),
    **{name: m.version(name) for name in %r},
    "sees_mkdocs": u.find_spec("mkdocs") is not None,
}))
"""


def reader_environment(python: str) -> dict[str, str]:
    """Check that `python` is a readers' interpreter (numpy, torch and matplotlib, no MkDocs)
    and return what it runs: Python and package versions, and this machine's processor."""
    if not Path(python).is_file():
        raise SnippetError(
            f"the readers' interpreter {python} is missing: `make build` creates .venv-reader/ "
            "(numpy, torch and matplotlib only), or set MLSD_READER_PYTHON"
        )
    done = subprocess.run(
        [python, "-I", "-c", _PROBE % (READER_PACKAGES,)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if done.returncode != 0:
        raise SnippetError(
            f"the readers' interpreter {python} lacks one of {', '.join(READER_PACKAGES)}:\n"
            + done.stderr.strip()[-2000:]
        )
    found = json.loads(done.stdout)
    if found.pop("sees_mkdocs"):
        raise SnippetError(
            f"{python} can import MkDocs: snippets must run where a reader's do, in an "
            "environment with numpy, torch and matplotlib only (.venv-reader/)"
        )
    return {**found, "processor": processor_name()}


def run_snippet(
    snippet: Path,
    cache_root: Path,
    key: str,
    page: str,
    python: str,
    environment: dict,
    threads: int | None = None,
) -> Result:
    """Run one snippet as a reader would: a copy in an empty folder, `python -I`, the readers'
    interpreter. Store and return its Result, or raise SnippetError.

    `threads` caps the threads of numpy's and torch's thread pools, for runs side by side."""
    cache_root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="run-", dir=cache_root))
    work = scratch / "work"
    work.mkdir()
    shutil.copyfile(snippet, work / snippet.name)
    (scratch / "matplotlibrc").write_text(FIGURE_STYLE)
    env = {
        **os.environ,
        "MATPLOTLIBRC": str(scratch / "matplotlibrc"),
        "MPLBACKEND": "Agg",
    }
    if threads:  # each pool spinning up a thread per core would fight its neighbours for them
        env |= {name: str(threads) for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [python, "-I", snippet.name],
            cwd=work,
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
    try:
        figures = collect_figures(work, scratch / "figures", snippet, page)
    except SnippetError:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    shutil.rmtree(work)
    (scratch / "matplotlibrc").unlink()
    record = {
        "stdout": done.stdout,
        "stderr": done.stderr,
        "seconds": seconds,
        "figures": figures,
        "environment": environment,
        "source_sha256": hashlib.sha256(snippet.read_bytes()).hexdigest(),
    }
    (scratch / "result.json").write_text(json.dumps(record, indent=2))
    final = cache_root / key
    if final.exists():  # another build got there first; keep its result
        shutil.rmtree(scratch, ignore_errors=True)
    else:
        scratch.rename(final)
    return load_result(final)


def figure_text(svg: bytes) -> tuple[str, str]:
    """The alt text and caption a figure carries: savefig's metadata Description and Title."""
    work = ET.fromstring(svg).find("svg:metadata/rdf:RDF/cc:Work", SVG_NS)
    if work is None:
        return "", ""
    alt, caption = (work.findtext(f"dc:{tag}", "", SVG_NS) for tag in ("description", "title"))
    return alt.strip(), caption.strip()


def dark_copy(svg: bytes) -> bytes:
    """The same figure for a dark page: ink and grid recoloured, data colours kept."""
    text = svg.decode()
    for light, dark in ((INK, DARK_INK), (GRID, DARK_GRID)):
        text = re.sub(f"#{light}\\b", f"#{dark}", text, flags=re.IGNORECASE)
    return text.encode()


def collect_figures(work: Path, out: Path, snippet: Path, page: str) -> dict[str, dict[str, str]]:
    """Turn each NAME.svg the snippet saved into NAME.light.svg and NAME.dark.svg in `out`."""
    where = f"snippet {snippet} (used by {page})"
    others = sorted(
        p.name for p in work.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".pdf")
    )
    if others:
        raise SnippetError(f"{where} saved {', '.join(others)}: the site shows SVG figures only")
    figures = {}
    for svg_file in sorted(work.glob("*.svg")):
        name = svg_file.stem
        svg = re.sub(rb"\s*<dc:date>[^<]*</dc:date>", b"", svg_file.read_bytes())
        alt, caption = figure_text(svg)
        if not alt:
            raise SnippetError(
                f"{where}: figure {svg_file.name} has no alt text; save it with "
                f'savefig("{svg_file.name}", metadata={{"Description": "what it shows", '
                '"Title": "what to notice"})'
            )
        out.mkdir(exist_ok=True)
        (out / f"{name}.light.svg").write_bytes(svg)
        (out / f"{name}.dark.svg").write_bytes(dark_copy(svg))
        figures[name] = {"alt": alt, "caption": caption}
    return figures


def load_result(folder: Path) -> Result:
    data = json.loads((folder / "result.json").read_text())
    return Result(
        data["stdout"],
        data["seconds"],
        data["figures"],
        folder,
        data.get("environment", {}),
        data.get("source_sha256", ""),
        data.get("stderr", ""),
    )


def cache_folder(root: Path) -> Path:
    """Where results are kept: $MLSD_CACHE_DIR, else the project's .cache/snippets/."""
    return Path(os.environ.get("MLSD_CACHE_DIR") or root / ".cache" / "snippets")


def reader_python(root: Path) -> str:
    """The readers' interpreter: $MLSD_READER_PYTHON, else the project's .venv-reader/."""
    return os.environ.get("MLSD_READER_PYTHON") or str(root / ".venv-reader" / "bin" / "python")


# --- MkDocs entry points --------------------------------------------------------------------

_results: dict[str, Result] = {}  # snippet path -> result of this build, filled by on_files
_reader = {"python": "", "environment": None}  # the readers' interpreter, probed when needed
ENVIRONMENT_LINE = re.compile(r"^<!--\s*environment\s*:\s*-->\s*$")


@dataclass(frozen=True)
class Job:
    """A snippet this build must run: where it is, its cache key, the first page using it."""

    path: str
    snippet: Path
    key: str
    page: str


def measures_time(source: str) -> bool:
    """Whether a snippet declares that it measures time (`MEASURES_TIME = True`)."""
    return bool(MEASURES_TIME.search(source))


def run_jobs(jobs: list[Job], cache_root: Path, python: str, workers: int) -> dict[str, Result]:
    """Run the snippets: those that measure time one at a time and alone, after the others have
    run `workers` at a time. Every job runs even when one fails (its good neighbours reach the
    cache); then the first failure, in page order, stops the build."""
    timed = [job for job in jobs if measures_time(job.snippet.read_text(encoding="utf-8"))]
    untimed = [job for job in jobs if job not in timed]
    environment = probed_environment() if jobs else {}
    workers = max(1, workers)
    share = max(1, (os.cpu_count() or 1) // workers) if workers > 1 else None

    def run(job: Job, threads: int | None) -> Result | SnippetError:
        log.info("running snippets/%s", job.path)
        try:
            return run_snippet(
                job.snippet, cache_root, job.key, job.page, python, environment, threads
            )
        except SnippetError as error:
            return error

    with ThreadPoolExecutor(max_workers=workers) as pool:
        outcomes = dict(zip(untimed, pool.map(lambda job: run(job, share), untimed), strict=True))
    outcomes |= {job: run(job, None) for job in timed}
    for job in jobs:
        if isinstance(outcomes[job], SnippetError):
            raise outcomes[job]
    return {job.path: outcomes[job] for job in jobs}


def slowest(results: dict[str, Result], count: int = 10) -> str:
    ranked = sorted(results.items(), key=lambda item: -item[1].seconds)[:count]
    return ", ".join(f"{path} {result.seconds:.1f} s" for path, result in ranked)


def on_files(files: Files, config) -> Files:
    root = Path(config.config_file_path).parent
    snippets_root = root / "snippets"
    cache_root = cache_folder(root)
    pins = root / "requirements.txt"
    requirements = pins.read_bytes() if pins.exists() else b""
    _reader["python"], _reader["environment"] = reader_python(root), None
    _results.clear()
    started, jobs, used = time.perf_counter(), [], {}
    for page_file in files.documentation_pages():
        for code in parse_shortcodes(page_file.content_string, page_file.src_uri):
            if code.path in used:
                continue
            snippet = snippets_root / code.path
            if not snippet.is_file():
                raise SnippetError(
                    f"{page_file.src_uri}:{code.line}: snippet file not found: snippets/{code.path}"
                )
            key = cache_key(snippet.read_bytes(), requirements)
            used[code.path] = snippet
            if (cache_root / key / "result.json").exists():
                _results[code.path] = load_result(cache_root / key)
            else:
                jobs.append(Job(code.path, snippet, key, page_file.src_uri))
    executed = run_jobs(jobs, cache_root, _reader["python"], PARALLEL_RUNS)
    _results.update(executed)
    for path, snippet in used.items():
        add_generated_files(files, config, path, snippet, _results[path])
    log.info(
        "snippets: %d used, %d executed, %d from cache (%.1f s)",
        len(used),
        len(executed),
        len(used) - len(executed),
        time.perf_counter() - started,
    )
    if executed:
        log.info("slowest snippets run: %s", slowest(executed))
    return files


def probed_environment() -> dict[str, str]:
    if _reader["environment"] is None:
        _reader["environment"] = reader_environment(_reader["python"])
    return _reader["environment"]


def versions_of_this_build() -> dict[str, str]:
    """The versions the results were produced with. Every result shares them (they are part of
    the cache key through requirements.txt and the Python version), so a warm build asks no
    interpreter; with no result at all, the readers' interpreter is asked."""
    recorded = next((r.environment for r in _results.values() if r.environment), None)
    return recorded or probed_environment()


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
    for number, line in enumerate(lines):
        if ENVIRONMENT_LINE.match(line):
            lines[number] = describe_versions(versions_of_this_build())
    return "\n".join(lines) + "\n"
