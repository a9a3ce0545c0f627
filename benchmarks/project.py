"""A throw-away copy of the project to build, shared by the build benchmarks (importable because
Python puts a script's own folder on sys.path)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MKDOCS = Path(sys.executable).parent / "mkdocs"
STARTED = re.compile(r"\] lessons/\S+: started")


def copy_project(dest: Path, with_cache: bool) -> None:
    """Copy the tracked (and new, unignored) files to ``dest``; with this checkout's executed
    lessons when ``with_cache``."""
    tracked = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout.split()
    for rel in tracked:
        if (ROOT / rel).is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, dest / rel)
    if with_cache:
        for cache in ("lessons", "mkdocs-jupyter", "glossary-figures"):
            if (ROOT / ".cache" / cache).is_dir():
                shutil.copytree(ROOT / ".cache" / cache, dest / ".cache" / cache)


def build(project: Path, **env) -> tuple[float, int, str]:
    """``mkdocs build --strict`` of ``project``: seconds, lessons executed, and its log."""
    start = time.perf_counter()
    result = subprocess.run([str(MKDOCS), "build", "--strict", "-d", str(project / "site")], cwd=project,
                            capture_output=True, text=True,
                            env={**os.environ, "NO_MKDOCS_2_WARNING": "1", **env})
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"build failed:\n{result.stderr[-4000:]}")
    return seconds, len(STARTED.findall(result.stderr)), result.stderr
