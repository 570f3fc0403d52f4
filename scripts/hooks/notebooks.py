"""Labs: the notebooks under docs/labs/, which mkdocs-jupyter executes and renders, made to fit
the handbook.

mkdocs-jupyter runs each lab (`execute: true`, `allow_errors: false`) and caches the rendered
page under a hash of the notebook and of its own options. This hook adds what the handbook needs:

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
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import tinycss2
from mkdocs.exceptions import PluginError

PLUGIN = "mkdocs-jupyter"
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
    """What, besides the notebook, can change a lab's output: pinned packages and Python."""
    digest = hashlib.sha256(requirements)
    digest.update(sys.version.encode())
    return digest.hexdigest()[:16]


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
    requirements = Path(config.config_file_path).parent / "requirements.txt"
    env = environment_digest(requirements.read_bytes() if requirements.exists() else b"")
    root = os.environ.get("MLSD_LAB_CACHE_DIR", plugin.config["cache_dir"])
    plugin.config["cache_dir"] = str(Path(root) / env)
    return config


def on_pre_page(page, config, files):
    """Runs after mkdocs-jupyter has swapped in its own render: wrap it to name the lab."""
    if not is_lab(page):
        return page
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
    return slim_notebook_html(html)


def on_page_context(context, page, config, nav):
    if is_lab(page):
        page.meta["lab_download"] = Path(page.file.src_uri).name
        page.meta["lab_colab"] = colab_url(
            config.repo_url, config.edit_uri, Path(config.docs_dir).name, page.file.src_uri
        )
    return context
