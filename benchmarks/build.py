"""How long the site takes to build from nothing, one lesson at a time and in parallel, and warm.

On a temporary copy of the project with an empty lesson cache and an empty learntorch cache
(so the shared models are trained and the data unpacked, as on a new machine), it runs:

1. a cold build with one worker (lessons one after the other);
2. a cold build with the default workers (one per core), in a fresh copy;
3. a warm rebuild of the second copy, nothing changed.

Both cold builds run lessons with one thread each, so their outputs are the same and the
ratio of their times is the parallel speed-up. It does this twice:

- for the lessons of issue #13's day (the 19 lessons the site had when it set the target
  "cold build <= 10 min on 2 cores for today's lessons"): only those execute, with the
  shared models they need trained from nothing; the other lessons' executed notebooks come
  from this checkout's cache (run ``make build`` first), everything else is built cold;
- for all of today's lessons.

Targets: cold parallel build <= 10 min on 2 cores (issue #13), warm rebuild <= 30 s. Also
records each lesson's execution time. Writes benchmarks/results/build.json.

    python benchmarks/build.py [--skip-sequential]   # ~40 min; the sequential build of all
                                                     # lessons (~25 min more) only without it
    python benchmarks/build.py --issue-13-only       # the 19 lessons only (~20 min)
    python benchmarks/build.py --warm-only   # re-measure the warm rebuild only (a minute), on
                                             # a copy seeded with this checkout's executed lessons;
                                             # the cold figures in build.json are kept as they are
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import tempfile
from pathlib import Path

from machine import cpu_model  # benchmarks/machine.py
from project import ROOT, build, copy_project  # benchmarks/project.py
from targets import check  # benchmarks/targets.py

# The lessons on main when issue #13 set its cold-build target (`git ls-tree 184e2f2 docs/lessons`).
ISSUE_13_LESSONS = [
    *(f"lessons/foundations/{name}.md" for name in
      ("perceptron", "continuous", "logistic-regression", "backpropagation", "training-well")),
    *(f"lessons/pytorch/{name}.md" for name in
      ("tensors", "neural-networks", "training", "fashion-mnist", "validation", "saving-loading",
       "image-data", "transfer-learning")),
    *(f"lessons/cnn/{name}.md" for name in
      ("mlp-mnist", "filters", "conv-layers", "cnn-classifier", "augmentation", "architectures")),
]


def cold_build(workers: int | None, only: list[str] | None = None) -> dict:
    """A build of a fresh copy with empty caches; returns its figures and keeps nothing.

    With ``only``, just those lessons execute: the others' executed notebooks are copied from
    this checkout's lesson cache, which must be up to date.
    """
    with tempfile.TemporaryDirectory() as tmp:
        project, cache = Path(tmp) / "project", Path(tmp) / "learntorch-cache"
        copy_project(project, with_cache=False)
        if only:
            _seed_other_lessons(project, only)
        env = {"LEARNTORCH_CACHE": str(cache)}
        if workers:
            env["LEARNTORCH_WORKERS"] = str(workers)
        seconds, executed, _ = build(project, **env)
        timings = json.loads((project / ".cache" / "lessons" / "timings.json").read_text())
        warm_seconds, warm_executed, _ = build(project, **env)
    last = timings["_last_run"]
    if only and executed != len(only):
        raise SystemExit(f"{executed} lessons executed, not the {len(only)} asked for: the lesson cache "
                         f"of this checkout is not current; run `make build`, then this again")
    return {"seconds": round(seconds, 1), "lessons_executed": executed, "workers": last["workers"],
            "threads_per_lesson": last["threads"], "execution_wall_seconds": last["wall_seconds"],
            "execution_work_seconds": last["work_seconds"], "jobs": last["jobs"],
            "warm_rebuild_seconds": round(warm_seconds, 1), "warm_rebuild_lessons_executed": warm_executed}


def _seed_other_lessons(project: Path, only: list[str]) -> None:
    """Copy this checkout's executed lessons into ``project``, except those in ``only``."""
    cache = ROOT / ".cache" / "lessons"
    for notebook in cache.glob("*/lessons/*/*.ipynb"):
        rel = notebook.relative_to(cache)
        if Path(*rel.parts[1:]).with_suffix(".md").as_posix() not in only:
            (project / ".cache" / "lessons" / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(notebook, project / ".cache" / "lessons" / rel)


def cold_pair(skip_sequential: bool, only: list[str] | None = None) -> dict:
    """The parallel and (unless skipped) sequential cold builds, and the speed-up between them."""
    parallel = {**cold_build(None, only), "commit": _commit()}
    sequential = None if skip_sequential else {**cold_build(1, only), "commit": _commit()}
    pair = {"cold_parallel": parallel, "cold_sequential": sequential}
    if sequential:
        pair["parallel_speedup"] = round(sequential["seconds"] / parallel["seconds"], 2)
    return pair


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
                        help="no sequential build of all lessons (its speed-up figure is kept as recorded)")
    parser.add_argument("--issue-13-only", action="store_true",
                        help="only the cold builds of issue #13's lessons; keep the other recorded figures")
    parser.add_argument("--warm-only", action="store_true",
                        help="re-measure only the warm rebuild; keep the recorded cold builds")
    args = parser.parse_args()
    out = ROOT / "benchmarks" / "results" / "build.json"
    old = json.loads(out.read_text()) if out.is_file() else {}
    issue13 = old.get("issue_13_lessons")
    everything = {k: old.get(k) for k in ("cold_parallel", "cold_sequential", "parallel_speedup")}
    if args.warm_only:
        warm = warm_rebuild()
    else:
        issue13 = {"lessons": ISSUE_13_LESSONS, **cold_pair(False, ISSUE_13_LESSONS)}
        if not args.issue_13_only:
            fresh = cold_pair(args.skip_sequential)
            everything = {**everything, **{k: v for k, v in fresh.items() if v is not None}}
            if args.skip_sequential:  # a speed-up of two different runs would mean nothing
                everything["parallel_speedup"] = None
                everything["cold_sequential"] = None
        parallel = issue13["cold_parallel"] if args.issue_13_only else everything["cold_parallel"]
        warm = {"seconds": parallel["warm_rebuild_seconds"],
                "lessons_executed": parallel["warm_rebuild_lessons_executed"], "commit": parallel["commit"]}
    parallel = everything["cold_parallel"]
    checks = [] if issue13 is None else [
        check("cold build, issue #13's 19 lessons, default workers (seconds)", issue13["cold_parallel"]["seconds"],
              "<=", 600, note=f"{issue13['cold_parallel']['lessons_executed']} lessons on "
                              f"{issue13['cold_parallel']['workers']} workers, at {issue13['cold_parallel']['commit']}; "
                              f"{issue13.get('parallel_speedup')}x faster than one worker")]
    checks += [
        check("cold build, all lessons, default workers (seconds)", parallel["seconds"], "<=", 600,
              note=f"{parallel['lessons_executed']} lessons on {parallel['workers']} workers, at "
                   f"{parallel.get('commit')}; the target was set for issue #13's 19 lessons"),
        check("warm rebuild, nothing changed (seconds)", warm["seconds"], "<=", 30, note=f"at {warm['commit']}"),
        check("warm rebuild: lessons re-executed", warm["lessons_executed"], "==", 0),
    ]
    result = {"issue_13_lessons": issue13, **everything, "warm_rebuild": warm, "checks": checks}
    result["machine"] = {"cpu": cpu_model(), "cores": os.cpu_count(),
                         "load_average_1min": round(os.getloadavg()[0], 2), "python": platform.python_version()}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
