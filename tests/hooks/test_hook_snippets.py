"""The snippet hook: shortcode parsing, cache keys, rendering, and whole builds that must fail."""

import html
import re
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import HOOKS, ROOT, load_hook, mkdocs_build

hook = load_hook("snippets")


# --- shortcodes ------------------------------------------------------------------------------


def test_parse_finds_whole_line_shortcodes_with_optional_section():
    page = "intro\n<!-- snippet: ch/a.py -->\ntext\n<!--snippet:ch/b.py:core-->\n"
    found = hook.parse_shortcodes(page, "page.md")
    assert found == [
        hook.Shortcode("ch/a.py", None, 2),
        hook.Shortcode("ch/b.py", "core", 4),
    ]


def test_parse_ignores_shortcodes_inside_code_fences_and_inline():
    page = textwrap.dedent(
        """\
        ````markdown
        <!-- snippet: ch/shown-as-an-example.py -->
        ```
        <!-- snippet: still-inside.py -->
        ```
        ````
        A sentence mentioning <!-- snippet: ch/a.py --> inline is not a shortcode.
        <!-- an ordinary comment -->
        """
    )
    assert hook.parse_shortcodes(page, "page.md") == []


def test_unknown_shortcode_names_page_line_and_known_ones():
    with pytest.raises(hook.SnippetError, match=r"page\.md:2: unknown shortcode 'snipet'.*snippet"):
        hook.parse_shortcodes("ok\n<!-- snipet: ch/a.py -->\n", "page.md")


@pytest.mark.parametrize(
    "args", ["ch/a.txt", "ch/a.py:Bad Section", "../secret.py", "ch/a.py extra", ""]
)
def test_malformed_snippet_shortcode_is_refused(args):
    with pytest.raises(hook.SnippetError, match="page.md:1: malformed snippet shortcode"):
        hook.parse_shortcodes(f"<!-- snippet: {args} -->", "page.md")


# --- cache keys ------------------------------------------------------------------------------


def test_cache_key_is_stable_and_changes_with_every_input(monkeypatch):
    base = hook.cache_key(b"print(1)", b"numpy==2")
    assert base == hook.cache_key(b"print(1)", b"numpy==2")
    variants = [hook.cache_key(b"print(2)", b"numpy==2"), hook.cache_key(b"print(1)", b"numpy==3")]
    monkeypatch.setattr(hook, "FIGURE_STYLE", hook.FIGURE_STYLE + "font.size: 12\n")
    variants.append(hook.cache_key(b"print(1)", b"numpy==2"))  # the figure style is an input
    assert len({base, *variants}) == 4


# --- rendering -------------------------------------------------------------------------------


ENVIRONMENT = {
    "python": "3.11.7",
    "numpy": "2.4.6",
    "torch": "2.13.0",
    "matplotlib": "3.11.2",
    "processor": "Some CPU @ 2.0GHz",
}


def result(stdout="done\n", figures=None):
    return hook.Result(stdout=stdout, seconds=1.25, figures=figures or {}, environment=ENVIRONMENT)


def test_render_makes_code_and_output_tabs_with_section_include():
    text = hook.render(hook.Shortcode("ch/a.py", "core", 1), result(), "ch/page.md")
    assert '=== "Code"' in text and '=== "Output"' in text
    assert '    --8<-- "ch/a.py:core"' in text
    assert "    done" in text
    assert "in 1.2 s" in text or "in 1.3 s" in text
    assert "(../snippets/ch/a.py){ download }" in text  # relative to the nested page
    assert 'title="snippets/ch/a.py (excerpt)"' in text
    assert "the whole runnable file; the Code tab shows an excerpt" in text


def test_run_line_names_python_the_packages_and_the_processor():
    text = hook.render(hook.Shortcode("ch/a.py", None, 1), result(), "ch/page.md")
    assert (
        "with Python 3.11.7, numpy 2.4.6, torch 2.13.0 and matplotlib 3.11.2 "
        "on Some CPU @ 2.0GHz." in text
    )
    assert "excerpt" not in text


def test_render_fences_output_longer_than_any_backtick_run_in_it():
    text = hook.render(hook.Shortcode("a.py", None, 1), result("x ```` y"), "index.md")
    assert "`````text" in text


def test_render_adds_light_and_dark_figure_with_alt_and_escaped_caption():
    figures = {"curve": {"alt": "loss [falls]", "caption": "Notice <this>."}}
    text = hook.render(hook.Shortcode("ch/a.py", None, 1), result(figures=figures), "ch/p.md")
    assert "![loss (falls)](../figures/ch/a/curve.light.svg#only-light)" in text
    assert "![loss (falls)](../figures/ch/a/curve.dark.svg#only-dark)" in text
    assert "<figcaption>Notice &lt;this&gt;.</figcaption>" in text


# --- whole builds of a tiny project -----------------------------------------------------------


@pytest.fixture
def project(tmp_path):
    """A minimal MkDocs project that uses the real hook and pymdownx.snippets."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "snippets" / "ch").mkdir(parents=True)
    (tmp_path / "requirements.txt").write_text("numpy==2\n")
    (tmp_path / "mkdocs.yml").write_text(
        textwrap.dedent(
            f"""\
            site_name: tiny
            markdown_extensions:
              - pymdownx.superfences
              - pymdownx.tabbed
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
    return tmp_path


def write(project: Path, page: str, snippets: dict[str, str]) -> None:
    (project / "docs" / "index.md").write_text(page)
    for name, source in snippets.items():
        (project / "snippets" / "ch" / name).write_text(source)


def build(project: Path, **env):
    return mkdocs_build(project, project / "site", **env)


def cache_entries(project: Path) -> set[str]:
    folder = project / ".cache" / "snippets"
    return {p.name for p in folder.iterdir() if not p.name.startswith("run-")}


def test_warm_build_executes_nothing_and_an_edit_reruns_only_that_snippet(project):
    page = "# T\n<!-- snippet: ch/a.py -->\n<!-- snippet: ch/b.py -->\n"
    write(project, page, {"a.py": "print('alpha')\n", "b.py": "print('beta')\n"})
    first = build(project)
    assert first.returncode == 0, first.stderr
    assert "2 used, 2 executed, 0 from cache" in first.stderr
    html = (project / "site" / "index.html").read_text()
    assert "alpha" in html and "beta" in html

    warm = build(project)
    assert "2 used, 0 executed, 2 from cache" in warm.stderr

    write(project, page, {"b.py": "print('gamma')\n"})
    edited = build(project)
    assert "2 used, 1 executed, 1 from cache" in edited.stderr
    assert re.search(r"running snippets/ch/b\.py", edited.stderr)
    assert "gamma" in (project / "site" / "index.html").read_text()


def test_failing_snippet_stops_the_build_with_path_and_traceback_and_keeps_the_cache(project):
    write(project, "# T\n<!-- snippet: ch/a.py -->\n", {"a.py": "print('good')\n"})
    assert build(project).returncode == 0
    good = cache_entries(project)

    write(project, "# T\n<!-- snippet: ch/a.py -->\n", {"a.py": "def f():\n    1 / 0\nf()\n"})
    failed = build(project)
    assert failed.returncode != 0
    assert "snippets/ch/a.py (used by index.md) failed with exit code 1" in failed.stderr
    assert "ZeroDivisionError" in failed.stderr and "line 2, in f" in failed.stderr
    assert cache_entries(project) == good  # nothing lost, nothing half-written

    write(project, "# T\n<!-- snippet: ch/a.py -->\n", {"a.py": "print('good')\n"})
    again = build(project)
    assert "1 used, 0 executed, 1 from cache" in again.stderr


def test_snippet_that_runs_too_long_is_stopped(project):
    write(
        project, "# T\n<!-- snippet: ch/slow.py -->\n", {"slow.py": "import time\ntime.sleep(30)\n"}
    )
    done = build(project, MLSD_SNIPPET_TIMEOUT="1")
    assert done.returncode != 0
    assert "snippets/ch/slow.py (used by index.md) timed out after 1 s" in done.stderr


def test_missing_snippet_file_names_page_and_path(project):
    write(project, "# T\n\n<!-- snippet: ch/nowhere.py -->\n", {})
    done = build(project)
    assert done.returncode != 0
    assert "index.md:3: snippet file not found: snippets/ch/nowhere.py" in done.stderr


def test_unknown_shortcode_stops_the_build(project):
    write(project, "# T\n<!-- canvass: x -->\n", {})
    done = build(project)
    assert done.returncode != 0
    assert "index.md:2: unknown shortcode 'canvass'" in done.stderr


def test_missing_section_stops_the_build(project):
    write(project, "# T\n<!-- snippet: ch/a.py:core -->\n", {"a.py": "print(1)\n"})
    done = build(project)
    assert done.returncode != 0
    assert "core" in done.stderr and "a.py" in done.stderr


FIGURE = textwrap.dedent(
    """\
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0], label="loss")
    ax.set_title("falls")
    fig.savefig("curve.svg", metadata=METADATA)
    """
)


def test_figures_are_published_in_both_themes_with_alt_and_caption_from_savefig(project):
    metadata = '{"Description": "A line falling", "Title": "It falls."}'
    write(
        project,
        "# T\n<!-- snippet: ch/fig.py -->\n",
        {"fig.py": FIGURE.replace("METADATA", metadata)},
    )
    done = build(project)
    assert done.returncode == 0, done.stderr
    light = (project / "site" / "figures" / "ch" / "fig" / "curve.light.svg").read_text()
    dark = (project / "site" / "figures" / "ch" / "fig" / "curve.dark.svg").read_text()
    assert f"#{hook.INK}" in light and f"#{hook.DARK_INK}" not in light  # the figure style
    assert f"#{hook.DARK_INK}" in dark and f"#{hook.INK}" not in dark
    assert "#0072b2" in light.lower() and "#0072b2" in dark.lower()  # data colours kept
    assert "<dc:date>" not in light  # no wall-clock date: the same figure gives the same bytes
    assert (project / "site" / "snippets" / "ch" / "fig.py").exists()
    page = (project / "site" / "index.html").read_text()
    assert 'alt="A line falling"' in page and "<figcaption>It falls.</figcaption>" in page


def test_figure_without_alt_text_stops_the_build_and_says_how_to_add_it(project):
    write(
        project, "# T\n<!-- snippet: ch/fig.py -->\n", {"fig.py": FIGURE.replace("METADATA", "{}")}
    )
    done = build(project)
    assert done.returncode != 0
    assert "snippets/ch/fig.py (used by index.md): figure curve.svg has no alt text" in done.stderr
    assert '"Description"' in done.stderr


def test_a_figure_saved_as_png_stops_the_build(project):
    source = FIGURE.replace('"curve.svg", metadata=METADATA', '"curve.png"')
    write(project, "# T\n<!-- snippet: ch/fig.py -->\n", {"fig.py": source})
    done = build(project)
    assert done.returncode != 0
    assert "saved curve.png: the site shows SVG figures only" in done.stderr


def test_dark_copy_swaps_ink_and_grid_only():
    svg = b'<path style="stroke: #1f1f1f"/><path style="stroke: #D0D0D0"/><path fill="#1f1f1faa"/>'
    dark = hook.dark_copy(svg).decode()
    assert f"#{hook.DARK_INK}" in dark and f"#{hook.DARK_GRID}" in dark
    assert "#1f1f1faa" in dark  # not a colour of the style: left alone


# --- snippets run where a reader's do ------------------------------------------------------------


@pytest.mark.parametrize(
    "source, complaint",
    [
        ("import mkdocs\n", "No module named 'mkdocs'"),  # installed for the build, not readers
        ("import conftest\n", "No module named 'conftest'"),  # nothing of the repository
        ("from helper import f\n", "No module named 'helper'"),  # nor a file beside the snippet
        ("open('../../requirements.txt')\n", "No such file or directory"),  # nor its files
    ],
)
def test_a_snippet_that_needs_anything_of_ours_fails_the_build(project, source, complaint):
    (project / "snippets" / "ch" / "helper.py").write_text("def f():\n    return 1\n")
    write(project, "# T\n<!-- snippet: ch/a.py -->\n", {"a.py": source + "print('ran')\n"})
    done = build(project, PYTHONPATH=f"{ROOT / 'tests'}:{project / 'snippets' / 'ch'}")
    assert done.returncode != 0
    assert "snippets/ch/a.py (used by index.md) failed with exit code 1" in done.stderr
    assert complaint in done.stderr


def test_snippets_run_by_the_readers_interpreter_in_an_empty_folder(project):
    source = textwrap.dedent(
        """\
        import os, sys
        import numpy, torch, matplotlib
        print(sys.flags.isolated, sys.prefix.endswith(".venv-reader"), sorted(os.listdir(".")))
        """
    )
    write(project, "# T\n<!-- snippet: ch/a.py -->\n", {"a.py": source})
    done = build(project)
    assert done.returncode == 0, done.stderr
    page = html.unescape((project / "site" / "index.html").read_text())
    assert "1 True ['a.py']" in page  # isolated, the readers' venv, nothing else in the folder


def test_an_interpreter_that_sees_the_build_packages_is_refused(project):
    write(project, "# T\n<!-- snippet: ch/a.py -->\n", {"a.py": "print(1)\n"})
    done = build(project, MLSD_READER_PYTHON=sys.executable)  # the build's own .venv
    assert done.returncode != 0
    assert "can import MkDocs: snippets must run where a reader's do" in done.stderr


def test_a_missing_readers_interpreter_says_how_to_create_it(project):
    write(project, "# T\n<!-- snippet: ch/a.py -->\n", {"a.py": "print(1)\n"})
    done = build(project, MLSD_READER_PYTHON=str(project / "nowhere" / "python"))
    assert done.returncode != 0
    assert "the readers' interpreter" in done.stderr and "make build" in done.stderr


def test_environment_shortcode_names_the_versions_snippets_run_with(project):
    write(project, "# T\nRun with\n<!-- environment: -->\nonly.\n", {})
    done = build(project)
    assert done.returncode == 0, done.stderr
    page = (project / "site" / "index.html").read_text()
    versions = r"Python 3\.\d+\.\d+, numpy [\w.+]+, torch [\w.+]+ and matplotlib [\w.+]+"
    assert re.search(rf"Run with\n{versions}\nonly\.", page)


def test_indented_shortcode_is_refused_instead_of_silently_ignored():
    page = '??? question "Q"\n\n    <!-- snippet: ch/a.py -->\n'
    with pytest.raises(hook.SnippetError, match=r"page\.md:3: an indented shortcode"):
        hook.parse_shortcodes(page, "page.md")
    assert hook.parse_shortcodes("    <!-- an ordinary: comment -->\n", "page.md") == []


# --- side by side, except those that measure time --------------------------------------------


def stamped(name: str, declared: bool = False) -> str:
    """A snippet that sleeps and prints when it started and ended."""
    flag = "MEASURES_TIME = True\n" if declared else ""
    return (
        f"{flag}import time\n\nstart = time.time()\ntime.sleep(1.5)\n"
        f"print('{name}:', start, time.time())\n"
    )


def interval(project: Path, name: str) -> tuple[float, float]:
    page = html.unescape((project / "site" / "index.html").read_text())
    start, end = re.search(rf"{name}: ([\d.]+) ([\d.]+)", page).groups()
    return float(start), float(end)


def test_snippets_run_side_by_side_and_those_that_measure_time_run_alone_afterwards(project):
    sources = {"a.py": stamped("a"), "b.py": stamped("b"), "timed.py": stamped("timed", True)}
    page = "# T\n" + "".join(f"<!-- snippet: ch/{name} -->\n" for name in sources)
    write(project, page, sources)
    done = build(project, MLSD_SNIPPET_JOBS="2")
    assert done.returncode == 0, done.stderr
    (a_start, a_end), (b_start, b_end) = interval(project, "a"), interval(project, "b")
    timed_start, _ = interval(project, "timed")
    assert a_start < b_end and b_start < a_end  # a and b overlapped
    assert timed_start >= max(a_end, b_end)  # the timed one ran after both, alone
    assert "slowest snippets run: ch/" in done.stderr


def test_a_failure_beside_good_snippets_stops_the_build_and_keeps_their_results(project):
    sources = {"good.py": "print('good')\n", "bad.py": "raise SystemExit('broken')\n"}
    write(project, "# T\n<!-- snippet: ch/good.py -->\n<!-- snippet: ch/bad.py -->\n", sources)
    done = build(project, MLSD_SNIPPET_JOBS="2")
    assert done.returncode != 0
    assert "snippets/ch/bad.py (used by index.md) failed with exit code 1" in done.stderr
    assert len(cache_entries(project)) == 1  # good.py's run is kept for the next build
    write(project, "# T\n<!-- snippet: ch/good.py -->\n", {})
    again = build(project)
    assert "1 used, 0 executed, 1 from cache" in again.stderr
