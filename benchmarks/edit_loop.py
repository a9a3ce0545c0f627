"""How fast the edit loop is: rebuild after editing a glossary page, and after editing a lesson.

Works on a temporary copy of the repository (the real files are never touched), seeded with
this checkout's executed-lesson cache. Targets: a glossary edit rebuilds in <= 10 s; a lesson
edit re-executes only that lesson. Writes benchmarks/results/edit_loop.json.

    python benchmarks/edit_loop.py [--lesson docs/lessons/pytorch/tensors.md]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import cpu_model  # benchmarks/machine.py
from targets import check  # benchmarks/targets.py

ROOT = Path(__file__).resolve().parents[1]
MKDOCS = Path(sys.executable).parent / "mkdocs"


def build(project: Path) -> tuple[float, int]:
    """Seconds for `mkdocs build --strict`, and how many lessons it executed."""
    start = time.perf_counter()
    result = subprocess.run([str(MKDOCS), "build", "--strict", "-d", str(project / "site")], cwd=project,
                            capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"build failed:\n{result.stderr[-4000:]}")
    return seconds, result.stderr.count("executing lessons/")


def copy_project(dest: Path) -> None:
    tracked = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout.split()
    for rel in tracked:
        if (ROOT / rel).is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, dest / rel)
    for cache in ("lessons", "mkdocs-jupyter", "glossary-figures"):
        if (ROOT / ".cache" / cache).is_dir():
            shutil.copytree(ROOT / ".cache" / cache, dest / ".cache" / cache)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lesson", default="docs/lessons/pytorch/tensors.md",
                        help="the lesson to edit (default: %(default)s)")
    parser.add_argument("--glossary", default="docs/glossary/epoch.md",
                        help="the glossary page to edit (default: %(default)s)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        copy_project(project)
        warm_seconds, warm_executed = build(project)  # executes whatever the copied cache lacks

        page = project / args.glossary
        page.write_text(page.read_text() + "\nOne more sentence, added by the edit-loop benchmark.\n")
        glossary_seconds, glossary_executed = build(project)

        lesson = project / args.lesson
        lesson.write_text(lesson.read_text() + "\nOne more sentence, added by the edit-loop benchmark.\n")
        lesson_seconds, lesson_executed = build(project)

    result = {
        "warm_up_build_seconds": round(warm_seconds, 1),
        "lessons_executed_in_warm_up": warm_executed,
        "glossary_edit_rebuild_seconds": round(glossary_seconds, 1),
        "lessons_executed_after_glossary_edit": glossary_executed,
        "lesson_edit_rebuild_seconds": round(lesson_seconds, 1),
        "lessons_executed_after_lesson_edit": lesson_executed,
        "checks": [
            check("glossary edit: rebuild seconds (mkdocs build, start-up included)",
                  round(glossary_seconds, 1), "<=", 10),
            check("glossary edit: lessons re-executed", glossary_executed, "==", 0),
            check("lesson edit: lessons re-executed", lesson_executed, "==", 1),
        ],
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count(),
                    "load_average_1min": round(os.getloadavg()[0], 2), "python": platform.python_version()},
    }
    out = ROOT / "benchmarks" / "results" / "edit_loop.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
