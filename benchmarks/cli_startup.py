"""How fast the ``learntorch`` command answers ``--help`` and a usage error, as whole processes.

Each measurement starts the installed ``learntorch`` script as a new process and waits for it to
exit, so Python's start-up and every import are included, as a user typing the command sees them.
The median of several runs is reported (the first run, with cold file caches, is run and dropped).
Targets: ``--help`` and a usage error each answer in <= 1 s. For scale, the same numbers for
``python -c pass`` (the interpreter alone) and ``python -c "import torch"`` (what every call cost
when the CLI imported torch at start-up) are recorded too.

    python benchmarks/cli_startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from machine import cpu_model  # benchmarks/machine.py
from targets import check  # benchmarks/targets.py

RESULT = Path(__file__).parent / "results" / "cli_startup.json"
LEARNTORCH = Path(sys.executable).parent / "learntorch"  # the console script pip installed
COMMANDS = {
    "help": [str(LEARNTORCH), "--help"],
    "usage_error": [str(LEARNTORCH), "train", "fashion-mnist", "--epochs", "two"],  # exits 2
    "version": [str(LEARNTORCH), "--version"],
    "python_alone": [sys.executable, "-c", "pass"],
    "import_torch": [sys.executable, "-c", "import torch, torchvision"],
}
EXPECTED_STATUS = {"usage_error": 2}


def seconds(cmd: list[str], expected_status: int) -> float:
    """Wall-clock seconds from starting ``cmd`` as a process to its exit."""
    start = time.perf_counter()
    result = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != expected_status:
        sys.exit(f"{' '.join(cmd)} exited with {result.returncode}, expected {expected_status}:\n{result.stderr}")
    return elapsed


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per command (default: %(default)s)")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    medians, spreads = {}, {}
    for name, cmd in COMMANDS.items():
        seconds(cmd, EXPECTED_STATUS.get(name, 0))  # warm-up: cold file caches are not start-up cost
        runs = [seconds(cmd, EXPECTED_STATUS.get(name, 0)) for _ in range(args.runs)]
        medians[name] = round(statistics.median(runs), 3)
        spreads[name] = [round(min(runs), 3), round(max(runs), 3)]
    result = {
        "benchmark": "cli_startup",
        "help_seconds": medians["help"],
        "usage_error_seconds": medians["usage_error"],
        "version_seconds": medians["version"],
        "python_alone_seconds": medians["python_alone"],
        "import_torch_seconds": medians["import_torch"],
        "min_max_seconds": spreads,
        "runs_per_command": args.runs,
        "checks": [
            check("help_seconds (learntorch --help, whole process, median)", medians["help"], "<=", 1),
            check("usage_error_seconds (a bad --epochs, whole process, median)", medians["usage_error"], "<=", 1),
        ],
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count(), "python": platform.python_version(),
                    "load_average_before": [round(v, 2) for v in load_before],
                    "load_average_after": [round(v, 2) for v in os.getloadavg()]},
    }
    text = json.dumps(result, indent=2)
    print(text)
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(text + "\n")
    return result


if __name__ == "__main__":
    main()
