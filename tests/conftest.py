"""Shared fixtures: import a snippet by path, build the site once per test session."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SNIPPETS = ROOT / "snippets"
HOOKS = ROOT / "scripts" / "hooks"
MKDOCS = [sys.executable, "-m", "mkdocs"]


def load_snippet(relative_path: str):
    """Import a snippet file such as "model-development/baselines.py" as a module."""
    path = SNIPPETS / relative_path
    name = "snippet_" + relative_path.replace("/", "_").replace("-", "_").removesuffix(".py")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look modules up here
    spec.loader.exec_module(module)
    return module


def load_hook(name: str):
    """Import a MkDocs hook from scripts/hooks/ as a module."""
    spec = importlib.util.spec_from_file_location(f"hook_{name}", HOOKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def mkdocs_build(project: Path, site: Path, **env) -> subprocess.CompletedProcess:
    """Run `mkdocs build --strict` for a project folder and return the finished process."""
    return subprocess.run(
        [*MKDOCS, "build", "--strict", "--site-dir", str(site)],
        cwd=project,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1", **env},
        capture_output=True,
        text=True,
        timeout=1800,
    )


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """The real handbook, built once with --strict; the snippet cache in .cache/ is shared."""
    site = tmp_path_factory.mktemp("site")
    done = mkdocs_build(ROOT, site)
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout}\n{done.stderr}"
    return site, done.stderr
