"""What a workflow tool does, in miniature: run steps in dependency order and skip the ones whose
inputs have not changed.

A pipeline is a DAG of steps. The runner orders them topologically (Kahn's algorithm), gives
each step a fingerprint (a hash of its code, its parameters and the *content* of its inputs), and
reuses the stored output when the fingerprint was seen before. Because fingerprints hash content,
not timestamps, a step that reran but produced identical output stops the rerun from spreading
downstream. A step that fails is retried; if it still fails, only the steps that depend on it are
skipped. Airflow, Argo, Prefect, Kubeflow Pipelines, Metaflow and DVC each do a version of this.
"""

import functools
import hashlib
import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


# --8<-- [start:core]
@dataclass
class Step:
    name: str
    func: Callable  # called as func(*outputs of deps, **params); returns JSON-serialisable data
    deps: tuple[str, ...] = ()
    params: dict = field(default_factory=dict)
    retries: int = 0


def topological_order(steps: dict[str, Step]) -> list[str]:
    """Kahn's algorithm: repeatedly take a step whose dependencies are all done."""
    for step in steps.values():
        unknown = set(step.deps) - set(steps)
        if unknown:
            raise ValueError(f"{step.name} depends on unknown steps {sorted(unknown)}")
    waiting = {name: set(step.deps) for name, step in steps.items()}
    order = []
    while waiting:
        ready = sorted(name for name, deps in waiting.items() if not deps)
        if not ready:
            raise ValueError(f"cycle among {sorted(waiting)}")
        for name in ready:
            order.append(name)
            del waiting[name]
            for deps in waiting.values():
                deps.discard(name)
    return order


def digest(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:12]


class Runner:
    """Runs a DAG; `cache` maps a step's fingerprint to (output hash, output)."""

    def __init__(self):
        self.cache: dict[str, tuple[str, object]] = {}

    def run(self, steps: dict[str, Step]) -> dict[str, str]:
        status, outputs, hashes = {}, {}, {}
        for name in topological_order(steps):
            step = steps[name]
            if any(status[d] in ("failed", "upstream failed") for d in step.deps):
                status[name] = "upstream failed"
                continue
            code = inspect.getsource(step.func)
            fingerprint = digest([name, code, step.params, [hashes[d] for d in step.deps]])
            if fingerprint in self.cache:
                hashes[name], outputs[name] = self.cache[fingerprint]
                status[name] = "cached"
                continue
            for attempt in range(step.retries + 1):
                try:
                    result = step.func(*(outputs[d] for d in step.deps), **step.params)
                except Exception:
                    status[name] = "failed"
                    continue
                outputs[name], hashes[name] = result, digest(result)
                self.cache[fingerprint] = (hashes[name], result)
                status[name] = "ran" if attempt == 0 else "retried"
                break
        return status


# --8<-- [end:core]


# --- the steps of a small training pipeline -----------------------------------------------------


def ingest(rows):
    """Read the raw rows (here they are passed in; in real life, a query or a file)."""
    return [list(r) for r in rows]


def clean(rows):
    """Drop rows with a missing value and exact duplicates; sort for a canonical order."""
    kept = {tuple(r) for r in rows if None not in r}
    return sorted(list(r) for r in kept)


def features(rows):
    x = np.array([r[0] for r in rows], dtype=float)
    mean, std = x.mean(), x.std()
    return {"x": np.round((x - mean) / std, 6).tolist(), "y": [r[1] for r in rows]}


def train(table, lr, steps):
    """Logistic regression on one feature by gradient descent."""
    x, y = np.array(table["x"]), np.array(table["y"])
    w = b = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(w * x + b)))
        w -= lr * np.mean((p - y) * x)
        b -= lr * np.mean(p - y)
    return {"w": round(w, 6), "b": round(b, 6)}


def evaluate(table, model):
    x, y = np.array(table["x"]), np.array(table["y"])
    accuracy = np.mean(((model["w"] * x + model["b"]) > 0) == (y == 1))
    return {"accuracy": round(float(accuracy), 4)}


def profile(rows):
    """Data quality report, on a branch of its own."""
    return {"rows": len(rows), "positives": sum(r[1] for r in rows)}


def pipeline(raw_rows, lr=0.5, flaky=None) -> dict[str, Step]:
    """The DAG: ingest -> clean -> features -> train -> evaluate, and clean -> profile."""
    steps = [
        Step("ingest", ingest, params={"rows": raw_rows}),
        Step("clean", clean, ("ingest",)),
        Step("features", features, ("clean",)),
        Step("train", train, ("features",), {"lr": lr, "steps": 200}),
        Step("evaluate", evaluate, ("features", "train")),
        Step("profile", profile, ("clean",)),
    ]
    pipe = {s.name: s for s in steps}
    if flaky is not None:  # wrap one step so that it fails its first `fails` calls
        name, fails = flaky
        old = pipe[name]
        pipe[name] = Step(name, make_flaky(old.func, fails), old.deps, old.params, retries=1)
    return pipe


def make_flaky(func, fails: int):
    calls = {"n": 0}

    @functools.wraps(func)  # keeps the real step's code in the fingerprint
    def flaky_step(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] <= fails:
            raise ConnectionError("feature service timed out")
        return func(*args, **kwargs)

    return flaky_step


def descendants(steps: dict[str, Step], changed: str) -> set[str]:
    """The changed step and everything downstream: what a timestamp-based tool would rerun."""
    out, frontier = {changed}, [changed]
    while frontier:
        current = frontier.pop()
        for step in steps.values():
            if current in step.deps and step.name not in out:
                out.add(step.name)
                frontier.append(step.name)
    return out


def raw_data(n: int, seed: int = 0) -> list[tuple]:
    rng = np.random.default_rng(seed)
    x = np.round(rng.normal(size=n), 6)
    y = (x + rng.normal(0, 0.8, n) > 0).astype(int)
    rows = [(float(a), int(b)) for a, b in zip(x, y, strict=True)]
    rows[3] = (None, rows[3][1])  # one broken row that cleaning drops
    return rows


def main():
    runner = Runner()
    rows = raw_data(300)
    scenarios = [
        ("first run", pipeline(rows), "all"),
        ("nothing changed", pipeline(rows), None),
        ("learning rate changed", pipeline(rows, lr=0.1), "train"),
        ("a duplicate row arrived", pipeline([*rows, rows[0]], lr=0.1), "ingest"),
        ("a new row arrived", pipeline([*rows, (0.5, 1)], lr=0.1), "ingest"),
        ("new data, features fails 1x", pipeline(rows[:-5], 0.1, ("features", 1)), "ingest"),
        ("new data, train fails 2x", pipeline(rows[:-9], 0.1, ("train", 2)), "ingest"),
    ]
    order = topological_order(scenarios[0][1])
    print("Execution order:", " -> ".join(order), end="\n\n")
    print(f"{'scenario':<29}" + "".join(f"{s:<10}" for s in order) + "run  make-like")
    for title, steps, changed in scenarios:
        status = runner.run(steps)
        executed = sum(s in ("ran", "retried") for s in status.values())
        if changed is None:
            naive = 0
        elif changed == "all":
            naive = len(steps)
        else:
            naive = len(descendants(steps, changed))
        cells = "".join(f"{status[s].replace('upstream failed', 'skipped'):<10}" for s in order)
        print(f"{title:<29}{cells}{executed:<5}{naive}")
    print("\nrun: steps the content-hash runner executed. make-like: steps a tool comparing")
    print("timestamps would start (the changed step and everything downstream of it).")
    print("retried: failed once, succeeded on the retry. skipped: an upstream step failed.")


if __name__ == "__main__":
    main()
