"""How long the site takes to build from nothing, one lesson at a time and in parallel, and warm.

On a temporary copy of the project with an empty lesson cache and an empty learntorch cache
(so the shared models are trained and the data unpacked, as on a new machine), it runs:

1. a cold build with one worker (lessons one after the other);
2. a cold build with the default workers (one per core), in a fresh copy;
3. a warm rebuild of the second copy, nothing changed.

Both cold builds run lessons with one thread each, so their outputs are the same and the
ratio of their times is the parallel speed-up. Targets: cold parallel build <= 10 min on
2 cores (issue #13, for the lessons of that time), warm rebuild <= 30 s. Also records each
lesson's execution time. Writes benchmarks/results/build.json.

    python benchmarks/build.py [--skip-sequential]
    python benchmarks/build.py --warm-only   # re-measure the warm rebuild only (a minute), on
                                             # a copy seeded with this checkout's executed lessons;
                                             # the cold figures in build.json are kept as they are
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import tempfile
from pathlib import Path

from machine import cpu_model  # benchmarks/machine.py
from project import ROOT, build, copy_project  # benchmarks/project.py
from targets import check  # benchmarks/targets.py


def cold_build(workers: int | None) -> dict:
    """A build of a fresh copy with empty caches; returns its figures and keeps nothing."""
    with tempfile.TemporaryDirectory() as tmp:
        project, cache = Path(tmp) / "project", Path(tmp) / "learntorch-cache"
        copy_project(project, with_cache=False)
        env = {"LEARNTORCH_CACHE": str(cache)}
        if workers:
            env["LEARNTORCH_WORKERS"] = str(workers)
        seconds, executed, _ = build(project, **env)
        timings = json.loads((project / ".cache" / "lessons" / "timings.json").read_text())
        warm_seconds, warm_executed, _ = build(project, **env)
    last = timings["_last_run"]
    return {"seconds": round(seconds, 1), "lessons_executed": executed, "workers": last["workers"],
            "threads_per_lesson": last["threads"], "execution_wall_seconds": last["wall_seconds"],
            "execution_work_seconds": last["work_seconds"], "jobs": last["jobs"],
            "warm_rebuild_seconds": round(warm_seconds, 1), "warm_rebuild_lessons_executed": warm_executed}


def warm_rebuild() -> dict:
    """A build of a copy seeded with this checkout's executed lessons, then the rebuild measured."""
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "project"
        copy_project(project, with_cache=True)
        _, first_executed, _ = build(project)  # converts the figures once, as a first build does
        seconds, executed, _ = build(project)
    return {"seconds": round(seconds, 1), "lessons_executed": executed,
            "first_build_lessons_executed": first_executed, "commit": _commit()}


def _commit() -> str:
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-sequential", action="store_true",
                        help="only the parallel cold build (no speed-up figure)")
    parser.add_argument("--warm-only", action="store_true",
                        help="re-measure only the warm rebuild; keep the recorded cold builds")
    args = parser.parse_args()
    out = ROOT / "benchmarks" / "results" / "build.json"
    if args.warm_only:
        result = json.loads(out.read_text())
        parallel, sequential = result["cold_parallel"], result["cold_sequential"]
        warm = warm_rebuild()
    else:
        parallel = cold_build(None)
        parallel["commit"] = _commit()
        sequential = None if args.skip_sequential else cold_build(1)
        warm = {"seconds": parallel["warm_rebuild_seconds"],
                "lessons_executed": parallel["warm_rebuild_lessons_executed"], "commit": parallel["commit"]}
    checks = [
        check("cold build, all lessons, default workers (seconds)", parallel["seconds"], "<=", 600,
              note=f"{parallel['lessons_executed']} lessons on {parallel['workers']} workers"
                   + (f", at {parallel['commit']}" if parallel.get("commit") else "")),
        check("warm rebuild, nothing changed (seconds)", warm["seconds"], "<=", 30, note=f"at {warm['commit']}"),
        check("warm rebuild: lessons re-executed", warm["lessons_executed"], "==", 0),
    ]
    result = {"cold_parallel": parallel, "cold_sequential": sequential, "warm_rebuild": warm, "checks": checks}
    if sequential:
        result["parallel_speedup"] = round(sequential["seconds"] / parallel["seconds"], 2)
    result["machine"] = {"cpu": cpu_model(), "cores": os.cpu_count(),
                         "load_average_1min": round(os.getloadavg()[0], 2), "python": platform.python_version()}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
