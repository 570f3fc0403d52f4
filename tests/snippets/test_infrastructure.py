"""Behaviour of the infrastructure snippets: the DAG runner orders, caches, cuts off and
isolates failures; the model store deduplicates, detects corruption and keeps lineage; the
cost model's rule for how much to own matches brute force. The last tests read the build's run of
every snippet."""

import numpy as np
import pytest

from conftest import load_snippet

dag = load_snippet("infrastructure/dag_runner.py")
store_mod = load_snippet("infrastructure/model_store.py")
cost = load_snippet("infrastructure/compute_cost.py")

# --- dag_runner.py ----------------------------------------------------------------------------


def const(value):
    return value


def add(a, b):
    return a + b


def double(a):
    return 2 * a


def boom(a):
    raise RuntimeError("broken step")


def diamond(x=1, y=2, d_func=double):
    return {
        "x": dag.Step("x", const, params={"value": x}),
        "y": dag.Step("y", const, params={"value": y}),
        "sum": dag.Step("sum", add, ("x", "y")),
        "d": dag.Step("d", d_func, ("sum",)),
        "side": dag.Step("side", double, ("y",)),
    }


def test_topological_order_puts_every_step_after_its_dependencies():
    steps = diamond()
    order = dag.topological_order(steps)
    assert sorted(order) == sorted(steps)
    for step in steps.values():
        assert all(order.index(d) < order.index(step.name) for d in step.deps)


def test_cycles_and_unknown_dependencies_are_rejected():
    cyc = {"a": dag.Step("a", double, ("b",)), "b": dag.Step("b", double, ("a",))}
    with pytest.raises(ValueError, match="cycle"):
        dag.topological_order(cyc)
    with pytest.raises(ValueError, match="unknown"):
        dag.topological_order({"a": dag.Step("a", double, ("missing",))})


def test_runner_caches_and_reruns_only_what_changed():
    runner = dag.Runner()
    assert set(runner.run(diamond()).values()) == {"ran"}
    assert set(runner.run(diamond()).values()) == {"cached"}
    status = runner.run(diamond(x=5))
    assert status == {"x": "ran", "y": "cached", "sum": "ran", "d": "ran", "side": "cached"}
    status = runner.run(diamond(x=5, d_func=lambda a: 3 * a))  # new code for one step
    assert status["d"] == "ran" and status["sum"] == "cached"


def test_identical_output_stops_the_rerun_from_spreading():
    runner = dag.Runner()
    runner.run(diamond(x=1, y=2))
    status = runner.run(diamond(x=2, y=1))  # both inputs change, their sum does not
    assert status["x"] == status["y"] == status["sum"] == "ran"
    assert status["d"] == "cached"
    assert status["side"] == "ran"


def test_a_failure_skips_only_its_descendants_and_retries_help():
    steps = diamond()
    steps["sum"] = dag.Step("sum", boom, ("x", "y"), retries=2)
    status = dag.Runner().run(steps)
    assert status["sum"] == "failed" and status["d"] == "upstream failed"
    assert status["side"] == "ran"
    steps = diamond()
    steps["sum"] = dag.Step("sum", dag.make_flaky(add, 1), ("x", "y"), retries=1)
    assert dag.Runner().run(steps)["sum"] == "retried"
    steps["sum"] = dag.Step("sum", dag.make_flaky(add, 1), ("x", "y"), retries=0)
    assert dag.Runner().run(steps)["sum"] == "failed"


def test_pipeline_duplicate_row_is_cut_off_after_cleaning():
    runner = dag.Runner()
    rows = dag.raw_data(100)
    runner.run(dag.pipeline(rows))
    status = runner.run(dag.pipeline([*rows, rows[0]]))
    assert status["ingest"] == status["clean"] == "ran"
    assert {status[s] for s in ("features", "train", "evaluate", "profile")} == {"cached"}
    assert dag.descendants(dag.pipeline(rows), "clean") == {
        "clean",
        "features",
        "train",
        "evaluate",
        "profile",
    }


def test_pipeline_steps_clean_and_learn():
    rows = dag.raw_data(400)
    cleaned = dag.clean(dag.ingest([*rows, rows[0]]))
    assert len(cleaned) == len(rows) - 1  # the broken row and the duplicate are gone
    table = dag.features(cleaned)
    assert abs(np.mean(table["x"])) < 1e-6 and np.std(table["x"]) == pytest.approx(1, abs=1e-4)
    model = dag.train(table, lr=0.5, steps=200)
    assert model["w"] > 0 and dag.evaluate(table, model)["accuracy"] > 0.75


# --- model_store.py ---------------------------------------------------------------------------


def test_put_deduplicates_and_get_verifies(tmp_path):
    store = store_mod.ModelStore(tmp_path)
    key = store.put(b"weights")
    assert store.put(b"weights") == key == store_mod.sha256(b"weights")
    assert len([p for p in (tmp_path / "objects").rglob("*") if p.is_file()]) == 1
    assert store.get(key) == b"weights"
    (tmp_path / "objects" / key[:2] / key[2:]).write_bytes(b"weightz")
    with pytest.raises(ValueError, match="corrupted"):
        store.get(key)


def test_versions_are_content_addressed_with_lineage_and_aliases(tmp_path):
    store = store_mod.ModelStore(tmp_path)
    v1 = store.register("m", b"w1", data="d1", metrics={"acc": 0.9})
    assert store.register("m", b"w1", data="d1", metrics={"acc": 0.9}) == v1
    assert store.register("m", b"w1", data="d2", metrics={"acc": 0.9}) != v1  # other data
    v2 = store.register("m", b"w2", parent=v1, data="d3", metrics={"acc": 0.95})
    v3 = store.register("m", b"w3", parent=v2, data="d4", metrics={"acc": 0.96})
    chain = store.lineage(v3)
    assert [r["version"] for r in chain] == [v3, v2, v1]
    assert chain[-1]["parent"] is None and store.get(chain[1]["weights"]) == b"w2"
    store.set_alias("m", "production", v3)
    store.set_alias("m", "production", v1)
    assert store.resolve("m", "production") == v1


def test_identical_training_gives_identical_bytes():
    x, y = store_mod.make_data(500, [1.0, -2.0, 0.5], seed=0)
    a = store_mod.to_bytes(store_mod.fit_logistic(x, y))
    b = store_mod.to_bytes(store_mod.fit_logistic(x, y))
    assert a == b
    assert store_mod.accuracy(store_mod.fit_logistic(x, y), x, y) > 0.85


# --- compute_cost.py --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def profiles():
    rng = np.random.default_rng(0)
    return {"bursty": cost.bursty_team(rng), "steady": cost.steady_fleet(rng)}


def test_cloud_only_cost_is_price_times_gpu_hours(profiles):
    demand = profiles["bursty"]
    assert cost.yearly_cost(demand, 0) == pytest.approx(demand.sum() * cost.CLOUD_PER_GPU_HOUR)
    flat = np.full(cost.HOURS, 10.0)
    assert cost.yearly_cost(flat, 10) == pytest.approx(10 * cost.owned_per_gpu_hour() * cost.HOURS)


def test_the_quantile_rule_finds_the_cheapest_mix(profiles):
    for demand in profiles.values():
        ks = np.arange(0, int(demand.max()) + 1)
        costs = np.array([cost.yearly_cost(demand, k) for k in ks])
        best = cost.best_owned(demand)
        assert cost.yearly_cost(demand, best) <= costs.min() * (1 + 1e-3)


def test_spiky_demand_favours_the_cloud_and_steady_demand_owning(profiles):
    bursty, steady = (
        cost.summarise("b", profiles["bursty"]),
        cost.summarise("s", profiles["steady"]),
    )
    assert bursty["cloud"] < bursty["owned at peak"]
    assert bursty["k"] < 0.2 * bursty["mean"] + 5
    assert steady["owned at peak"] < steady["cloud"]
    assert steady["mixed"] < steady["owned at peak"]
    assert steady["k"] > 0.9 * steady["mean"]


# --- what the build's runs printed -------------------------------------------------------------


def test_the_recorded_runs_show_the_failures_they_demonstrate(snippet_results):
    dag = snippet_results("infrastructure/dag_runner.py").stdout
    assert "a duplicate row arrived" in dag and "failed" in dag
    assert "corrupted" in snippet_results("infrastructure/model_store.py").stdout
