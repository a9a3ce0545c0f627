"""What a benchmark ran on: shared by the scripts in benchmarks/ (importable because Python puts
a script's own folder on sys.path)."""

from __future__ import annotations

import platform
from pathlib import Path


def cpu_model() -> str:
    """The processor's model name from /proc/cpuinfo, or platform's best guess elsewhere."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
