"""The same table as CSV text and as binary .npy: bytes on disk, load time, and exactness.

Writes to a temporary directory, measures each file, loads it back and compares every value.
"""

import csv
import io
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

MEASURES_TIME = True  # it times code: run it on an otherwise idle machine for steady numbers

N_ROWS, N_COLS = 50_000, 6
REPEATS = 5
PAGE = 4096  # bytes in a memory page, the unit in which the OS reads a file through mmap
CSV_FORMATS = {  # file name -> printf format of each float; None means Python's repr
    "6 digits.csv": "%.6g",
    "15 digits.csv": "%.15g",
    "17 digits.csv": "%.17g",
    "shortest.csv": None,
}


def median_seconds(fn, repeats: int = REPEATS, warmup: int = 1) -> float:
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
def write_csv(path: Path, table: np.ndarray, fmt: str | None) -> None:
    """Write floats as text: with a printf format, or with Python's shortest exact repr."""
    if fmt is None:
        with path.open("w", newline="") as f:
            csv.writer(f).writerows(table.tolist())  # csv uses repr(float) for each value
    else:
        np.savetxt(path, table, fmt=fmt, delimiter=",")


def load_csv(path: Path) -> np.ndarray:
    return np.loadtxt(path, delimiter=",")  # parses every character of the file


def load_npy(path: Path) -> np.ndarray:
    return np.load(path)  # reads a small header, then copies the raw bytes


def round_trip_report(original: np.ndarray, loaded: np.ndarray) -> dict:
    """How many values changed on the way through a file, and by how much (relative)."""
    changed = loaded != original
    relative = np.abs(loaded - original) / np.abs(original)
    return {
        "exact": bool(np.array_equal(loaded, original)),
        "changed": float(changed.mean()),
        "max relative error": float(relative.max()),
    }


def pages_for_one_column(path: Path, shape: tuple, column: int, itemsize: int = 8) -> int:
    """Distinct file pages that hold one column of a 2-D .npy file, whatever its order."""
    n_rows, n_cols = shape
    loaded = np.load(path, mmap_mode="r")  # maps the file; reads nothing yet
    rows = np.arange(n_rows)
    # Column-major file: the column is one contiguous run. Row-major: every n_cols-th value.
    f_order = loaded.flags.f_contiguous
    element = column * n_rows + rows if f_order else rows * n_cols + column
    offsets = loaded.offset + element * itemsize  # .offset: bytes of header before the data
    return len(np.unique(offsets // PAGE))


# --8<-- [end:core]


def measure(folder: Path, table: np.ndarray) -> dict:
    rows = {}
    np.save(folder / "table.npy", table)
    rows["table.npy"] = (folder / "table.npy", load_npy)
    for name, fmt in CSV_FORMATS.items():
        write_csv(folder / name, table, fmt)
        rows[name] = (folder / name, load_csv)
    results = {}
    for name, (path, load) in rows.items():
        report = round_trip_report(table, load(path))  # this first load is the warm-up
        seconds = median_seconds(lambda p=path, f=load: f(p), warmup=0)
        results[name] = {"bytes": path.stat().st_size, "seconds": seconds, **report}
    return results


def print_files(results: dict, table: np.ndarray):
    print(
        f"{'file':<15}{'bytes':>12}{'bytes/value':>13}{'load ms':>10}{'exact':>7}"
        f"{'changed':>9}{'max rel err':>13}"
    )
    for name, r in results.items():
        per_value = r["bytes"] / table.size
        print(
            f"{name:<15}{r['bytes']:>12,}{per_value:>13.1f}{r['seconds'] * 1e3:>10.1f}"
            f"{r['exact']!s:>7}{r['changed']:>9.1%}{r['max relative error']:>13.1e}"
        )


def print_one_value(x: float):
    print(f"\nOne value as each file writes it (the float64 is {x!r}):")
    for name, fmt in CSV_FORMATS.items():
        text = repr(x) if fmt is None else fmt % x
        print(f"  {name:<15}{text:<24} reads back exactly: {float(text) == x}")


def print_one_column(folder: Path, table: np.ndarray):
    c_path, f_path = folder / "table.npy", folder / "table_columns.npy"
    np.save(f_path, np.asfortranarray(table))  # .npy records the order in its header
    assert np.load(f_path).flags.f_contiguous and np.array_equal(np.load(f_path), table)
    total = -(-c_path.stat().st_size // PAGE)
    print(f"\nReading one of the {N_COLS} columns through a memory map ({PAGE}-byte pages):")
    for label, path in (("row-major .npy", c_path), ("column-major .npy", f_path)):
        pages = pages_for_one_column(path, table.shape, column=3)
        print(f"  {label:<19}{pages:>6,} of {total:,} pages")
    print(f"  {'CSV':<19}every byte: a reader must scan each line to find the 4th comma")


def print_big_integer():
    text = "9007199254740993"  # 2**53 + 1, e.g. a 64-bit id
    as_float = np.loadtxt(io.StringIO(text))
    as_int = np.loadtxt(io.StringIO(text), dtype=np.int64)
    print(f"\nThe id {text} read from CSV as float64 becomes {as_float:.0f};")
    print(f"read with dtype=int64 it stays {as_int}. CSV stores no types: the reader guesses.")


def main():
    rng = np.random.default_rng(0)
    table = rng.lognormal(mean=3.0, sigma=1.0, size=(N_ROWS, N_COLS))  # amounts around 20
    print(f"{platform.python_implementation()} {platform.python_version()}, numpy {np.__version__}")
    print(f"A table of {N_ROWS:,} rows x {N_COLS} float64 columns ({table.nbytes:,} bytes in RAM)")
    print(f"Median load time of {REPEATS} runs after one warm-up (files in the OS cache):\n")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        results = measure(folder, table)
        print_files(results, table)
        print_one_column(folder, table)
    print_one_value(float(table[0, 0]))
    print_big_integer()


if __name__ == "__main__":
    main()
