"""A table stored by rows or by columns: which queries each layout makes cheap.

One table of records (rows) and fields (columns), held twice: row-major, like a CSV file or an
OLTP database page, and column-major, like Parquet or an analytical (OLAP) store. An analytical
query reads one field of every record; a transactional one reads whole records. A third test
shows why looping over records in Python is slow whatever the layout.
"""

import statistics
import time

import numpy as np

MEASURES_TIME = True  # it times code: run it on an otherwise idle machine for steady numbers

N_RECORDS, N_FIELDS = 500_000, 32  # 128 MB of float64 per layout: far larger than CPU caches
N_LOOKUPS = 10_000  # whole records fetched at random, as a transactional workload does
N_LOOP = 100_000  # records processed one at a time in the Python loop
REPEATS, WARMUP = 7, 1


def median_seconds(fn, repeats: int = REPEATS, warmup: int = WARMUP) -> float:
    """Median wall time of `fn()` over `repeats` runs, after `warmup` discarded runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# --8<-- [start:core]
def make_table(n_records: int, n_fields: int, rng: np.random.Generator):
    """The same values twice: row-major (each record contiguous) and column-major (each field)."""
    by_rows = rng.random((n_records, n_fields))  # C order
    by_columns = np.asfortranarray(by_rows)  # F order: a copy with each column contiguous
    return by_rows, by_columns


def column_mean(table: np.ndarray, field: int) -> float:
    """Analytical query: the mean of one field over every record."""
    return float(table[:, field].mean())


def fetch_records(table: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Transactional query: whole records, looked up by id."""
    return table[ids]


def amount_in_euros_loop(table: np.ndarray, n: int) -> np.ndarray:
    """Record by record in Python, the way `for _, row in df.iterrows()` is often written."""
    out = np.empty(n)
    for i, record in enumerate(table[:n]):  # each record becomes a new Python object
        out[i] = record[0] * record[1]
    return out


def amount_in_euros_vectorised(table: np.ndarray, n: int) -> np.ndarray:
    """The same result from two whole columns in one call."""
    return table[:n, 0] * table[:n, 1]


# --8<-- [end:core]


def run(rng: np.random.Generator) -> dict:
    by_rows, by_columns = make_table(N_RECORDS, N_FIELDS, rng)
    ids = rng.integers(0, N_RECORDS, size=N_LOOKUPS)
    assert np.array_equal(fetch_records(by_rows, ids), fetch_records(by_columns, ids))
    times = {}
    for layout, table in (("rows", by_rows), ("columns", by_columns)):
        times["mean", layout] = median_seconds(lambda t=table: column_mean(t, 7))
        times["fetch", layout] = median_seconds(lambda t=table: fetch_records(t, ids))
    times["loop"] = median_seconds(lambda: amount_in_euros_loop(by_columns, N_LOOP))
    times["vectorised"] = median_seconds(lambda: amount_in_euros_vectorised(by_columns, N_LOOP))
    return times


def faster(rows: float, columns: float) -> str:
    """Which layout won and by what factor, e.g. 'columns 41.5x'."""
    return f"columns {rows / columns:.1f}x" if columns < rows else f"rows {columns / rows:.1f}x"


def main():
    rng = np.random.default_rng(0)
    times = run(rng)
    mb = N_RECORDS * N_FIELDS * 8 / 1e6
    print(f"{N_RECORDS:,} records x {N_FIELDS} float64 fields, {mb:.0f} MB per layout")
    print(
        f"numpy {np.__version__}, one core. Median ms of {REPEATS} runs after {WARMUP} warm-up:\n"
    )
    print(f"{'query':<44}{'by rows':>10}{'by columns':>12}{'faster':>16}")
    queries = {
        "mean": f"mean of one field over all {N_RECORDS:,} records",
        "fetch": f"fetch {N_LOOKUPS:,} random whole records",
    }
    for key, label in queries.items():
        rows, columns = times[key, "rows"] * 1e3, times[key, "columns"] * 1e3
        print(f"{label:<44}{rows:>10.2f}{columns:>12.2f}{faster(rows, columns):>16}")
    loop, vectorised = times["loop"], times["vectorised"]
    print(f"\nOne derived field for {N_LOOP:,} records:")
    print(f"  Python loop over records   {loop * 1e3:8.2f} ms")
    print(f"  two columns, one call      {vectorised * 1e3:8.2f} ms   ({loop / vectorised:,.0f}x)")


if __name__ == "__main__":
    main()
