"""Shared fixtures: one offline build of the whole site per test session, and a server for it.

The site build is also the lesson test: it executes every lesson, and a cell that raises
fails it. Building once and sharing the result keeps CI from executing lessons twice.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
IN_CI = os.environ.get("CI", "").lower() == "true"


def offline(cmd: list[str]) -> list[str]:
    """Wrap ``cmd`` so it runs with no network at all, when this machine allows it.

    ``unshare -n`` (root only) gives the command a network namespace whose only interface is
    loopback, brought up because Jupyter kernels talk to nbclient over 127.0.0.1. In CI the
    namespace is required: the build must prove it needs no network.
    """
    can = os.geteuid() == 0 and shutil.which("unshare") and shutil.which("ip")
    if can and subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0:
        return ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", *cmd]
    if IN_CI:
        pytest.fail("CI must build the site without network, but `unshare -n` is not available")
    return cmd


def mkdocs_build(project: Path, site_dir: Path, *, no_network: bool = False) -> subprocess.CompletedProcess:
    cmd = [str(BIN / "mkdocs"), "build", "--strict", "-f", str(project / "mkdocs.yml"), "-d", str(site_dir)]
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(offline(cmd) if no_network else cmd, cwd=project, env=env,
                          capture_output=True, text=True)


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The real site, built once with ``mkdocs build --strict`` and no network."""
    site_dir = tmp_path_factory.mktemp("site")
    result = mkdocs_build(ROOT, site_dir, no_network=True)
    if result.returncode != 0:
        pytest.fail(f"mkdocs build --strict failed:\n{result.stdout}\n{result.stderr[-8000:]}")
    return site_dir


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def served_site(site):
    """The built site served on http://127.0.0.1:<free port>/ for the browser tests."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def lesson_sources() -> list[Path]:
    sys.path.insert(0, str(ROOT / "tools"))
    import lessons

    return [p for p in sorted((ROOT / "docs" / "lessons").glob("*/*.md")) if lessons.is_lesson(p)]


@pytest.fixture
def fake_data(tmp_path, monkeypatch):
    """200 train / 50 test random images as Fashion-MNIST, found through LEARNTORCH_DATA."""
    import torch

    from learntorch import data

    g = torch.Generator().manual_seed(0)
    raw = tmp_path / "data" / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for prefix, n in [("train", 200), ("t10k", 50)]:
        images = torch.randint(0, 256, (n, 28, 28), generator=g, dtype=torch.uint8)
        data.write_idx(raw / f"{prefix}-images-idx3-ubyte", images)
        data.write_idx(raw / f"{prefix}-labels-idx1-ubyte", (torch.arange(n) % 10).to(torch.uint8))
    monkeypatch.setenv("LEARNTORCH_DATA", str(tmp_path / "data"))
    return tmp_path
