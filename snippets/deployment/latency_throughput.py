"""Latency versus throughput of one model on this machine, across batch sizes.

A small MLP (about 1.4 million parameters) scores batches of 1 to 256 requests under
torch.inference_mode(). For each batch size: warm-up calls that are discarded, then timed calls
until a small time budget is spent, interleaved over several rounds so that a burst of load from
another process slows every batch size alike. Reported: median and 95th-percentile time of one
call (what every request in that batch waits), the compute per request (call time / batch size),
and requests per second. Run `python latency_throughput.py --device cuda` on a machine with a GPU
to measure the same thing there.
"""

import argparse
import platform
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.ticker import LogLocator
from torch import nn

MEASURES_TIME = True  # it times code: run it on an otherwise idle machine for steady numbers

BATCHES = [1, 2, 4, 8, 16, 32, 64, 128, 256]
LAYERS = [256, 1024, 1024, 128]  # input, hidden, hidden, output: about 1.4M parameters
WARMUP_CALLS = 5  # per batch size and round, discarded
ROUNDS = 4  # each round visits every batch size once
BUDGET_S = 3.0  # timed seconds in total, split evenly over rounds and batch sizes
MIN_CALLS = 5  # per batch size and round, even when one call exceeds its share of the budget


def make_model(layers=LAYERS) -> nn.Sequential:
    blocks = []
    for fan_in, fan_out in zip(layers[:-2], layers[1:-1], strict=True):
        blocks += [nn.Linear(fan_in, fan_out), nn.ReLU()]
    blocks.append(nn.Linear(layers[-2], layers[-1]))
    return nn.Sequential(*blocks).eval()


def cpu_description() -> str:
    """The processor's model name from /proc/cpuinfo (Linux), else what Python can tell."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def machine_facts(device: str) -> str:
    """One line saying what ran the benchmark: processor, torch version, threads, device."""
    if device.startswith("cuda"):
        hardware = torch.cuda.get_device_name(torch.device(device))
    else:
        hardware = cpu_description()
    threads = torch.get_num_threads()
    return f"{hardware} | torch {torch.__version__} | {threads} thread(s) | {device}"


# --8<-- [start:core]
def time_calls(model, batches, device="cpu", budget_s=BUDGET_S, rounds=ROUNDS) -> dict:
    """Seconds per forward pass for each batch size: a list of timed calls per size."""
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    model = model.to(device)
    inputs = {b: torch.randn(b, model[0].in_features, device=device) for b in batches}
    share = budget_s / (rounds * len(batches))  # timed seconds per batch size and round
    times = {b: [] for b in batches}
    with torch.inference_mode():
        for _ in range(rounds):
            for b in batches:
                for _ in range(WARMUP_CALLS):
                    model(inputs[b])
                sync()  # a GPU runs asynchronously: wait for queued work before timing
                spent, calls = 0.0, 0
                while calls < MIN_CALLS or spent < share:
                    start = time.perf_counter()
                    model(inputs[b])
                    sync()
                    elapsed = time.perf_counter() - start
                    times[b].append(elapsed)
                    spent, calls = spent + elapsed, calls + 1
    return times


def summarise(times: dict) -> list[dict]:
    """Per batch size: call latency (p50, p95), compute per request and requests per second."""
    rows = []
    for b, seconds in times.items():
        p50, p95 = np.percentile(seconds, [50, 95])
        rows.append(
            {
                "batch": b,
                "calls": len(seconds),
                "p50_ms": 1e3 * p50,  # every request in the batch waits for the whole call
                "p95_ms": 1e3 * p95,
                "per_request_us": 1e6 * p50 / b,  # compute cost, not what a request waits
                "requests_per_s": b / p50,
            }
        )
    return rows


# --8<-- [end:core]


def plot(rows, facts: str):
    batches = [r["batch"] for r in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.0, 4.0))
    left.plot(batches, [r["requests_per_s"] for r in rows], marker="o", color="C2")
    left.set_ylabel("throughput (requests/s, median)")
    left.set_title("Throughput", fontsize=11)
    right.plot(batches, [r["p50_ms"] for r in rows], marker="o", label="median")
    right.plot(batches, [r["p95_ms"] for r in rows], marker="s", ls="--", label="95th percentile")
    right.set_ylabel("time of one call (ms)")
    right.set_title("Latency of one call", fontsize=11)
    right.legend(fontsize=9, loc="upper left")
    for ax in (left, right):
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xticks(batches, [str(b) for b in batches])
        ax.minorticks_off()
        ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter("{x:,.6g}")
        ax.set_xlabel("batch size (requests per call)")
    fig.suptitle(f"Measured on: {facts}", fontsize=9)
    fig.tight_layout()
    return fig


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help='"cpu" (default), "cuda", "cuda:1", ...')
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for torch")
    parser.add_argument("--budget", type=float, default=BUDGET_S, help="timed seconds in total")
    return parser.parse_args(argv)


def main(argv=None) -> list[dict]:
    args = parse_args(argv)
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)  # one thread: per-core numbers, steadier under load
    model = make_model()
    n_params = sum(p.numel() for p in model.parameters())
    facts = machine_facts(args.device)
    rows = summarise(time_calls(model, BATCHES, args.device, budget_s=args.budget))

    print(f"Measured on: {facts}")
    print(
        f"MLP {'-'.join(map(str, LAYERS))} ({n_params / 1e6:.2f}M parameters), inference_mode; "
        f"{WARMUP_CALLS} warm-up calls, then about {args.budget / len(BATCHES):.2g} s of timed "
        f"calls per batch size, in {ROUNDS} rounds\n"
    )
    print(f"{'batch':>5}{'calls':>7}{'p50 ms':>9}{'p95 ms':>9}{'us/request':>12}{'requests/s':>12}")
    for r in rows:
        print(
            f"{r['batch']:>5}{r['calls']:>7}{r['p50_ms']:>9.3f}{r['p95_ms']:>9.3f}"
            f"{r['per_request_us']:>12.1f}{r['requests_per_s']:>12,.0f}"
        )
    first, last = rows[0], rows[-1]
    best = max(rows, key=lambda r: r["requests_per_s"])
    print(
        f"\nbatch {last['batch']} vs batch {first['batch']}: "
        f"{last['requests_per_s'] / first['requests_per_s']:.1f}x the throughput, "
        f"{last['p50_ms'] / first['p50_ms']:.0f}x the latency of a call"
    )

    name = "latency_throughput" if args.device == "cpu" else f"latency_throughput_{args.device}"
    alt = (
        f"Two log-log line charts against batch size from {first['batch']} to {last['batch']}, "
        f"measured on {facts}. Left: throughput rises from {first['requests_per_s']:,.0f} to "
        f"{last['requests_per_s']:,.0f} requests per second, highest at batch {best['batch']}. "
        f"Right: the median time of one call grows from {first['p50_ms']:.3f} ms to "
        f"{last['p50_ms']:.2f} ms, with the 95th percentile above it at every batch size."
    )
    caption = (
        f"Batching {last['batch']} requests per call instead of 1 gave "
        f"{last['requests_per_s'] / first['requests_per_s']:.1f} times the throughput, and every "
        f"request in the batch waited {last['p50_ms'] / first['p50_ms']:.0f} times as long for its "
        "answer. The cheaper compute per request is what a batch job buys; the longer call is what "
        "an online user pays."
    )
    fig = plot(rows, facts)
    fig.savefig(f"{name}.svg", metadata={"Description": alt, "Title": caption})
    plt.close(fig)
    return rows


if __name__ == "__main__":
    main()
