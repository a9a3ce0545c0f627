"""Execute Jupytext lessons into .ipynb files, cached under a key that sees the library.

mkdocs-jupyter's own cache is keyed on the page's bytes only, so a change to
``src/learntorch`` or to an installed package would leave old outputs on the site. Here the
key is the lesson's bytes plus a fingerprint of the library source and of every installed
distribution's version: change any of them and the lesson runs again.

Run one lesson by hand (what ``make lesson L=docs/lessons/pytorch/tensors.md`` does)::

    python tools/lessons.py docs/lessons/pytorch/tensors.md
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent  # the default project root: this repository
EXECUTOR_VERSION = "1"  # bump to re-execute everything after changing how lessons run
CELL_TIMEOUT = 900  # seconds; a stuck cell fails the build instead of hanging it
# Lessons that load the CNN learntorch.zoo trains and caches. The build trains it once,
# before any lesson runs (train_shared_models), so minutes of training that serve several
# pages are not charged to whichever page happens to run first.
ZOO_CALL = "fashion_cnn("  # zoo.fashion_cnn(...) or, imported, fashion_cnn(...)
TRAIN_ZOO = "from learntorch import zoo; zoo.fashion_cnn()"


class LessonError(RuntimeError):
    """A lesson cell raised (or timed out) while executing."""


def is_lesson(path: Path) -> bool:
    """True for a Jupytext Markdown file whose front matter names a Python kernel."""
    head = Path(path).read_text(encoding="utf-8")[:2000]
    return head.startswith("---") and "kernelspec:" in head and "language: python" in head


def fingerprint(root: Path = ROOT) -> str:
    """Hash of everything a lesson's outputs depend on besides its own text."""
    h = hashlib.sha256(f"executor={EXECUTOR_VERSION};python={sys.version}".encode())
    for path in sorted((root / "src" / "learntorch").rglob("*.py")):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    dists = sorted(f"{d.metadata['Name']}=={d.version}" for d in importlib.metadata.distributions())
    h.update("\n".join(dists).encode())
    return h.hexdigest()


def cache_key(lesson: Path, fp: str) -> str:
    return hashlib.sha256(Path(lesson).read_bytes() + fp.encode()).hexdigest()[:20]


def cache_root(root: Path) -> Path:
    return Path(root) / ".cache" / "lessons"


def cached_path(rel: str, key: str, root: Path) -> Path:
    """Where the executed notebook of the docs-relative lesson ``rel`` lives for ``key``.

    The path ends in ``lessons/<part>/<name>.ipynb`` so mkdocs-jupyter's ``include``
    pattern matches it.
    """
    return cache_root(root) / key / Path(rel).with_suffix(".ipynb")


def needs_execution(lesson: Path, rel: str, root: Path, fp: str) -> bool:
    """True when ``lesson`` has no cached run for the current fingerprint ``fp``."""
    return not cached_path(rel, cache_key(lesson, fp), root).is_file()


def train_shared_models(lessons: list[Path], cwd: Path, log=print, run=subprocess.run) -> float | None:
    """Train (or find cached) learntorch.zoo's CNN if any of ``lessons`` loads it.

    Runs in a child process, like the lessons' kernels, so the build process never imports
    torch. Returns the seconds it took, or None when no lesson needs the model.
    """
    users = [Path(p).name for p in lessons if ZOO_CALL in Path(p).read_text(encoding="utf-8")]
    if not users:
        return None
    log(f"preparing learntorch.zoo's CNN for {', '.join(users)} (trains once, minutes; then cached) ...")
    start = time.perf_counter()
    result = run([sys.executable, "-c", TRAIN_ZOO], cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise LessonError(f"training learntorch.zoo's CNN (for {', '.join(users)}) failed:\n"
                          f"{result.stderr[-4000:]}")
    seconds = time.perf_counter() - start
    log(f"learntorch.zoo's CNN ready in {seconds:.1f} s")
    return seconds


def execute(lesson: Path, out: Path, cwd: Path, timeout: int = CELL_TIMEOUT) -> float:
    """Run every cell of ``lesson`` in a fresh kernel and write the notebook to ``out``.

    Returns the seconds it took. Raises ``LessonError`` naming the lesson and the cell
    when a cell raises: a broken lesson must fail the build, never render a traceback.
    """
    nb = jupytext.read(lesson)
    cwd.mkdir(parents=True, exist_ok=True)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=False,
                            resources={"metadata": {"path": str(cwd)}})
    start = time.perf_counter()
    try:
        client.execute()
    except Exception as err:  # CellExecutionError, CellTimeoutError, DeadKernelError
        raise LessonError(f"lesson {lesson} failed to execute:\n{err}") from err
    seconds = time.perf_counter() - start
    nb.metadata["learntorch"] = {"execution_seconds": round(seconds, 1),
                                 "source": str(Path(lesson).name)}
    out.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename: an interrupted build never leaves a half-written cache entry.
    fd, tmp = tempfile.mkstemp(dir=out.parent, suffix=".part")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        nbformat.write(nb, f)
    os.replace(tmp, out)
    return seconds


def executed_notebook(lesson: Path, rel: str, root: Path = ROOT, fp: str | None = None,
                      log=print) -> Path:
    """The executed notebook for ``lesson``: from the cache, or run now and cached.

    ``root`` is the project folder (the one holding mkdocs.yml, src/ and .cache/); each
    lesson runs in its own scratch folder ``.cache/lesson-runs/<part>/<name>``.
    """
    key = cache_key(lesson, fp or fingerprint(root))
    out = cached_path(rel, key, root)
    if out.is_file():
        return out
    log(f"executing {rel} ...")
    seconds = execute(lesson, out, Path(root) / ".cache" / "lesson-runs" / Path(rel).with_suffix(""))
    log(f"executed {rel} in {seconds:.1f} s")
    for stale in cache_root(root).glob(f"*/{Path(rel).with_suffix('.ipynb').as_posix()}"):
        if stale != out:  # keep one cached run per lesson
            shutil.rmtree(stale.parents[len(Path(rel).parts) - 1], ignore_errors=True)
    return out


def goal(lesson: Path) -> str:
    """The lesson's goal: the paragraph after its bold **Goal:** marker, links made plain text."""
    text = Path(lesson).read_text(encoding="utf-8")
    match = re.search(r"^\*\*Goal:\*\*(.*?)(?:\n\s*\n|\Z)", text, re.M | re.S)
    if match:
        return re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", " ".join(match[1].split()))
    raise ValueError(f"{lesson}: no '**Goal:** ...' line (every lesson states its goal)")


def execution_seconds(notebook: Path) -> float | None:
    nb = nbformat.read(notebook, as_version=4)
    return nb.metadata.get("learntorch", {}).get("execution_seconds")


if __name__ == "__main__":
    paths = [Path(arg).resolve() for arg in sys.argv[1:] or sys.exit(__doc__)]
    rels = [path.relative_to(ROOT / "docs").as_posix() for path in paths]
    fp = fingerprint(ROOT)
    train_shared_models([p for p, rel in zip(paths, rels) if needs_execution(p, rel, ROOT, fp)], ROOT)
    for path, rel in zip(paths, rels):
        nb_path = executed_notebook(path, rel, fp=fp)
        print(f"{rel}: {execution_seconds(nb_path)} s -> {nb_path}")
