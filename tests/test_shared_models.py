"""The build trains learntorch.zoo's CNN once, before the lessons that load it run.

Without this step the first such lesson would train it inside its own kernel and be charged
minutes that serve every page (tools/lessons.py, ``train_shared_models``).
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import lessons  # noqa: E402  (tools/lessons.py)


@pytest.fixture
def pages(tmp_path):
    texts = {"a.md": "model = zoo.fashion_cnn()\n", "b.md": "m = zoo.fashion_cnn(epochs=1)\n",
             "c.md": "print('no model here')\n"}
    for name, text in texts.items():
        (tmp_path / name).write_text(text)
    return {name: tmp_path / name for name in texts}


def fake_run(returncode=0, stderr=""):
    calls = []

    def run(cmd, **kwargs):
        calls.append(cmd)
        return subprocess.CompletedProcess(cmd, returncode, "", stderr)
    return run, calls


def test_the_model_is_prepared_once_for_all_lessons_that_load_it(pages, tmp_path):
    run, calls = fake_run()
    log = []
    seconds = lessons.train_shared_models(list(pages.values()), tmp_path, log=log.append, run=run)
    assert seconds is not None and seconds >= 0
    assert calls == [[sys.executable, "-c", lessons.TRAIN_ZOO]]
    assert "a.md, b.md" in log[0] and "c.md" not in log[0]


def test_nothing_is_trained_when_no_lesson_to_run_loads_the_model(pages, tmp_path):
    run, calls = fake_run()
    assert lessons.train_shared_models([pages["c.md"]], tmp_path, log=lambda m: None, run=run) is None
    assert lessons.train_shared_models([], tmp_path, log=lambda m: None, run=run) is None
    assert calls == []


def test_a_failed_training_fails_the_build_naming_the_lessons_and_the_error(pages, tmp_path):
    run, _ = fake_run(returncode=1, stderr="RuntimeError: out of memory")
    with pytest.raises(lessons.LessonError, match=r"(?s)a\.md, b\.md.*out of memory"):
        lessons.train_shared_models(list(pages.values()), tmp_path, log=lambda m: None, run=run)


def test_the_command_trains_what_the_lessons_load():
    # The lessons call fashion_cnn() with the default recipe; so must the build step.
    assert "zoo.fashion_cnn()" in lessons.TRAIN_ZOO
    for lesson in ROOT.glob("docs/lessons/*/*.md"):
        if lessons.ZOO_CALL in lesson.read_text(encoding="utf-8"):
            assert "fashion_cnn()" in lesson.read_text(encoding="utf-8"), lesson
