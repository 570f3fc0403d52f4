"""What a timing snippet ran on, so its output says which machine measured the numbers."""

import platform
from pathlib import Path


def cpu_description() -> str:
    """The processor's model name from /proc/cpuinfo (Linux), else what Python can tell."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"
