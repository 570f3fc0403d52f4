"""Row-major (C order) versus column-major (Fortran order) in NumPy, shown and measured.

NumPy's default is C order, but any array can be either: the flags and strides say which. Then a
benchmark sums a large square array row by row and column by column in both layouts.
"""

import functools
import platform
import statistics
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

MEASURES_TIME = True  # it times code: run it on an otherwise idle machine for steady numbers

N = 4000  # a 4000 x 4000 float64 array is 128 MB: far larger than the CPU caches
REPEATS, WARMUP = 7, 1
PATTERNS = (
    "sum each row, one at a time",
    "sum each column, one at a time",
    "a.sum(axis=1), row sums",
    "a.sum(axis=0), column sums",
)


def layout_facts(a: np.ndarray) -> dict:
    """Shape, strides (bytes to step along each axis) and the contiguity flags of an array."""
    return {
        "shape": a.shape,
        "strides": a.strides,
        "C": bool(a.flags.c_contiguous),
        "F": bool(a.flags.f_contiguous),
    }


# --8<-- [start:core]
def sum_each_row(a: np.ndarray) -> np.ndarray:
    """Sum row i as its own slice a[i, :], as code that handles one record at a time does."""
    return np.array([a[i, :].sum() for i in range(a.shape[0])])


def sum_each_column(a: np.ndarray) -> np.ndarray:
    """Sum column j as its own slice a[:, j]."""
    return np.array([a[:, j].sum() for j in range(a.shape[1])])


def median_seconds(fn, repeats: int = REPEATS, warmup: int = WARMUP, clock=time.perf_counter):
    """Median wall time of `fn()` over `repeats` runs, after `warmup` runs that are discarded."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = clock()
        fn()
        times.append(clock() - start)
    return statistics.median(times)


def benchmark(n: int = N, repeats: int = REPEATS, warmup: int = WARMUP, rng=None) -> dict:
    """Median seconds for each (layout, access pattern): the same numbers, stored two ways."""
    rng = rng if rng is not None else np.random.default_rng(0)
    c_order = rng.random((n, n))  # NumPy's default: each row is contiguous
    f_order = np.asfortranarray(c_order)  # a copy in which each column is contiguous
    access = {  # pattern name -> function of the array
        PATTERNS[0]: sum_each_row,
        PATTERNS[1]: sum_each_column,
        PATTERNS[2]: lambda a: a.sum(axis=1),
        PATTERNS[3]: lambda a: a.sum(axis=0),
    }
    results = {}
    for layout, a in (("C order", c_order), ("F order", f_order)):
        for name, fn in access.items():
            results[layout, name] = median_seconds(functools.partial(fn, a), repeats, warmup)
    # The Python loop costs the same in every layout; time it alone on one-element slices.
    results["loop overhead"] = median_seconds(lambda: sum_each_row(c_order[:, :1]), repeats, warmup)
    return results


# --8<-- [end:core]


def cpu_description() -> str:
    """The processor's model name from /proc/cpuinfo (Linux), else what Python can tell."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def cache_sizes() -> str:
    """The CPU's cache sizes as Linux reports them, e.g. 'L1d 32K, L2 1024K, L3 32768K'."""
    root = Path("/sys/devices/system/cpu/cpu0/cache")
    sizes = []
    for index in sorted(root.glob("index*")):
        try:
            level = (index / "level").read_text().strip()
            kind = (index / "type").read_text().strip()
            size = (index / "size").read_text().strip()
        except OSError:
            continue
        if kind != "Instruction":
            sizes.append(f"L{level}{'d' if kind == 'Data' else ''} {size}")
    return ", ".join(sizes) or "unknown"


def print_layouts():
    a = np.arange(12, dtype=np.int64).reshape(3, 4)  # 8-byte integers, C order by default
    examples = {
        "a = np.arange(12).reshape(3, 4)": a,
        "a.T (a view, no copy)": a.T,
        "np.asfortranarray(a) (a copy)": np.asfortranarray(a),
        "a[1, :] (one row, a view)": a[1, :],
        "a[:, 1] (one column, a view)": a[:, 1],
    }
    print("NumPy's default is C order, but the order belongs to each array, not to NumPy.")
    print("Strides are the bytes to step to the next element along each axis.")
    header = f"{'array':<34}{'shape':>6}{'strides':>9}{'C contig':>10}{'F contig':>10}"
    print(header + f"{'shares memory with a':>22}")
    for label, array in examples.items():
        f = layout_facts(array)
        shape, strides = ",".join(map(str, f["shape"])), ",".join(map(str, f["strides"]))
        shared = np.shares_memory(a, array)
        print(f"{label:<34}{shape:>6}{strides:>9}{f['C']!s:>10}{f['F']!s:>10}{shared!s:>22}")


def print_benchmark(results: dict):
    print(f"\nMachine: {platform.machine()}, {cpu_description()}; caches: {cache_sizes()}")
    print(f"numpy {np.__version__}; these reductions run on one core")
    print(f"\nA {N} x {N} float64 array ({N * N * 8 / 1e6:.0f} MB per layout).")
    print(f"Median ms of {REPEATS} runs after {WARMUP} warm-up:")
    print(f"{'access pattern':<32}{'C order':>10}{'F order':>10}{'slower / faster':>17}")
    for name in PATTERNS:
        c, f = results["C order", name], results["F order", name]
        print(f"{name:<32}{c * 1e3:>10.1f}{f * 1e3:>10.1f}{max(c, f) / min(c, f):>17.1f}")
    overhead = results["loop overhead"]
    print(f"Python loop overhead alone: {overhead * 1e3:.1f} ms per {N} slices")
    slow, fast = results["F order", PATTERNS[0]], results["C order", PATTERNS[0]]
    if fast > overhead:
        ratio = (slow - overhead) / (fast - overhead)
        print(
            f"Row by row, without that overhead, C order is {ratio:.1f} times faster than F order"
        )


def plot(results: dict):
    fig, ax = plt.subplots(figsize=(7.5, 4.0))
    x = np.arange(len(PATTERNS))
    for offset, layout in ((-0.2, "C order"), (0.2, "F order")):
        heights = [results[layout, name] * 1e3 for name in PATTERNS]
        ax.bar(x + offset, heights, width=0.4, label=f"{layout} array")
    ax.hlines(  # drawn over the two loop groups only: the whole-array sums have no loop
        results["loop overhead"] * 1e3,
        xmin=-0.45,
        xmax=1.45,
        color="C2",
        linestyle="--",
        linewidth=1.5,
        label="Python loop overhead alone",
    )
    labels = ["each row\n(loop)", "each column\n(loop)", "sum(axis=1)", "sum(axis=0)"]
    ax.set_xticks([])  # labels go on minor ticks, so the theme's grid draws no vertical lines
    ax.set_xticks(x, labels, minor=True)
    ax.tick_params(axis="x", which="minor", length=0)
    ax.set_ylabel("median time (ms)")
    ax.legend()
    return fig


def main():
    print_layouts()
    results = benchmark(rng=np.random.default_rng(0))
    print_benchmark(results)

    ms = {key: value * 1e3 for key, value in results.items()}

    def ratio(name):
        c, f = results["C order", name], results["F order", name]
        return max(c, f) / min(c, f)

    whole = [ms[layout, name] for layout in ("C order", "F order") for name in PATTERNS[2:]]
    alt = (
        f"Grouped bar chart of median times for a {N} by {N} float64 array stored in C order "
        f"and in Fortran order. Summing each row in a loop takes {ms['C order', PATTERNS[0]]:.0f} "
        f"ms in C order and {ms['F order', PATTERNS[0]]:.0f} ms in F order; summing each column "
        f"takes {ms['C order', PATTERNS[1]]:.0f} ms and {ms['F order', PATTERNS[1]]:.0f} ms. The "
        f"whole-array sums along either axis take {min(whole):.0f} to {max(whole):.0f} ms. A "
        f"dashed line over the loop bars marks the Python loop overhead alone, "
        f"{ms['loop overhead']:.0f} ms."
    )
    caption = (
        "Reading along the contiguous direction wins: row by row, C order is "
        f"{ratio(PATTERNS[0]):.1f} times faster; column by column, F order is "
        f"{ratio(PATTERNS[1]):.1f} times faster, and the dashed line shows how much of each fast "
        "loop is Python's own overhead. "
        "NumPy's whole-array sums choose a good traversal themselves, so layout costs them at "
        f"most {max(ratio(PATTERNS[2]), ratio(PATTERNS[3])):.1f} times."
    )
    fig = plot(results)
    fig.savefig("memory_layout.svg", metadata={"Description": alt, "Title": caption})
    plt.close(fig)


if __name__ == "__main__":
    main()
