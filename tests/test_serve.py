"""`mkdocs serve` shows the site at once and fills in lessons as they finish executing.

A newcomer's first `make serve` must not wait for every lesson: pages appear immediately, a
lesson not executed yet says so, and its page is rebuilt with the outputs when its execution
finishes in the background. (`mkdocs build` still waits for, and fails on, every lesson:
tests/test_lesson_build.py.)
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request

import pytest
from conftest import BIN
from test_lesson_build import make_project

pytestmark = pytest.mark.slow

SLOW_LESSON = """\
# Slow

```python
import time
time.sleep(8)  # long enough to see the page before the lesson has run
print("the slow lesson ran")
```
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode()
    except OSError:
        return ""


def wait_for(url: str, text: str, seconds: float) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        page = fetch(url)
        if text in page:
            return page
        time.sleep(0.5)
    raise AssertionError(f"{url} never showed {text!r} within {seconds} s; last page:\n{page[-2000:]}")


def test_serve_shows_pages_at_once_and_lessons_when_they_have_run(tmp_path):
    project = make_project(tmp_path, {"slow": SLOW_LESSON})
    port = free_port()
    server = subprocess.Popen([str(BIN / "mkdocs"), "serve", "--dev-addr", f"127.0.0.1:{port}",
                               "-f", str(project / "mkdocs.yml")], cwd=project,
                              env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        page = f"http://127.0.0.1:{port}/lessons/demo/slow/"
        # Generous bounds: they only stop a broken server from hanging the suite; nothing
        # here measures speed.
        first = wait_for(page, "Not executed yet", 300)
        assert "the slow lesson ran" not in first
        done = wait_for(page, "the slow lesson ran", 600)
        assert "Not executed yet" not in done
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert "executing 1 lesson(s) in the background" in output
