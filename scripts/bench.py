"""Benchmark the build: a cold build (empty snippet cache) against warm rebuilds.

Run with `make bench`. Each build is a separate `mkdocs build --strict` process into a temporary
folder, with a temporary snippet cache, so the project's own .cache/ is left alone.
"""

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WARM_RUNS = 3


def timed_build(cache: Path, site: Path) -> tuple[float, str]:
    env = {**os.environ, "MLSD_CACHE_DIR": str(cache), "NO_MKDOCS_2_WARNING": "1"}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"build failed:\n{done.stderr}")
    summary = re.search(r"snippets: .*", done.stderr)
    return seconds, summary.group(0) if summary else "no snippet summary"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cache, site = Path(tmp) / "cache", Path(tmp) / "site"
        cold, cold_summary = timed_build(cache, site)
        warm = [timed_build(cache, site) for _ in range(WARM_RUNS)]
    print(f"cold build: {cold:6.1f} s   {cold_summary}")
    times = [seconds for seconds, _ in warm]
    print(
        f"warm build: {statistics.median(times):6.1f} s   median of {WARM_RUNS} "
        f"(min {min(times):.1f}, max {max(times):.1f})   {warm[-1][1]}"
    )
    print(f"speed-up:   {cold / statistics.median(times):6.1f}x")


if __name__ == "__main__":
    main()
