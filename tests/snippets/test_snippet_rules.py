"""Rules every snippet keeps, read from its source without running it: it imports only what a
reader has (the standard library, numpy, torch, matplotlib), and it declares
`MEASURES_TIME = True` exactly when it reads a clock, because the build runs such a snippet alone
and the others side by side."""

import ast
import sys

import pytest

from conftest import SNIPPETS, load_hook

hook = load_hook("snippets")
SOURCES = sorted(SNIPPETS.rglob("*.py"))
READER_MODULES = set(sys.stdlib_module_names) | {"numpy", "torch", "matplotlib"}
CLOCKS = {
    "time": {"time", "time_ns", "perf_counter", "perf_counter_ns", "monotonic", "monotonic_ns"}
    | {"process_time", "process_time_ns", "thread_time", "thread_time_ns"},
    "timeit": None,  # any use of timeit measures time
}


def ids():
    return [p.relative_to(SNIPPETS).as_posix() for p in SOURCES]


def imported_modules(tree: ast.AST) -> set[str]:
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            modules.add("." if node.level else node.module.split(".")[0])
    return modules


def reads_a_clock(tree: ast.AST) -> bool:
    """A call of a clock: time.perf_counter() and kin, `from time import ...` of one, timeit,
    or a CUDA timing event."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name == "timeit" for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and node.module in CLOCKS:
            clocks = CLOCKS[node.module]
            if clocks is None or any(alias.name in clocks for alias in node.names):
                return True
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            clocks = CLOCKS.get(node.value.id, set())
            if clocks is not None and node.attr in clocks:
                return True
        if isinstance(node, ast.Attribute) and node.attr == "Event":  # torch.cuda.Event
            return True
    return False


def test_there_are_snippets_to_check():
    assert len(SOURCES) >= 80


@pytest.mark.parametrize("path", SOURCES, ids=ids())
def test_snippet_imports_only_what_a_reader_has(path):
    outside = imported_modules(ast.parse(path.read_text(encoding="utf-8"))) - READER_MODULES
    assert not outside, f"imports {sorted(outside)}: a reader has only numpy, torch, matplotlib"


@pytest.mark.parametrize("path", SOURCES, ids=ids())
def test_snippet_declares_that_it_measures_time_exactly_when_it_does(path):
    source = path.read_text(encoding="utf-8")
    if reads_a_clock(ast.parse(source)):
        assert hook.measures_time(source), "reads a clock: declare MEASURES_TIME = True"
    else:
        assert not hook.measures_time(source), "declares MEASURES_TIME but reads no clock"


@pytest.mark.parametrize(
    ("source", "clock"),
    [
        ("import time\nstart = time.perf_counter()\n", True),
        ("from time import monotonic\n", True),
        ("import timeit\n", True),
        ("import torch\nevent = torch.cuda.Event(enable_timing=True)\n", True),
        ("import time\ntime.sleep(1)\n", False),
        ("import datetime\nprint(datetime.date(2026, 1, 1))\n", False),
    ],
)
def test_the_clock_detector_itself(source, clock):
    assert reads_a_clock(ast.parse(source)) is clock


def test_declaration_is_a_module_level_assignment_only():
    assert hook.measures_time("import time\n\nMEASURES_TIME = True  # timed\n")
    assert not hook.measures_time("MEASURES_TIME = False\n")
    assert not hook.measures_time("# MEASURES_TIME = True\n")
    assert not hook.measures_time("def f():\n    MEASURES_TIME = True\n")
