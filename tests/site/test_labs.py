"""The labs: stored clean, executed top to bottom by the build, each exercise checked both ways
(its check fails on the untouched exercise and passes on the folded solution), and the download
and Colab links on every lab page."""

import json
import os
import re
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest
import yaml
from bs4 import BeautifulSoup
from nbclient import NotebookClient

from conftest import ROOT, load_hook

LABS = sorted((ROOT / "docs" / "labs").glob("*.ipynb"))
FENCE = re.compile(r"```python\n(.*?)```", re.DOTALL)


def lab_ids():
    return [lab.stem for lab in LABS]


def read(lab):
    return nbformat.read(lab, as_version=4)


def tagged(notebook, prefix):
    """{number: cell} for cells tagged `<prefix>-<number>`."""
    cells = {}
    for cell in notebook.cells:
        for tag in cell.metadata.get("tags", []):
            if tag.startswith(prefix + "-"):
                cells[tag.removeprefix(prefix + "-")] = cell
    return cells


def with_solutions(notebook):
    """The notebook with each exercise cell's code replaced by the code in its solution."""
    solved = nbformat.from_dict(json.loads(json.dumps(notebook)))
    exercises, solutions = tagged(solved, "exercise"), tagged(solved, "solution")
    for number, cell in exercises.items():
        cell.source = FENCE.search(solutions[number].source).group(1)
    return solved


def printed(notebook) -> str:
    return "".join(
        output.get("text", "") for cell in notebook.cells for output in cell.get("outputs", [])
    )


def links(html: str) -> list[dict]:
    """The attributes of every <a> on a page."""
    return [a.attrs for a in BeautifulSoup(html, "html.parser").find_all("a")]


def test_there_are_five_labs_and_all_are_in_the_navigation():
    assert len(LABS) >= 5
    nav = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)["nav"]
    labs_section = next(item["Labs"] for item in nav if isinstance(item, dict) and "Labs" in item)
    listed = {list(entry.values())[0] for entry in labs_section if isinstance(entry, dict)}
    assert listed == {f"labs/{lab.name}" for lab in LABS}


@pytest.mark.parametrize("lab", LABS, ids=lab_ids())
def test_lab_is_stored_valid_and_without_outputs(lab):
    notebook = read(lab)
    nbformat.validate(notebook)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


@pytest.mark.parametrize("lab", LABS, ids=lab_ids())
def test_every_exercise_has_a_solution_and_a_check(lab):
    notebook = read(lab)
    exercises = tagged(notebook, "exercise")
    assert exercises, "a lab without exercises"
    assert set(tagged(notebook, "solution")) == set(exercises)
    if lab.stem.endswith("final-challenge"):
        assert tagged(notebook, "score") or any(
            "score" in c.metadata.get("tags", []) for c in notebook.cells
        )
    else:
        assert set(tagged(notebook, "check")) == set(exercises)
    for cell in tagged(notebook, "solution").values():
        assert cell.cell_type == "markdown"
        assert "<details>" in cell.source and FENCE.search(cell.source)


def imports_only_what_a_reader_has(source: str) -> bool:
    modules = re.findall(r"^\s*(?:import|from)\s+([\w.]+)", source, re.MULTILINE)
    allowed = {"numpy", "torch", "matplotlib", "IPython", "base64", "io", "time", "math"}
    allowed |= {"platform", "os", "random", "statistics", "collections", "itertools", "heapq"}
    return all(module.split(".")[0] in allowed for module in modules)


@pytest.mark.parametrize("lab", LABS, ids=lab_ids())
def test_lab_is_self_contained_for_colab(lab):
    for cell in read(lab).cells:
        if cell.cell_type == "code":
            assert imports_only_what_a_reader_has(cell.source), cell.source[:200]


# --- the built pages ------------------------------------------------------------------------


def lab_page(site, lab) -> str:
    return (site / "labs" / lab.stem / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("lab", LABS, ids=lab_ids())
def test_build_ran_every_cell_and_the_untouched_exercises_do_not_pass(built_site, lab):
    site, _ = built_site
    html = lab_page(site, lab)
    code_cells = [c for c in read(lab).cells if c.cell_type == "code"]
    prompts = re.findall(r"In(?:\s|&nbsp;)\[(\d+)\]:", html)  # nbconvert writes In\xa0[n]
    assert len(prompts) == len(code_cells)  # every code cell ran, in order
    assert "Traceback" not in html
    if lab.stem.endswith("final-challenge"):
        score = re.search(r"SCORE: (\d) of (\d)", html)
        assert score and score.group(1) != score.group(2)
    else:
        for number in tagged(read(lab), "exercise"):
            assert re.search(rf"NOT YET: exercise {number}\b", html), f"exercise {number}"
        assert "PASSED: exercise" not in html


@pytest.mark.parametrize("lab", LABS, ids=lab_ids())
def test_lab_page_is_slim_and_keeps_outputs_out_of_search(built_site, lab):
    site, _ = built_site
    html = lab_page(site, lab)
    assert html.count("<style") == 1  # the notebook CSS, purged; nothing else inline
    assert len(html.encode()) < 500_000
    index = json.loads((site / "search" / "search_index.json").read_text())
    entries = [d for d in index["docs"] if d["location"].startswith(f"labs/{lab.stem}/")]
    assert entries, "the lab is not in the search index"
    text = " ".join(d["text"] for d in entries)
    assert not re.search(r"NOT YET: exercise \d|SCORE: \d of \d", text)  # outputs not indexed
    assert max(len(d["text"]) for d in entries) < 20_000


@pytest.mark.parametrize("lab", LABS, ids=lab_ids())
def test_download_link_serves_the_same_notebook(site_server, lab):
    page_url = f"{site_server.url}/labs/{lab.stem}/"
    html = urllib.request.urlopen(page_url).read().decode()
    download = [a for a in links(html) if "download" in a]
    assert len(download) == 1
    with urllib.request.urlopen(page_url + download[0]["href"]) as response:
        served = nbformat.reads(response.read().decode(), as_version=4)
    nbformat.validate(served)
    stored = read(lab)
    assert [(c.cell_type, c.source) for c in served.cells] == [
        (c.cell_type, c.source) for c in stored.cells
    ]


@pytest.mark.parametrize("lab", LABS, ids=lab_ids())
def test_colab_link_points_at_the_notebook_in_the_repository(built_site, lab):
    site, _ = built_site
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)
    repo_url = config["repo_url"]  # !ENV [VARIABLE, default] reads as a list here
    repo_default = repo_url[-1] if isinstance(repo_url, list) else repo_url
    colab = [a["href"] for a in links(lab_page(site, lab)) if "colab" in a.get("href", "")]
    assert len(colab) == 1
    match = re.fullmatch(
        r"https://colab\.research\.google\.com/github/([\w.-]+/[\w.-]+)/blob/(\w+)/(.+)", colab[0]
    )
    assert match, colab[0]
    assert f"https://github.com/{match.group(1)}" == repo_default
    assert (ROOT / match.group(3)).resolve() == lab.resolve()  # the file exists at that path


# --- the solutions pass ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reader_kernel():
    """The kernel the build runs labs with: the readers' environment, from an empty folder."""
    hook = load_hook("notebooks")
    return hook.use_reader_kernel(ROOT / ".cache" / "jupyter", os.environ["MLSD_READER_PYTHON"])


@pytest.fixture(scope="module")
def solved_labs(reader_kernel) -> dict:
    """{lab: the notebook with its solutions swapped in, executed top to bottom, or the error
    that stopped it}, each lab in its own kernel, all at once: a kernel spends much of its time
    starting, importing and waiting on messages, so on two cores the five labs took 22 s side
    by side against 38 s one after another. No lab's check depends on a time it measures."""

    def run(lab):
        notebook = with_solutions(read(lab))
        try:
            NotebookClient(notebook, timeout=300, kernel_name=reader_kernel).execute()
        except Exception as error:  # reported by that lab's test, not by its neighbours'
            return error
        return notebook

    with ThreadPoolExecutor(max_workers=len(LABS)) as pool:
        return dict(zip(LABS, pool.map(run, LABS), strict=True))


@pytest.mark.parametrize("lab", LABS, ids=lab_ids())
def test_folded_solutions_pass_every_check(lab, solved_labs):
    notebook = solved_labs[lab]
    if isinstance(notebook, Exception):
        raise notebook
    out = printed(notebook)
    if lab.stem.endswith("final-challenge"):
        assert re.search(r"SCORE: (\d) of \1\b", out), out
    else:
        for number in tagged(notebook, "exercise"):
            assert re.search(rf"PASSED: exercise {number}\b", out), out
        assert "NOT YET" not in out
