"""Behaviour of the deployment snippets: the latency/throughput benchmark, the dynamic-batching
simulation and the batch-versus-online comparison. No assertion depends on how fast this machine
is, only on trends with wide margins; the last tests read the build's run of every snippet."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from conftest import load_snippet

bench = load_snippet("deployment/latency_throughput.py")
batcher = load_snippet("deployment/dynamic_batching.py")
serving = load_snippet("deployment/batch_vs_online.py")


pytestmark = pytest.mark.usefixtures("one_thread")


# --- latency_throughput.py --------------------------------------------------------------------


def test_the_model_is_a_small_mlp_of_one_to_four_million_parameters():
    model = bench.make_model()
    n_params = sum(p.numel() for p in model.parameters())
    assert 1e6 <= n_params <= 4e6
    assert not model.training  # timed in evaluation mode
    assert model(torch.randn(3, bench.LAYERS[0])).shape == (3, bench.LAYERS[-1])


def test_arguments_default_to_cpu_and_accept_a_device():
    assert bench.parse_args([]).device == "cpu"
    args = bench.parse_args(["--device", "cpu", "--threads", "2", "--budget", "0.5"])
    assert (args.device, args.threads, args.budget) == ("cpu", 2, 0.5)
    with pytest.raises(SystemExit):
        bench.parse_args(["--threads", "two"])


def test_summarise_turns_call_times_into_latency_and_throughput():
    times = {1: [0.001] * 19 + [0.003], 4: [0.002] * 20}
    rows = {r["batch"]: r for r in bench.summarise(times)}
    assert rows[1]["p50_ms"] == pytest.approx(1.0)
    assert rows[1]["p95_ms"] > rows[1]["p50_ms"]  # the one slow call shows in the tail only
    assert rows[1]["requests_per_s"] == pytest.approx(1000)
    # A batch of 4 in 2 ms: each request waits 2 ms, but costs only 0.5 ms of compute.
    assert rows[4]["p50_ms"] == pytest.approx(2.0)
    assert rows[4]["per_request_us"] == pytest.approx(500)
    assert rows[4]["requests_per_s"] == pytest.approx(2000)


def test_batching_raises_throughput_and_the_latency_of_a_call():
    times = bench.time_calls(bench.make_model(), [1, 64], budget_s=0.4, rounds=2)
    assert all(len(t) >= 2 * bench.MIN_CALLS for t in times.values())
    one, big = bench.summarise(times)
    assert big["requests_per_s"] > 2 * one["requests_per_s"]  # about 8x on an idle core
    assert big["p50_ms"] > one["p50_ms"]


def test_machine_facts_name_the_hardware_torch_and_threads():
    facts = bench.machine_facts("cpu")
    assert torch.__version__ in facts and "1 thread(s)" in facts and facts.endswith("cpu")


def test_plot_shows_throughput_and_both_latencies_and_names_the_machine():
    times = {1: [0.001] * 20, 8: [0.002] * 20, 64: [0.008] * 19 + [0.02]}
    rows = bench.summarise(times)
    facts = bench.machine_facts("cpu")
    fig = bench.plot(rows, facts)
    left, right = fig.axes
    [throughput] = left.get_lines()
    assert throughput.get_xdata().tolist() == [1, 8, 64]
    assert throughput.get_ydata().tolist() == [r["requests_per_s"] for r in rows]
    median, tail = right.get_lines()
    assert median.get_ydata().tolist() == [r["p50_ms"] for r in rows]
    assert tail.get_ydata().tolist() == [r["p95_ms"] for r in rows]
    assert tail.get_ydata()[-1] > median.get_ydata()[-1]  # the one slow call shows in the tail
    for ax in (left, right):
        assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")
    assert fig.get_suptitle() == f"Measured on: {facts}"  # the machine is on the figure itself
    plt.close(fig)


def test_the_recorded_run_measures_every_batch_size_and_names_the_machine(snippet_results):
    result = snippet_results("deployment/latency_throughput.py")
    torch_version = result.environment["torch"]
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Measured on:") and f"torch {torch_version}" in lines[0]
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["batch", "calls"])
    table = lines[header + 1 : header + 1 + len(bench.BATCHES)]
    assert [int(line.split()[0]) for line in table] == bench.BATCHES
    assert list(result.figures) == ["latency_throughput"]
    assert f"torch {torch_version}" in result.figures["latency_throughput"]["alt"]
    svg = (result.folder / "figures" / "latency_throughput.light.svg").read_text()
    assert f"torch {torch_version}" in svg  # the machine facts are on the figure itself


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_main_measures_on_a_gpu(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # main() saves its figure in the current folder, as for a reader
    rows = bench.main(["--device", "cuda", "--budget", "0.3"])
    assert rows[-1]["requests_per_s"] > rows[0]["requests_per_s"]
    assert [p.name for p in tmp_path.iterdir()] == ["latency_throughput_cuda.svg"]
    svg = (tmp_path / "latency_throughput_cuda.svg").read_text()
    assert torch.cuda.get_device_name() in svg and "| cuda" in svg


# --- dynamic_batching.py ----------------------------------------------------------------------


def test_a_lone_request_waits_exactly_max_wait_then_the_service_time():
    arrivals = np.arange(10) * 100.0  # 100 ms apart: never two in the queue
    for wait in (0.0, 5.0):
        result = batcher.simulate(arrivals, max_batch=32, max_wait_ms=wait)
        assert result["mean_batch"] == 1
        assert result["p50_ms"] == pytest.approx(wait + batcher.service_ms(1))
        assert result["p99_ms"] == pytest.approx(wait + batcher.service_ms(1))


def test_a_full_batch_goes_at_once_and_the_rest_queue_behind_it():
    arrivals = np.zeros(64)  # 64 requests at the same instant
    result = batcher.simulate(arrivals, max_batch=32, max_wait_ms=50.0)
    assert result["mean_batch"] == 32  # no waiting for a batch that is already full
    assert result["p99_ms"] == pytest.approx(2 * batcher.service_ms(32))
    assert result["busy"] == pytest.approx(1.0)


def test_without_batching_a_busy_server_falls_behind():
    rate = 2 * 1e3 / batcher.service_ms(1)  # twice what one-at-a-time serving can do
    arrivals = batcher.poisson_arrivals(rate, 4000, seed=1)
    alone = batcher.simulate(arrivals, max_batch=1, max_wait_ms=0.0)
    batched = batcher.simulate(arrivals, max_batch=32, max_wait_ms=0.0)
    assert alone["served_per_s"] == pytest.approx(1e3 / batcher.service_ms(1), rel=0.01)
    assert alone["p99_ms"] > 100 * batched["p99_ms"]  # the queue grows without limit
    assert batched["served_per_s"] == pytest.approx(rate, rel=0.05)
    assert batched["mean_batch"] > 1.5  # requests pile up while the model is busy


@pytest.fixture(scope="module")
def sweep():
    return batcher.sweep(n=4000, seed=3)


@pytest.mark.parametrize("traffic", sorted(batcher.TRAFFIC))
def test_a_longer_max_wait_costs_latency_and_saves_model_time(sweep, traffic):
    _, rows = sweep[traffic]
    rows = [r for r in rows if r["max_batch"] > 1 and r["wait"] >= 1]
    p50 = [r["p50_ms"] for r in rows]
    busy = [r["busy"] for r in rows]
    batch = [r["mean_batch"] for r in rows]
    assert p50 == sorted(p50) and p50[-1] > p50[0] + 5
    assert busy == sorted(busy, reverse=True) and busy[-1] < 0.5 * busy[0]
    assert batch == sorted(batch)
    for r in rows:  # the traffic is served in every setting: waiting is not losing requests
        assert r["served_per_s"] == pytest.approx(sweep[traffic][0], rel=0.05)


def test_the_simulation_is_deterministic():
    a = batcher.sweep(traffic={"busy": 2000}, waits=[2], n=2000, seed=7)
    b = batcher.sweep(traffic={"busy": 2000}, waits=[2], n=2000, seed=7)
    assert a == b
    gaps = np.diff(batcher.poisson_arrivals(500, 20_000, seed=0))
    assert gaps.mean() == pytest.approx(2.0, rel=0.03)  # 500 requests/s: 2 ms apart on average


# --- batch_vs_online.py -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def day():
    return serving.simulate_day(n_users=20_000, seed=2)


def test_a_small_share_of_users_visits_and_some_are_new(day):
    people = np.unique(day["user"])
    assert 0.04 < np.sum(people < day["n_users"]) / day["n_users"] < 0.15
    new_share = np.mean(people >= day["n_users"])
    assert new_share == pytest.approx(serving.NEW_USER_SHARE, abs=0.005)
    assert np.all(np.diff(day["hour"]) >= 0) and day["hour"].max() < 24


def test_batch_precomputes_everyone_and_online_only_what_is_asked(day):
    rows = serving.compare(day)
    batch = rows["batch (all users at midnight)"]
    online = rows["online (every request)"]
    hybrid = rows["hybrid (regulars precomputed)"]
    n_requests = len(day["user"])
    assert batch["computed"] == day["n_users"] and batch["unused"] > 0.8
    assert 0 < batch["fallback"] < 0.1  # today's new users have no row in the table
    assert 10 < batch["median_age_h"] < 14  # requests spread over the day
    assert online["computed"] == n_requests and online["unused"] == 0
    assert online["fallback"] == 0 and online["blind"] == 0
    assert online["cost"] == serving.ONLINE_COST * n_requests
    assert hybrid["fallback"] == 0 and hybrid["blind"] < batch["blind"]
    assert hybrid["cost"] < min(batch["cost"], online["cost"])


def test_the_cheaper_strategy_flips_at_the_break_even_cost(day):
    ratio = day["n_users"] / len(day["user"])  # online cost at which both spend the same
    for cost, online_cheaper in ((0.9 * ratio, True), (1.1 * ratio, False)):
        rows = serving.compare(day, online_cost=cost)
        online, batch = rows["online (every request)"], rows["batch (all users at midnight)"]
        assert (online["cost"] < batch["cost"]) == online_cheaper
