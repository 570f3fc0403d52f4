"""Labs: the notebooks under docs/labs/, which mkdocs-jupyter executes and renders, made to fit
the handbook.

mkdocs-jupyter runs each lab (`execute: true`, `allow_errors: false`) and caches the rendered
page under a hash of the notebook and of its own options. This hook adds what the handbook needs:

- each lab runs as a reader's copy would: in the readers' environment (.venv-reader/, the
  interpreter the snippets run in: numpy, torch, matplotlib and ipykernel, nothing of ours),
  started by a kernel spec this hook writes, in an empty folder, so a lab that imports something
  of ours or reads a file of the repository stops the build;
- links to the handbook inside a lab are absolute addresses of the published site (derived
  from site_url, or from repo_url's GitHub Pages address when site_url is local), so they work
  in Colab and in a download; a relative link stops the build, and on the site's own lab pages
  those addresses become relative links again, so the site works offline and its links are
  checked like every other page's;
- the cache is also keyed on our environment (requirements.txt and the Python version), as the
  snippet cache is, so a new torch re-runs every lab and an unchanged lab never runs twice; it
  lives under $MLSD_LAB_CACHE_DIR when that is set (the benchmark's cold builds use it);
- a lab that fails stops the build with the lab's name and the failing cell, not only a
  traceback from inside nbconvert;
- each lab page gets its download and Open-in-Colab links (shown by overrides/main.html); the
  Colab link is derived from `repo_url` and `edit_uri`;
- the page loses what would reach other hosts (nbconvert's MathJax and Mermaid loaders from a
  CDN), the ~575 KB of JupyterLab CSS is cut to the rules the page uses, code cells take the
  theme's own highlighting (so they follow light and dark), and outputs stay out of the search
  index.
"""

import functools
import hashlib
import json
import os
import posixpath
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import tinycss2
from mkdocs.exceptions import PluginError

PLUGIN = "mkdocs-jupyter"
LAB_RUNNER_VERSION = "2"  # bump to run every lab again after changing how labs run
READER_KERNEL = "handbook-reader"
# The kernel's first act: move to an empty folder of its own, which is gone when it exits.
KERNEL_BOOT = (
    "import atexit, os, shutil, tempfile; folder = tempfile.mkdtemp(prefix='lab-'); "
    "os.chdir(folder); atexit.register(shutil.rmtree, folder, True); "
    "from ipykernel import kernelapp; kernelapp.launch_new_instance()"
)
MARKDOWN_LINK = re.compile(r"\]\(\s*<?([^)\s>]+)|\bhref=[\"']([^\"']+)")
HREF = re.compile(r'(<a\b[^>]*\bhref=")([^"]+)(")')
COLAB = "https://colab.research.google.com/github"
LAB_SUFFIX = ".ipynb"

STYLE_BLOCK = re.compile(r"<style[^>]*>(.*?)</style>", re.DOTALL)
SCRIPT_BLOCK = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.DOTALL)
CLASS_ATTR = re.compile(r'class="([^"]*)"')
CSS_CLASS = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")
NOT_PSEUDO = re.compile(r":not\([^)]*\)")
VAR_USE = re.compile(r"var\(\s*(--[\w-]+)")
OUTPUT_TEXT = re.compile(r'(<div class="jp-RenderedText[^"]*jp-OutputArea-output"[^>]*>\s*)<pre>')


def is_lab(page) -> bool:
    return page.file.src_uri.startswith("labs/") and page.file.src_uri.endswith(LAB_SUFFIX)


# --- cache key ---------------------------------------------------------------------------------


def environment_digest(requirements: bytes) -> str:
    """What, besides the notebook, can change a lab's output: pinned packages, Python and how
    the lab is run."""
    digest = hashlib.sha256(requirements)
    digest.update(sys.version.encode() + LAB_RUNNER_VERSION.encode() + KERNEL_BOOT.encode())
    return digest.hexdigest()[:16]


# --- the readers' kernel -----------------------------------------------------------------------


def write_reader_kernel(folder: Path, python: str) -> Path:
    """Write the kernel spec that runs a lab in the readers' interpreter, `python -I`, from an
    empty folder; return the Jupyter data folder to put on JUPYTER_PATH."""
    if not Path(python).is_file():
        raise PluginError(
            f"notebooks: the readers' interpreter {python} is missing: `make build` creates "
            ".venv-reader/ (numpy, torch, matplotlib, ipykernel), or set MLSD_READER_PYTHON"
        )
    spec = {
        "argv": [python, "-I", "-c", KERNEL_BOOT, "-f", "{connection_file}"],
        "display_name": "Python 3 (readers' environment)",
        "language": "python",
    }
    kernel_dir = folder / "kernels" / READER_KERNEL
    kernel_dir.mkdir(parents=True, exist_ok=True)
    (kernel_dir / "kernel.json").write_text(json.dumps(spec, indent=2) + "\n")
    return folder


def use_reader_kernel(folder: Path, python: str) -> str:
    """Make the readers' kernel findable by nbclient in this process; return its name."""
    data = str(write_reader_kernel(folder, python))
    paths = [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p]
    if data not in paths:
        os.environ["JUPYTER_PATH"] = os.pathsep.join([data, *paths])
    return READER_KERNEL


# --- links -------------------------------------------------------------------------------------


def colab_url(repo_url: str, edit_uri: str, docs_dir: str, src_uri: str) -> str:
    """Open-in-Colab address of docs/<src_uri> on GitHub, e.g. from repo_url
    https://github.com/owner/repo and edit_uri edit/main/docs/."""
    match = re.fullmatch(r"https://github\.com/([^/]+/[^/]+?)(?:\.git)?/?", repo_url or "")
    if not match:
        raise PluginError(f"notebooks: repo_url {repo_url!r} is not a GitHub repository")
    parts = (edit_uri or "").strip("/").split("/")
    if len(parts) < 2 or parts[0] not in ("edit", "blob"):
        raise PluginError(f"notebooks: edit_uri {edit_uri!r} does not name a branch")
    branch, folder = parts[1], "/".join(parts[2:]) or docs_dir
    return f"{COLAB}/{match.group(1)}/blob/{branch}/{folder}/{src_uri}"


def published_url(site_url: str | None, repo_url: str | None) -> str:
    """Where the handbook is published, ending in '/': site_url, unless that is a local address
    (the default, for `mkdocs serve`), then the GitHub Pages address of repo_url."""
    site = site_url or ""
    if site and not re.match(r"https?://(127\.0\.0\.1|localhost)([:/]|$)", site):
        return site.rstrip("/") + "/"
    match = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+?)(?:\.git)?/?", repo_url or "")
    if not match:
        raise PluginError(f"notebooks: cannot tell where the site is published from {repo_url!r}")
    return f"https://{match.group(1).lower()}.github.io/{match.group(2)}/"


def relative_links(notebook: dict) -> list[tuple[int, str]]:
    """(cell number, link) for every link in a Markdown cell that is a path on this site rather
    than a full address: it leads nowhere once the notebook is downloaded or opened in Colab."""
    found = []
    for number, cell in enumerate(notebook.get("cells", []), start=1):
        if cell.get("cell_type") != "markdown":
            continue
        source = "".join(cell.get("source", ""))
        for match in MARKDOWN_LINK.finditer(source):
            link = match.group(1) or match.group(2)
            if not re.match(r"^([a-z][a-z0-9+.-]*:|#)", link, re.IGNORECASE):
                found.append((number, link))
    return found


def localise_links(html: str, published: str, page_url: str) -> str:
    """Turn links to the published handbook into links relative to `page_url` (e.g.
    'labs/01-x/'), so the site's own pages stay offline and go through its link checks."""

    def local(match):
        href = match.group(2)
        if not href.startswith(published):
            return match.group(0)
        target, _, fragment = href[len(published) :].partition("#")
        relative = posixpath.relpath(target or ".", page_url or ".")
        if target.endswith("/") or not target:
            relative = relative.rstrip("/") + "/"
        relative += f"#{fragment}" if fragment else ""
        return match.group(1) + relative + match.group(3)

    return HREF.sub(local, html)


# --- CSS: keep the rules a page uses ------------------------------------------------------------


def classes_in(html: str) -> set[str]:
    return {name for value in CLASS_ATTR.findall(html) for name in value.split()}


def split_selectors(prelude) -> list[str]:
    """Split a rule's selector list at top-level commas (not those inside :is(...) and alike)."""
    selectors, current = [], []
    for token in prelude:
        if token.type == "literal" and token.value == ",":
            selectors.append(tinycss2.serialize(current).strip())
            current = []
        else:
            current.append(token)
    selectors.append(tinycss2.serialize(current).strip())
    return [s for s in selectors if s]


def required_classes(selector: str) -> frozenset[str]:
    """The classes an element must carry for `selector` to match; those inside :not(...) are
    not required."""
    return frozenset(CSS_CLASS.findall(NOT_PSEUDO.sub("", selector)))


@dataclass(frozen=True)
class Declaration:
    name: str
    text: str  # "name:value" as it will be written
    reads: frozenset[str]  # custom properties its value reads


@dataclass(frozen=True)
class Rule:
    """A style rule (selectors and declarations) or a @media/@supports block (prelude, rules)."""

    selectors: tuple[tuple[str, frozenset[str]], ...] = ()
    declarations: tuple[Declaration, ...] = ()
    prelude: str = ""
    rules: tuple["Rule", ...] = ()


def _parse_rules(rules) -> tuple[Rule, ...]:
    parsed = []
    for rule in rules:
        if rule.type == "qualified-rule":
            selectors = tuple((s, required_classes(s)) for s in split_selectors(rule.prelude))
            declarations = tuple(
                Declaration(
                    d.name,
                    f"{d.name}:{tinycss2.serialize(d.value).strip()}"
                    + ("!important" if d.important else ""),
                    frozenset(VAR_USE.findall(tinycss2.serialize(d.value))),
                )
                for d in tinycss2.parse_blocks_contents(rule.content, skip_whitespace=True)
                if d.type == "declaration"
            )
            parsed.append(Rule(selectors, declarations))
        elif rule.type == "at-rule" and rule.lower_at_keyword in ("media", "supports"):
            inner = tinycss2.parse_rule_list(rule.content or [], True, True)
            prelude = f"@{rule.at_keyword} {tinycss2.serialize(rule.prelude).strip()}"
            parsed.append(Rule(prelude=prelude, rules=_parse_rules(inner)))
        # @import (a request elsewhere), @font-face, @keyframes, @charset: dropped
    return tuple(parsed)


@functools.lru_cache(maxsize=4)
def parse_stylesheet(css: str) -> tuple[Rule, ...]:
    """Parsed once per build: every lab page inlines the same stylesheet."""
    return _parse_rules(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True))


def _keep(rules: tuple[Rule, ...], used: set[str]) -> list[Rule]:
    kept = []
    for rule in rules:
        if rule.prelude:
            nested = _keep(rule.rules, used)
            if nested:
                kept.append(Rule(prelude=rule.prelude, rules=tuple(nested)))
            continue
        selectors = tuple((s, need) for s, need in rule.selectors if need <= used)
        if selectors:
            kept.append(Rule(selectors, rule.declarations))
    return kept


def _declarations(rules) -> list[Declaration]:
    found = []
    for rule in rules:
        found += rule.declarations
        found += _declarations(rule.rules)
    return found


def _used_variables(kept: list[Rule]) -> set[str]:
    """Custom properties read by a kept declaration, followed through variables that read
    other variables."""
    definitions: dict[str, set[str]] = {}
    needed: set[str] = set()
    for declaration in _declarations(kept):
        if declaration.name.startswith("--"):
            definitions.setdefault(declaration.name, set()).update(declaration.reads)
        else:
            needed |= declaration.reads
    frontier = set(needed)
    while frontier:
        frontier = set().union(*(definitions.get(v, set()) for v in frontier)) - needed
        needed |= frontier
    return needed


def _serialize(rules, variables: set[str]) -> str:
    out = []
    for rule in rules:
        if rule.prelude:
            body, head = _serialize(rule.rules, variables), rule.prelude
        else:
            body = ";".join(
                d.text
                for d in rule.declarations
                if not d.name.startswith("--") or d.name in variables
            )
            head = ",".join(s for s, _ in rule.selectors)
        if body:
            out.append(f"{head}{{{body}}}")
    return "".join(out)


def purge_css(css: str, used_classes: set[str]) -> str:
    """The rules of `css` that can match a page using `used_classes`, keeping only the custom
    properties those rules read."""
    kept = _keep(parse_stylesheet(css), used_classes)
    return _serialize(kept, _used_variables(kept))


# --- page content ------------------------------------------------------------------------------


def _drop_script(attrs: str, body: str) -> bool:
    """nbconvert's MathJax (an empty or remote src, and its config) and Mermaid loaders."""
    src = re.search(r'src="([^"]*)"', attrs)
    if src and (not src.group(1) or "://" in src.group(1)):
        return True
    return bool(re.search(r"mathjax|mermaid", body, re.IGNORECASE))


def slim_notebook_html(html: str) -> str:
    """Remove remote loaders, cut the notebook CSS to what this page uses, give code cells the
    theme's highlighting and keep outputs and hidden copies of code out of search."""
    html = SCRIPT_BLOCK.sub(
        lambda m: "" if _drop_script(m.group(1), m.group(2)) else m.group(0), html
    )
    css = "\n".join(m.group(1) for m in STYLE_BLOCK.finditer(html))
    html = STYLE_BLOCK.sub("", html)
    html = html.replace('class="highlight-ipynb ', 'class="highlight ')
    # Material's search parser tracks excluded elements by tag name, so an exclusion on a div
    # ends at the first nested </div>: mark the innermost elements that hold output text.
    html = OUTPUT_TEXT.sub(r"\1<pre data-search-exclude>", html)
    for prompt in ("jp-InputPrompt", "jp-OutputPrompt", "clipboard-copy-txt"):
        html = html.replace(f'<div class="{prompt}', f'<div data-search-exclude class="{prompt}')
    # The pygments rules were written for .highlight-ipynb; the theme styles .highlight itself.
    used = classes_in(html) - {"highlight"}
    return f"<style>{purge_css(css, used)}</style>\n{html}"


# --- hook entry points -------------------------------------------------------------------------


def on_config(config):
    plugin = config.plugins.get(PLUGIN)
    if plugin is None:
        return config
    project = Path(config.config_file_path).parent
    requirements = project / "requirements.txt"
    env = environment_digest(requirements.read_bytes() if requirements.exists() else b"")
    root = os.environ.get("MLSD_LAB_CACHE_DIR", plugin.config["cache_dir"])
    plugin.config["cache_dir"] = str(Path(root) / env)
    python = os.environ.get("MLSD_READER_PYTHON") or str(project / ".venv-reader/bin/python")
    plugin.config["kernel_name"] = use_reader_kernel(project / ".cache" / "jupyter", python)
    return config


def on_pre_page(page, config, files):
    """Runs after mkdocs-jupyter has swapped in its own render: wrap it to name the lab."""
    if not is_lab(page):
        return page
    notebook = json.loads(Path(page.file.abs_src_path).read_text(encoding="utf-8"))
    for cell, link in relative_links(notebook):
        raise PluginError(
            f"lab {page.file.src_uri}, cell {cell}: the link {link!r} is a path on this site, "
            "which leads nowhere in Colab or a download; write the published address, "
            f"{published_url(config.site_url, config.repo_url)}..."
        )
    render = page.render

    def render_lab(*args, **kwargs):
        try:
            render(*args, **kwargs)
        except Exception as error:  # nbclient's CellExecutionError, a missing kernel, ...
            raise PluginError(
                f"lab {page.file.src_uri} failed to run: {type(error).__name__}\n{error}"
            ) from error

    page.render = render_lab
    return page


def on_page_content(html, page, config, files):
    if not is_lab(page):
        return html
    published = published_url(config.site_url, config.repo_url)
    return slim_notebook_html(localise_links(html, published, page.url))


def on_page_context(context, page, config, nav):
    if is_lab(page):
        page.meta["lab_download"] = Path(page.file.src_uri).name
        page.meta["lab_colab"] = colab_url(
            config.repo_url, config.edit_uri, Path(config.docs_dir).name, page.file.src_uri
        )
    return context
