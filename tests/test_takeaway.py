"""A downloaded lesson installs what it needs: its first cell, run in a fresh environment.

The site build already runs every lesson as its download (tests/test_lesson_build.py shows
how), but there learntorch is installed before the lesson starts, so the install cell takes
its do-nothing branch. Here it takes the other branch: a fresh environment without learntorch,
the site served over HTTP, the cell run as a learner's Jupyter would run it.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT
from nbclient import NotebookClient

sys.path.insert(0, str(ROOT / "tools"))
import lesson_env  # noqa: E402  (tools/lesson_env.py)
import takeaway  # noqa: E402  (tools/takeaway.py)

pytestmark = pytest.mark.slow


def install_cell(site: Path, lesson: str) -> str:
    nb = nbformat.read(site / lesson, as_version=4)
    return next(c.source for c in nb.cells if takeaway.INSTALL_TAG in c.metadata.get("tags", []))


def run_fresh(tmp_path: Path, cells: list[str], wheel_url: str) -> nbformat.NotebookNode:
    """Run ``cells`` in a new environment that has no learntorch, from a folder outside the repo."""
    env = lesson_env.make_env(tmp_path / "fresh-env", guard=False)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    variables = {**os.environ, "LEARNTORCH_WHEEL": wheel_url, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    with tempfile.TemporaryDirectory() as runtime:
        client = NotebookClient(nb, km=lesson_env.kernel_manager(env, Path(runtime)), timeout=600,
                                resources={"metadata": {"path": str(tmp_path)}})
        client.execute(env=variables)
    return nb


def test_the_install_cell_installs_learntorch_from_the_site(site, served_site, tmp_path):
    wheel = f"{served_site}/{lesson_env.wheel_name(ROOT)}"
    cell = install_cell(site, "lessons/cnn/filters.ipynb")  # extras: [data]
    nb = run_fresh(tmp_path, [cell, "import learntorch, skimage; print('FROM', learntorch.__file__)"], wheel)
    printed = "".join(o.get("text", "") for o in nb.cells[1].outputs)
    where = Path(printed.split("FROM ")[1].strip())
    assert where.is_relative_to(tmp_path / "fresh-env"), where  # installed from the wheel, not src/


def test_the_install_cell_says_clearly_when_the_wheel_cannot_be_reached(site, tmp_path):
    cell = install_cell(site, "lessons/pytorch/tensors.ipynb")
    with pytest.raises(Exception) as failed:
        run_fresh(tmp_path, [cell], "http://127.0.0.1:9/no-such-learntorch-0.1.0-py3-none-any.whl")
    assert "learntorch could not be installed from http://127.0.0.1:9/" in str(failed.value)
    assert "check the address" in str(failed.value)
