"""Every file under snippets/, the same checks for each, parametrised by its path:

- a page uses it (a `<!-- snippet: path[:section] -->` shortcode under docs/), so the build
  runs it and readers see it;
- the build ran this exact file cleanly: its cached result exists (a result is kept only after
  exit status 0), records the source's SHA-256, printed something and warned about nothing;
- it saved exactly the figures its source saves (read from the `savefig(...)` calls, never a
  hand-kept list), each as a light and a dark SVG with alt text and a caption;
- every built page that uses it shows its run (the download line under the Output tab) and its
  figures in both themes.

The figure limits are the strictest that the chapters' own checks used and every snippet meets:
alt text over 100 characters, each SVG over 1000 bytes. (A cap on size does not belong here:
monitoring keeps figures under 120 KB, which feature_crossing.py's 290 KB figure does not meet;
that cap stays in tests/snippets/test_monitoring.py.)

Chapter tests check what a snippet's functions do, and read what its run printed through
`snippet_results`; whether a file ran and drew its figures is decided here, once for all.
"""

import ast
import hashlib
import re

import pytest
from bs4 import BeautifulSoup

from conftest import SNIPPETS, all_snippets, built_page, snippet_hook, used_snippets

SNIPPET_PATHS = all_snippets()
MIN_ALT_CHARACTERS = 100  # scoping's figures had this minimum; every figure now meets it
MIN_SVG_BYTES = 1000  # scoping's too: a figure, not an empty canvas


@pytest.fixture(scope="module")
def pages_using():
    return used_snippets()


def test_there_are_snippets_and_pages_that_use_them(pages_using):
    assert len(SNIPPET_PATHS) >= 80 and len(pages_using) >= 80


# --- what a snippet's source says it saves ------------------------------------------------------


def name_pattern(node: ast.expr, assignments: dict[str, list[ast.expr]]) -> str:
    """A regular expression for the string `node` evaluates to: string literals exactly,
    f-string fields and names through their one assignment in the file, else anything."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return re.escape(node.value)
    if isinstance(node, ast.JoinedStr):
        return "".join(name_pattern(part, assignments) for part in node.values)
    if isinstance(node, ast.FormattedValue) and node.format_spec is None:
        return name_pattern(node.value, assignments)
    if isinstance(node, ast.Name) and len(assignments.get(node.id, [])) == 1:
        return name_pattern(assignments[node.id][0], assignments)
    if isinstance(node, ast.IfExp):
        body, orelse = name_pattern(node.body, assignments), name_pattern(node.orelse, assignments)
        return f"(?:{body}|{orelse})"
    return ".+"


def saved_figures(source: str) -> list[str]:
    """One pattern per `savefig(...)` call in the source, for the figure's name without ".svg".

    Most snippets write `fig.savefig("name.svg", metadata=...)`; one names its file after the
    device it measured on, `f"{name}.svg"`, with `name` assigned once in the file."""
    tree = ast.parse(source)
    assignments: dict[str, list[ast.expr]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    assignments.setdefault(target.id, []).append(node.value)
    patterns = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "savefig"
        ):
            assert node.args, f"line {node.lineno}: savefig without a file name"
            pattern = name_pattern(node.args[0], assignments)
            assert pattern.endswith(r"\.svg"), (
                f"line {node.lineno}: a figure that is not .svg, or a name this test cannot "
                'read: write savefig("name.svg", ...)'
            )
            patterns.append(pattern.removesuffix(r"\.svg"))
    return patterns


def test_savefig_names_are_read_from_literals_f_strings_and_assignments():
    source = (
        'fig.savefig("curve.svg", metadata={})\n'
        'name = "speed" if device == "cpu" else f"speed_{device}"\n'
        'fig.savefig(f"{name}.svg")\n'
        'fig.savefig(f"{other}.svg")\n'  # assigned twice: any name matches
        "other = 1\nother = 2\n"
    )
    curve, speed, other = saved_figures(source)
    assert curve == "curve" and other == ".+"
    assert re.fullmatch(speed, "speed") and re.fullmatch(speed, "speed_cuda")
    assert not re.fullmatch(speed, "curve")
    for unreadable in ('fig.savefig("curve.png")\n', "fig.savefig(path)\n"):
        with pytest.raises(AssertionError, match="not .svg"):
            saved_figures(unreadable)


# --- used by a page -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", SNIPPET_PATHS)
def test_snippet_is_used_by_a_page(pages_using, path):
    assert pages_using.get(path), f"no page under docs/ has <!-- snippet: {path} -->"


# --- the build's run ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", SNIPPET_PATHS)
def test_build_ran_the_snippet_cleanly_and_kept_exactly_its_figures(snippet_results, path):
    result = snippet_results(path)  # exists only if the run exited with status 0
    source = (SNIPPETS / path).read_bytes()
    assert result.source_sha256 == hashlib.sha256(source).hexdigest()
    assert result.stdout.strip(), "the snippet printed nothing"
    assert "Warning" not in result.stderr, result.stderr

    patterns = saved_figures(source.decode("utf-8"))
    for name in result.figures:
        assert any(re.fullmatch(p, name) for p in patterns), f"{name}.svg: no savefig saves it"
    for pattern in patterns:
        assert any(re.fullmatch(pattern, name) for name in result.figures), (
            f"savefig({pattern!r}) in the source saved no figure in the build"
        )
    for name, meta in result.figures.items():
        for theme in ("light", "dark"):
            svg = result.folder / "figures" / f"{name}.{theme}.svg"
            assert svg.stat().st_size > MIN_SVG_BYTES, svg
        assert len(meta["alt"].strip()) > MIN_ALT_CHARACTERS, f"{name}: alt text {meta['alt']!r}"
        assert meta["caption"].strip(), f"{name}: no caption"


# --- the built pages ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", SNIPPET_PATHS)
def test_every_page_using_the_snippet_shows_its_run_and_figures(
    built_site, snippet_results, pages_using, path
):
    site, _ = built_site
    result = snippet_results(path)
    figures = snippet_hook().figure_uri
    for page in pages_using.get(path, []):
        soup = BeautifulSoup(built_page(site, page).read_text(encoding="utf-8"), "html.parser")
        downloads = [
            a["href"] for run in soup.select("p.mlsd-run") for a in run.select("a[download]")
        ]
        assert any(href.endswith(f"snippets/{path}") for href in downloads), (
            f"{page}: no Output tab and download line for snippets/{path}"
        )
        sources = {img.get("src", "") for img in soup.find_all("img")}
        for name in result.figures:
            for theme in ("light", "dark"):
                wanted = f"{figures(path, name, theme)}#only-{theme}"
                assert any(src.endswith(wanted) for src in sources), f"{page}: no {wanted}"
