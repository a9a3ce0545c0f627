"""Execute the Jupytext lessons into notebooks: in parallel, the way a learner runs them, cached.

How a lesson runs (the same for ``mkdocs build``, ``mkdocs serve`` and ``make lesson``):

- in the lesson environment (``tools/lesson_env.py``): the learntorch wheel installed with
  the lesson's extras, no repository on the path, a kernel whose working folder is a fresh
  temporary folder outside the repository;
- as the notebook a learner downloads: its first code cell is the install cell
  (``tools/takeaway.py``), which finds everything installed and does nothing;
- with a fixed number of threads per kernel (``LEARNTORCH_THREADS``, default 1), so outputs
  do not depend on how many lessons run at once;
- several at a time (``LEARNTORCH_WORKERS``, default: the number of cores), after the
  trained models the lessons list under ``shared:`` are prepared, each once.

The executed notebook is cached in ``.cache/lessons/<key>/`` where the key hashes the
lesson's bytes, the library files it depends on (``tools/lesson_deps.py``), every installed
package's version and this executor's own rules: change any of them and the lesson runs
again; change nothing and it is reused.

Run lessons by hand (what ``make lesson L=...`` does)::

    python tools/lessons.py docs/lessons/pytorch/tensors.md [more lessons ...]
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import jupytext
import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lesson_deps  # noqa: E402  (tools/lesson_deps.py)
import lesson_env  # noqa: E402  (tools/lesson_env.py)
import takeaway  # noqa: E402  (tools/takeaway.py)

ROOT = Path(__file__).resolve().parent.parent  # the default project root: this repository
EXECUTOR_VERSION = "3"  # bump to re-execute everything after changing how lessons run
CELL_TIMEOUT = 900  # seconds; a stuck cell fails the build instead of hanging it
ANSI = re.compile(r"\x1b\[[0-9;]*m")  # colours in kernel tracebacks
DEFAULT_ESTIMATE = 60.0  # seconds, for a lesson never timed before (scheduling order only)


class LessonError(RuntimeError):
    """A lesson cell raised (or timed out), or a shared model could not be prepared."""


@dataclass
class Lesson:
    path: Path  # docs/lessons/<part>/<name>.md
    rel: str  # lessons/<part>/<name>.md, relative to docs/
    extras: list[str] = field(default_factory=list)
    shared: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, path: Path, rel: str) -> Lesson:
        try:
            needs = takeaway.lesson_needs(jupytext.read(path))
        except ValueError as err:
            raise LessonError(f"{rel}: {err}") from None
        return cls(Path(path), rel, needs["extras"], needs["shared"])


def is_lesson(path: Path) -> bool:
    """True for a Jupytext Markdown file whose front matter names a Python kernel."""
    head = Path(path).read_text(encoding="utf-8")[:2000]
    return head.startswith("---") and "kernelspec:" in head and "language: python" in head


def settings() -> tuple[int, int]:
    """``(workers, threads)``: lessons run at once, and threads each kernel may use."""
    def number(name, default):
        text = os.environ.get(name, "")
        if not text:
            return default
        if not text.isdigit() or int(text) < 1:
            raise LessonError(f"{name} must be a positive integer, got {text!r}")
        return int(text)
    return number("LEARNTORCH_WORKERS", os.cpu_count() or 1), number("LEARNTORCH_THREADS", 1)


def fingerprint(root: Path = ROOT) -> str:
    """Hash of everything a lesson's outputs depend on besides its own text."""
    h = hashlib.sha256(f"executor={EXECUTOR_VERSION};python={sys.version}".encode())
    h.update(f"threads={settings()[1]}".encode())
    # The library's files are not here: each lesson's key hashes those it depends on (cache_key).
    for path in [Path(root) / "pyproject.toml", lesson_env.GUARD, lesson_env.FIGURES, Path(takeaway.__file__)]:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    h.update("\n".join(lesson_env.installed_packages()).encode())
    return h.hexdigest()


def cache_key(lesson: Path, fp: str, text: bytes | None = None, root: Path = ROOT) -> str:
    """The cache key of ``lesson`` (its bytes, or ``text`` when given) under fingerprint ``fp``,
    with the files of ``root``'s library it depends on (``tools/lesson_deps.py``)."""
    text = Path(lesson).read_bytes() if text is None else text
    nb = jupytext.reads(text.decode("utf-8"), fmt="md")
    code = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
    try:
        shared = bool(takeaway.lesson_needs(nb)["shared"])
    except ValueError:
        shared = True  # Lesson.read reports the front matter's problem; any key will do until then
    deps = lesson_deps.dependency_hash(Path(root) / "src" / "learntorch", code, shared)
    return hashlib.sha256(text + fp.encode() + deps.encode()).hexdigest()[:20]


def cache_root(root: Path) -> Path:
    return Path(root) / ".cache" / "lessons"


def cached_path(rel: str, key: str, root: Path) -> Path:
    """Where the executed notebook of ``rel`` lives for ``key``; ends in ``lessons/<part>/<name>.ipynb``
    so mkdocs-jupyter's ``include`` pattern matches it."""
    return cache_root(root) / key / Path(rel).with_suffix(".ipynb")


def cached_notebook(lesson: Lesson, root: Path, fp: str) -> Path | None:
    path = cached_path(lesson.rel, cache_key(lesson.path, fp, root=root), root)
    return path if path.is_file() else None


# --- One lesson, in a worker process ---------------------------------------------------------


def execute(path: Path, out: Path, root: Path, threads: int, timeout: int = CELL_TIMEOUT,
            source: Path | None = None) -> float:
    """Run the take-away notebook of the lesson at ``path`` in the lesson environment; write it to ``out``.

    ``source`` is a snapshot of the lesson's text taken when its cache key was computed (the
    build passes one, so a lesson edited while the build runs is not cached under the key of
    its older text); by default ``path`` is read. Returns the seconds it took. Raises
    ``LessonError`` naming the lesson, the cell and the error (for a refused import or
    repository file, what was missing) when a cell fails.
    """
    from nbclient import NotebookClient

    root = Path(root)
    env = root / ".cache" / "lesson-env"
    nb = jupytext.reads(Path(source or path).read_text(encoding="utf-8"), fmt="md")
    needs = takeaway.lesson_needs(nb)
    takeaway.check_solutions_last(nb, str(path))
    version = lesson_env.project_version(root)
    nb = takeaway.with_install_cell(nb, takeaway.install_cell_source(root, needs["extras"], version, None))
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"learntorch-{Path(path).stem}-") as cwd, \
            tempfile.TemporaryDirectory(prefix="learntorch-kernel-") as runtime:
        client = NotebookClient(nb, km=lesson_env.kernel_manager(env, Path(runtime)), timeout=timeout,
                                allow_errors=False, record_timing=False, resources={"metadata": {"path": cwd}})
        try:
            client.execute(env=lesson_env.kernel_environment(root, needs["extras"], threads))
        except Exception as err:  # CellExecutionError, CellTimeoutError, DeadKernelError
            raise LessonError(describe_failure(path, nb, err, needs["extras"])) from None
    seconds = time.perf_counter() - start
    merge_streams(nb)
    nb.metadata["learntorch"] = {**nb.metadata.get("learntorch", {}),
                                 "execution_seconds": round(seconds, 1), "threads": threads}
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, suffix=".part")  # write, then rename: never half a file
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        nbformat.write(nb, f)
    os.replace(tmp, out)
    return seconds


def merge_streams(nb) -> None:
    """Join each run of consecutive outputs to the same stream (stdout, stderr) into one output.

    The kernel sends what a cell prints in pieces, flushed on a timer, so how many outputs a
    cell has depended on how busy the machine was; each piece is a block of its own on the page.
    """
    for cell in (c for c in nb.cells if c.cell_type == "code"):
        merged = []
        for output in cell.outputs:
            last = merged[-1] if merged else {}
            if output.output_type == last.get("output_type") == "stream" and output.name == last.name:
                last.text += output.text
            else:
                merged.append(output)
        cell.outputs = merged


def describe_failure(path: Path, nb, err: Exception, extras: list[str]) -> str:
    """One message naming the lesson, the failing cell, and what was missing."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    failed = next((i for i, c in enumerate(code) if any(o.get("output_type") == "error" for o in c.get("outputs", []))),
                  None)
    where = ""
    if failed is not None:
        first = (code[failed].source.strip().splitlines() or [""])[0]
        where = f"code cell {failed + 1}, which starts `{first[:70]}`,"
        error = next(o for o in code[failed].outputs if o.get("output_type") == "error")
        what = f"{error['ename']}: {error['evalue']}"
    else:
        what = str(err).strip().splitlines()[-1] if str(err).strip() else type(err).__name__
    hint = ""
    missing = re.match(r"ModuleNotFoundError: No module named '([\w.]+)'", what)
    owners = _distributions().get(missing[1].split(".")[0], []) if missing else []
    if owners:  # installed here, hidden by the guard: the lesson's install line lacks it
        line = f"learntorch[{','.join(extras)}]" if extras else "learntorch"
        hint = (f"\n  missing: {' or '.join(owners)}, which this lesson's install line ({line}) does not "
                "install; add the extra that provides it under learntorch: extras: in its front matter")
    elif "learntorch repository" in what:
        hint = "\n  missing: a file a downloaded lesson does not have (it read the repository)"
    detail = ANSI.sub("", str(err))[-3000:]
    return f"lesson {_shown(path)} failed in {where or 'its kernel'}: {what}{hint}\n{detail}"


def _distributions() -> dict[str, list[str]]:
    """Top-level module name -> the installed distributions that provide it."""
    return importlib.metadata.packages_distributions()


def _shown(path: Path) -> str:
    """``path`` relative to the working folder when it is inside it (shorter in logs)."""
    try:
        return Path(path).resolve().relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


# --- Many jobs, several at a time -------------------------------------------------------------


@dataclass
class Job:
    name: str  # what the log calls it: "lessons/cnn/filters.md", "shared model fashion-cnn"
    command: list[str]  # run as a child process
    env: dict | None = None
    after: set[str] = field(default_factory=set)  # names of jobs that must finish first
    estimate: float = DEFAULT_ESTIMATE  # seconds: longest first keeps the workers busy
    seconds: float | None = None


def run_jobs(jobs: list[Job], workers: int, log=print) -> float:
    """Run ``jobs`` in child processes, ``workers`` at a time, respecting ``after``.

    Ready jobs start longest first. A failure stops new jobs from starting; the running ones
    finish, then ``LessonError`` reports every failure. Returns the wall-clock seconds.
    A SIGTERM (``kill <pid of mkdocs>``) stops the running jobs too instead of leaving them
    to run on without a parent (their kernels notice their parent is gone and exit).
    """
    pending = {job.name: job for job in jobs}
    done: set[str] = set()
    failures: list[str] = []
    lock = threading.Condition()
    start = time.perf_counter()
    children: set[subprocess.Popen] = set()

    def next_job() -> Job | None:
        ready = [j for j in pending.values() if j.after <= done]
        return max(ready, key=lambda j: j.estimate) if ready else None

    running = 0

    def worker(slot: int):
        nonlocal running
        while True:
            with lock:
                # Wait while jobs remain but none is ready yet, and a running one may free some.
                while not failures and pending and next_job() is None and running:
                    lock.wait()
                job = None if failures or not pending else next_job()
                if job is None:
                    lock.notify_all()
                    return
                del pending[job.name]
                running += 1
            log(f"[worker {slot}] {job.name}: started")
            t0 = time.perf_counter()
            with lock:
                if failures:  # stopped while this one was being picked
                    running -= 1
                    lock.notify_all()
                    return
                child = subprocess.Popen(job.command, env=job.env, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, text=True)
                children.add(child)
            stdout, stderr = child.communicate()
            result = subprocess.CompletedProcess(job.command, child.returncode, stdout, stderr)
            job.seconds = time.perf_counter() - t0
            with lock:
                children.discard(child)
                running -= 1
                if result.returncode == 0:
                    done.add(job.name)
                    log(f"[worker {slot}] {job.name}: done in {job.seconds:.1f} s")
                else:
                    failures.append(f"{job.name} failed:\n{(result.stderr or result.stdout)[-6000:]}")
                    log(f"[worker {slot}] {job.name}: FAILED after {job.seconds:.1f} s; no new job starts")
                lock.notify_all()

    def stop(signum, frame):
        with lock:
            failures.append(f"stopped by signal {signum}")
            for child in children:
                child.terminate()
            lock.notify_all()

    threads = [threading.Thread(target=worker, args=(slot + 1,)) for slot in range(max(1, workers))]
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, stop) if in_main else None
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)
    if failures and failures[0].startswith("stopped by signal"):
        raise SystemExit(128 + signal.SIGTERM)  # as if SIGTERM had ended the process, children gone
    if pending and not failures:
        failures.append(f"jobs never became ready: {sorted(pending)} (a shared model they need is unknown?)")
    if failures:
        raise LessonError("\n\n".join(failures))
    return time.perf_counter() - start


def lesson_job(lesson: Lesson, out: Path, root: Path, threads: int, estimate: float, source: Path) -> Job:
    command = [sys.executable, str(Path(__file__).resolve()), "--execute", str(lesson.path),
               "--out", str(out), "--root", str(root), "--threads", str(threads), "--source", str(source)]
    return Job(lesson.rel, command, after={f"shared model {m}" for m in lesson.shared}, estimate=estimate)


def shared_model_job(name: str, root: Path, threads: int) -> Job:
    env = lesson_env.kernel_environment(root, [], threads)
    del env["LEARNTORCH_LESSON_GUARD"]  # library code, not a lesson
    python = str(lesson_env.env_python(Path(root) / ".cache" / "lesson-env"))
    return Job(f"shared model {name}", [python, "-m", "learntorch.zoo", name], env=env, estimate=10_000)


def timings_file(root: Path) -> Path:
    return cache_root(root) / "timings.json"


def read_timings(root: Path) -> dict:
    try:
        return json.loads(timings_file(root).read_text())
    except (OSError, ValueError):
        return {}


def execute_lessons(lessons: list[Lesson], root: Path = ROOT, fp: str | None = None, log=print) -> dict[str, Path]:
    """The executed notebook of each lesson: from the cache, or run now (in parallel) and cached.

    Returns ``{rel: notebook path}`` for every lesson. Raises ``LessonError`` when a lesson
    or a shared model fails.
    """
    root = Path(root)
    fp = fp or fingerprint(root)
    threads = settings()[1]
    result, jobs = {}, []
    timings = read_timings(root)
    snapshots = []
    for lesson in lessons:
        text = lesson.path.read_bytes()  # read once: the key and the run see the same text
        out = cached_path(lesson.rel, cache_key(lesson.path, fp, text, root), root)
        result[lesson.rel] = out
        if out.is_file():
            continue
        snapshot = out.with_name(f".{out.stem}.source.md")
        snapshot.parent.mkdir(parents=True, exist_ok=True)
        snapshot.write_bytes(text)
        snapshots.append(snapshot)
        jobs.append(lesson_job(lesson, out, root, threads, timings.get(lesson.rel, DEFAULT_ESTIMATE), snapshot))
    if not jobs:
        return result
    try:
        return _run_lesson_jobs(jobs, lessons, result, root, timings, log)
    finally:
        for snapshot in snapshots:
            snapshot.unlink(missing_ok=True)


def _run_lesson_jobs(jobs, lessons, result, root, timings, log) -> dict[str, Path]:
    workers, threads = settings()
    try:
        lesson_env.lesson_env(root, log=log)
    except lesson_env.LessonEnvError as err:
        raise LessonError(str(err)) from None
    models = sorted({m for lesson in lessons for m in lesson.shared if lesson.rel in {j.name for j in jobs}})
    jobs = [shared_model_job(m, root, threads) for m in models] + jobs
    log(f"executing {len(jobs) - len(models)} lesson(s) and {len(models)} shared model(s) "
        f"on {workers} worker(s), {threads} thread(s) each")
    wall = run_jobs(jobs, workers, log)
    work = sum(j.seconds for j in jobs)
    log(f"executed in {wall:.0f} s ({work:.0f} s of work in all, {work / max(wall, 1e-9):.2f}x on {workers} workers)")
    timings.update({j.name: round(j.seconds, 1) for j in jobs if not j.name.startswith("shared model")})
    timings["_last_run"] = {"wall_seconds": round(wall, 1), "work_seconds": round(work, 1),
                            "workers": workers, "threads": threads,
                            "jobs": {j.name: round(j.seconds, 1) for j in jobs}}
    timings_file(root).parent.mkdir(parents=True, exist_ok=True)
    timings_file(root).write_text(json.dumps(timings, indent=1, sort_keys=True))
    prune(result, root)
    return result


def prune(current: dict[str, Path], root: Path) -> None:
    """Keep one cached run per lesson: ``current[rel]``, the one this build uses."""
    for rel, keep in current.items():
        for stale in cache_root(root).glob(f"*/{Path(rel).with_suffix('.ipynb').as_posix()}"):
            if stale != keep:
                stale.unlink(missing_ok=True)
    for folder in cache_root(root).iterdir():
        if folder.is_dir() and not any(p.is_file() for p in folder.rglob("*")):
            shutil.rmtree(folder, ignore_errors=True)


def goal(lesson: Path) -> str:
    """The lesson's goal: the paragraph after its bold **Goal:** marker, links made plain text."""
    text = Path(lesson).read_text(encoding="utf-8")
    match = re.search(r"^\*\*Goal:\*\*(.*?)(?:\n\s*\n|\Z)", text, re.M | re.S)
    if match:
        return re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", " ".join(match[1].split()))
    raise ValueError(f"{lesson}: no '**Goal:** ...' line (every lesson states its goal)")


def title(lesson: Path) -> str:
    """The lesson's first ``# `` heading."""
    match = re.search(r"^# (.+)$", Path(lesson).read_text(encoding="utf-8"), re.M)
    return match[1].strip() if match else Path(lesson).stem


def execution_seconds(notebook: Path) -> float | None:
    nb = nbformat.read(notebook, as_version=4)
    return nb.metadata.get("learntorch", {}).get("execution_seconds")


def _main(argv: list[str]) -> int:
    if argv[:1] == ["--execute"]:  # a worker: one lesson
        args = dict(zip(argv[2::2], argv[3::2]))
        try:
            execute(Path(argv[1]), Path(args["--out"]), Path(args["--root"]), int(args["--threads"]),
                    source=Path(args["--source"]) if "--source" in args else None)
        except (LessonError, ValueError) as err:
            print(err, file=sys.stderr)
            return 1
        return 0
    paths = [Path(arg).resolve() for arg in argv] or sys.exit(__doc__)
    lessons = [Lesson.read(p, p.relative_to(ROOT / "docs").as_posix()) for p in paths]
    try:
        notebooks = execute_lessons(lessons, ROOT)
    except LessonError as err:
        print(err, file=sys.stderr)
        return 1
    for rel, nb_path in notebooks.items():
        print(f"{rel}: {execution_seconds(nb_path)} s -> {nb_path}")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
