"""The labs hook: Colab links, the CSS purge, page slimming, and a build with a failing lab."""

import textwrap
from pathlib import Path

import nbformat
import pytest
from mkdocs.exceptions import PluginError

from conftest import ROOT, load_hook, mkdocs_build

hook = load_hook("notebooks")


# --- links -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "repo_url",
    [
        "https://github.com/owner/repo",
        "https://github.com/owner/repo/",
        "https://github.com/owner/repo.git",
    ],
)
def test_colab_url_points_at_the_notebook_on_its_branch(repo_url):
    url = hook.colab_url(repo_url, "edit/main/docs/", "docs", "labs/01-x.ipynb")
    assert (
        url == "https://colab.research.google.com/github/owner/repo/blob/main/docs/labs/01-x.ipynb"
    )


def test_colab_url_follows_the_branch_and_folder_of_edit_uri():
    url = hook.colab_url("https://github.com/o/r", "blob/dev/site-src/", "docs", "labs/a.ipynb")
    assert url.endswith("/o/r/blob/dev/site-src/labs/a.ipynb")


@pytest.mark.parametrize(
    ("repo_url", "edit_uri", "message"),
    [
        ("https://gitlab.com/o/r", "edit/main/docs/", "not a GitHub repository"),
        (None, "edit/main/docs/", "not a GitHub repository"),
        ("https://github.com/o/r", "", "does not name a branch"),
        ("https://github.com/o/r", "docs/", "does not name a branch"),
    ],
)
def test_colab_url_refuses_what_it_cannot_link(repo_url, edit_uri, message):
    with pytest.raises(PluginError, match=message):
        hook.colab_url(repo_url, edit_uri, "docs", "labs/a.ipynb")


@pytest.mark.parametrize(
    ("site_url", "repo_url", "published"),
    [
        (
            "http://127.0.0.1:8000/",
            "https://github.com/Owner/repo",
            "https://owner.github.io/repo/",
        ),
        ("http://localhost/", "https://github.com/o/r.git", "https://o.github.io/r/"),
        ("https://o.github.io/r", "https://github.com/o/r", "https://o.github.io/r/"),
        ("https://book.example.org/", "https://github.com/o/r", "https://book.example.org/"),
    ],
)
def test_published_url_is_site_url_or_the_pages_address_of_the_repository(
    site_url, repo_url, published
):
    assert hook.published_url(site_url, repo_url) == published


def test_relative_links_finds_site_paths_in_markdown_cells_only():
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell(
            "See [the chapter](../../monitoring/), [a part](#top), [web](https://x.org/a) "
            'and <a href="../canvas/">the canvas</a>.'
        ),
        nbformat.v4.new_code_cell("print('[not a link](../x/)')"),
    ]
    assert hook.relative_links(notebook) == [(1, "../../monitoring/"), (1, "../canvas/")]


def test_links_to_the_published_site_become_relative_on_the_lab_page():
    html = (
        '<a href="https://o.github.io/r/monitoring/#drift">m</a> '
        '<a href="https://o.github.io/r/labs/02-b/">next</a> '
        '<a href="https://o.github.io/r/">home</a> <a href="https://other.org/r/">away</a>'
    )
    local = hook.localise_links(html, "https://o.github.io/r/", "labs/01-a/")
    assert 'href="../../monitoring/#drift"' in local and 'href="../02-b/"' in local
    assert 'href="../../"' in local and 'href="https://other.org/r/"' in local


def test_stored_labs_link_the_published_site_never_a_site_path():
    published = hook.published_url(None, "https://github.com/ml-system-design-handbook/handbook")
    for lab in sorted((ROOT / "docs" / "labs").glob("*.ipynb")):
        notebook = nbformat.read(lab, as_version=4)
        assert hook.relative_links(notebook) == [], lab.name
        assert published in lab.read_text(), lab.name  # each lab links the handbook


def test_environment_digest_changes_with_requirements():
    assert hook.environment_digest(b"torch==1") == hook.environment_digest(b"torch==1")
    assert hook.environment_digest(b"torch==1") != hook.environment_digest(b"torch==2")


# --- CSS purge ---------------------------------------------------------------------------------


def test_purge_keeps_rules_whose_classes_are_used_and_drops_the_rest():
    css = ".a{color:red}.b{color:blue}.a .c{margin:0}.a,.b{padding:1px}p{line-height:1}"
    out = hook.purge_css(css, {"a"})
    assert ".a{color:red}" in out
    assert ".b{" not in out and ".c" not in out
    assert ".a{padding:1px}" in out  # the unused selector leaves the list, the rule stays
    assert "p{line-height:1}" in out  # no class: it may match, so it stays


def test_purge_ignores_classes_inside_not_and_keeps_media_blocks_that_apply():
    css = ".a:not(.zzz){x:1}@media print{.a{y:2}.b{z:3}}@media screen{.b{z:3}}"
    out = hook.purge_css(css, {"a"})
    assert ".a:not(.zzz){x:1}" in out
    assert "@media print{.a{y:2}}" in out
    assert "screen" not in out


def test_purge_keeps_only_custom_properties_that_are_read_directly_or_through_others():
    css = (
        ":root{--used:var(--base);--base:1px;--unused:2px;--unused-chain:var(--base)}"
        ".a{margin:var(--used)}"
    )
    out = hook.purge_css(css, {"a"})
    assert "--used:var(--base)" in out and "--base:1px" in out
    assert "--unused" not in out


def test_purge_drops_imports_and_keeps_important():
    out = hook.purge_css('@import url("https://cdn.example/x.css");.a{color:red!important}', {"a"})
    assert "@import" not in out and "cdn.example" not in out
    assert "color:red!important" in out


# --- page slimming -----------------------------------------------------------------------------

NOTEBOOK_HTML = textwrap.dedent(
    """\
    <script src=""></script>
    <script type="text/x-mathjax-config">MathJax.Hub.Config({});</script>
    <script src="https://cdn.example/mathjax.js"></script>
    <script type="module">import mermaid from "x"; // mermaid loader</script>
    <script>document.addEventListener('clipboard-copy', () => {})</script>
    <style type="text/css">.jp-Cell{margin:0}.jp-Unused{margin:1px}</style>
    <style>.highlight-ipynb .k{color:green}</style>
    <div class="jupyter-wrapper"><div class="jp-Cell">
    <div class="highlight-ipynb hl-python"><pre>x = 1</pre></div>
    <div class="clipboard-copy-txt" id="cell-1">x = 1</div>
    <div class="jp-InputPrompt jp-InputArea-prompt">In [1]:</div>
    <div class="jp-Cell-outputWrapper">
    <div class="jp-RenderedText jp-OutputArea-output" data-mime-type="text/plain">
    <pre>a long output</pre></div></div>
    </div></div>
    """
)


def test_slim_page_removes_remote_and_math_loaders_and_keeps_local_scripts():
    html = hook.slim_notebook_html(NOTEBOOK_HTML)
    assert "mathjax" not in html.lower() and "mermaid" not in html
    assert 'src=""' not in html and "cdn.example" not in html
    assert "clipboard-copy" in html


def test_slim_page_purges_css_and_hands_highlighting_to_the_theme():
    html = hook.slim_notebook_html(NOTEBOOK_HTML)
    assert html.count("<style") == 1
    assert ".jp-Cell{margin:0}" in html
    assert "jp-Unused" not in html and "highlight-ipynb" not in html
    assert '<div class="highlight hl-python">' in html


def test_slim_page_keeps_outputs_and_hidden_code_copies_out_of_search():
    html = hook.slim_notebook_html(NOTEBOOK_HTML)
    assert "<pre data-search-exclude>a long output</pre>" in html
    assert '<div data-search-exclude class="clipboard-copy-txt" id="cell-1">' in html
    assert '<div data-search-exclude class="jp-InputPrompt' in html


# --- a whole build -----------------------------------------------------------------------------


def write_project(root: Path, code: str, markdown: str = "# A lab") -> Path:
    hooks = Path(hook.__file__).parent
    (root / "docs" / "labs").mkdir(parents=True, exist_ok=True)
    (root / "docs" / "index.md").write_text("# Home\n")
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.cells = [
        nbformat.v4.new_markdown_cell(markdown, id="c0"),
        nbformat.v4.new_code_cell("x = 40", id="c1"),
        nbformat.v4.new_code_cell(code, id="c2"),
    ]
    nbformat.write(notebook, root / "docs" / "labs" / "lab.ipynb")
    (root / "mkdocs.yml").write_text(
        textwrap.dedent(
            f"""\
            site_name: t
            site_url: http://127.0.0.1/
            repo_url: https://github.com/owner/repo
            edit_uri: edit/main/docs/
            theme: {{name: material, custom_dir: {ROOT / "overrides"}}}
            nav: [index.md, labs/lab.ipynb]
            plugins:
              - mkdocs-jupyter:
                  include: ["labs/*.ipynb"]
                  execute: true
                  allow_errors: false
                  include_source: true
                  cache_dir: {root / "cache"}
            hooks: [{hooks / "notebooks.py"}]
            """
        )
    )
    return root


def test_a_lab_is_executed_once_and_then_served_from_the_cache(tmp_path):
    project = write_project(tmp_path, "print(x + 2)")
    first = mkdocs_build(project, project / "site")
    assert first.returncode == 0, first.stderr
    page = (project / "site" / "labs" / "lab" / "index.html").read_text()
    assert "42" in page
    assert 'href="lab.ipynb" download' in page
    assert "colab.research.google.com/github/owner/repo/blob/main/docs/labs/lab.ipynb" in page
    assert (project / "site" / "labs" / "lab" / "lab.ipynb").exists()
    second = mkdocs_build(project, project / "site2")
    assert second.returncode == 0, second.stderr
    assert "Converting notebook" in first.stderr and "Converting notebook" not in second.stderr


def test_a_failing_lab_stops_the_build_naming_the_lab_and_the_error(tmp_path):
    project = write_project(tmp_path, "raise ValueError('planted failure')")
    done = mkdocs_build(project, project / "site")
    assert done.returncode != 0
    assert "lab labs/lab.ipynb failed to run" in done.stderr
    assert "planted failure" in done.stderr


def test_a_lab_with_a_relative_link_stops_the_build(tmp_path):
    project = write_project(tmp_path, "print(1)", markdown="Read [this](../../monitoring/).")
    done = mkdocs_build(project, project / "site")
    assert done.returncode != 0
    assert "lab labs/lab.ipynb, cell 1: the link '../../monitoring/' is a path" in done.stderr
    assert "https://owner.github.io/repo/" in done.stderr


@pytest.mark.parametrize(
    ("code", "complaint"),
    [
        ("import mkdocs", "No module named 'mkdocs'"),  # the build's packages are not there
        ("open('data.txt')", "No such file or directory"),  # nor the files beside the lab
    ],
)
def test_a_lab_runs_in_the_readers_environment_from_an_empty_folder(tmp_path, code, complaint):
    (tmp_path / "docs" / "labs").mkdir(parents=True)
    (tmp_path / "docs" / "labs" / "data.txt").write_text("beside the lab\n")
    project = write_project(tmp_path, code)
    done = mkdocs_build(project, project / "site")
    assert done.returncode != 0
    assert complaint in done.stderr


def test_a_lab_sees_the_readers_interpreter_and_an_empty_folder(tmp_path):
    project = write_project(
        tmp_path, "import os, sys\nprint(sys.prefix.endswith('.venv-reader'), os.listdir('.'))"
    )
    done = mkdocs_build(project, project / "site")
    assert done.returncode == 0, done.stderr
    assert "True []" in (project / "site" / "labs" / "lab" / "index.html").read_text()
