"""The build's scheduler: shared models first and once, lessons in parallel, failures reported.

``tools/lessons.py`` runs jobs (a lesson, or a trained model several lessons share) as child
processes, a few at a time. These tests give it tiny Python commands instead of lessons.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import ROOT, lesson_sources

sys.path.insert(0, str(ROOT / "tools"))
import lessons  # noqa: E402  (tools/lessons.py)

SRC = str(ROOT / "src")


def job(name, code="pass", after=(), estimate=1.0):
    return lessons.Job(name, [sys.executable, "-c", code], after=set(after), estimate=estimate)


def test_jobs_wait_for_what_they_need_and_start_longest_first(tmp_path):
    log = []
    order = tmp_path / "order.txt"
    write = "open({!r}, 'a').write({!r} + '\\n')"
    jobs = [job("shared model m", write.format(str(order), "model"), estimate=10_000),
            job("short", write.format(str(order), "short"), estimate=1),
            job("long", write.format(str(order), "long"), estimate=100),
            job("needs m", write.format(str(order), "needs m"), after={"shared model m"}, estimate=500)]
    lessons.run_jobs(jobs, workers=1, log=log.append)
    assert order.read_text().split("\n")[:4] == ["model", "needs m", "long", "short"]
    assert all(j.seconds is not None for j in jobs)
    assert any(line.startswith("[worker 1] needs m: done in") for line in log)


def test_a_failed_job_stops_the_rest_and_reports_its_error(tmp_path):
    jobs = [job("shared model m", "raise SystemExit('out of memory')", estimate=10_000),
            job("needs m", after={"shared model m"})]
    with pytest.raises(lessons.LessonError, match=r"(?s)shared model m failed.*out of memory"):
        lessons.run_jobs(jobs, workers=2, log=lambda m: None)
    assert jobs[1].seconds is None  # never started


def test_a_job_waiting_for_an_unknown_model_is_reported():
    with pytest.raises(lessons.LessonError, match="never became ready"):
        lessons.run_jobs([job("needs x", after={"shared model x"})], workers=2, log=lambda m: None)


def test_two_workers_run_two_jobs_at_once(tmp_path):
    # Each job waits until the other has started: with one worker at a time they would deadlock,
    # so the timeout inside the jobs would fail them.
    flag = tmp_path / "{}.started"
    code = ("import pathlib, time\n"
            "pathlib.Path({me!r}).touch()\n"
            "deadline = time.time() + 60\n"
            "while not pathlib.Path({other!r}).exists():\n"
            "    time.sleep(0.05)\n"
            "    assert time.time() < deadline, 'the other job never started'\n")
    a, b = str(flag).format("a"), str(flag).format("b")
    lessons.run_jobs([job("a", code.format(me=a, other=b)), job("b", code.format(me=b, other=a))],
                     workers=2, log=lambda m: None)


def test_sigterm_to_the_build_stops_its_running_jobs(tmp_path):
    # ``kill <pid>`` of a build (no process group) used to leave its jobs running for minutes.
    import os
    import signal
    import subprocess
    import time

    job_code = ("import os, pathlib, time\n"
                "pathlib.Path({pid!r}).write_text(str(os.getpid()))\n"
                "time.sleep(120)\n")
    driver = (f"import sys; sys.path.insert(0, {str(ROOT / 'tools')!r})\n"
              "import lessons\n"
              "jobs = [lessons.Job(n, [sys.executable, '-c', c]) for n, c in {jobs!r}]\n"
              "lessons.run_jobs(jobs, workers=2, log=print)\n"
              "print('run_jobs returned')\n")
    pids = [tmp_path / f"{n}.pid" for n in "abc"]
    jobs = [(p.stem, job_code.format(pid=str(p))) for p in pids]
    build = subprocess.Popen([sys.executable, "-c", driver.format(jobs=jobs)], stdout=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while not (pids[0].exists() and pids[1].exists()):
        assert time.time() < deadline and build.poll() is None, "the two jobs never started"
        time.sleep(0.05)
    build.send_signal(signal.SIGTERM)
    out, _ = build.communicate(timeout=30)
    assert build.returncode == 128 + signal.SIGTERM and "run_jobs returned" not in out
    assert not pids[2].exists(), "a new job started after the signal"
    for pid in (int(p.read_text()) for p in pids[:2]):
        deadline = time.time() + 10
        while _alive(pid):
            assert time.time() < deadline, f"job {pid} still runs after the build was stopped"
            time.sleep(0.05)


def _alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped by init) counts as gone
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def test_worker_and_thread_settings_are_read_and_checked(monkeypatch):
    monkeypatch.setenv("LEARNTORCH_WORKERS", "3")
    monkeypatch.setenv("LEARNTORCH_THREADS", "2")
    assert lessons.settings() == (3, 2)
    monkeypatch.setenv("LEARNTORCH_WORKERS", "0")
    with pytest.raises(lessons.LessonError, match="LEARNTORCH_WORKERS must be a positive integer"):
        lessons.settings()


def test_lessons_that_load_a_shared_model_declare_it():
    # A lesson that loads the zoo's CNN without listing it would train it inside its own
    # kernel, charged minutes of work that serves every page.
    from learntorch import zoo

    for path in lesson_sources():
        lesson = lessons.Lesson.read(path, path.relative_to(ROOT / "docs").as_posix())
        text = path.read_text(encoding="utf-8")
        for name, load in zoo.SHARED.items():
            if f"{load.__name__}(" in text:
                assert name in lesson.shared, f"{path.name} calls {load.__name__}() but does not list {name!r}"
        assert set(lesson.shared) <= set(zoo.SHARED), path.name
