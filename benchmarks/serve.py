"""How soon a newcomer's `mkdocs serve` shows the site when no lesson has been executed yet.

On a temporary copy of the project with an empty lesson cache (the venv already set up, as
after `make setup`), starts `mkdocs serve` and measures the seconds until the home page and a
lesson page answer. Lessons then execute in the background; the lesson page says so until its
outputs are ready. Target (issue #18): the site shows within minutes, not after the cold build
(here: <= 120 s). Writes benchmarks/results/serve.json.

    python benchmarks/serve.py
"""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from machine import cpu_model  # benchmarks/machine.py
from project import MKDOCS, ROOT, copy_project  # benchmarks/project.py
from targets import check  # benchmarks/targets.py

LESSON = "lessons/pytorch/tensors/"


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        copy_project(project, with_cache=False)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        start = time.perf_counter()
        server = subprocess.Popen([str(MKDOCS), "serve", "--dev-addr", f"127.0.0.1:{port}"], cwd=project,
                                  env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seen = {}
        try:
            while len(seen) < 2 and time.perf_counter() - start < 900:
                for name, path in (("home", ""), ("lesson", LESSON)):
                    if name not in seen and answers(f"http://127.0.0.1:{port}/{path}"):
                        seen[name] = round(time.perf_counter() - start, 1)
                time.sleep(0.2)
        finally:
            server.terminate()
            server.wait(timeout=60)
    result = {
        "seconds_to_home_page": seen.get("home"),
        "seconds_to_a_lesson_page": seen.get("lesson"),
        "checks": [check("mkdocs serve, empty lesson cache: seconds until the site answers",
                         seen.get("home", 10_000), "<=", 120)],
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count(),
                    "load_average_1min": round(os.getloadavg()[0], 2), "python": platform.python_version()},
    }
    out = ROOT / "benchmarks" / "results" / "serve.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
