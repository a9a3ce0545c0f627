"""What every fault case asserts, shared by the tests/test_faults_*.py suites.

A case is a call that must fail: it names the exception type it must raise and a pattern the
message must contain, which names the culprit (the argument, the file, the option). Every
message must also be one line, so a learner reads it whole, and must not be torch's own.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from typing import Callable

import pytest


@dataclass
class Fault:
    id: str
    call: Callable  # called with the test's tmp_path
    error: type
    culprit: str  # a regex the message must contain

    def check(self, tmp_path) -> str:
        with pytest.raises(self.error) as info:
            self.call(tmp_path)
        message = str(info.value)
        assert re.search(self.culprit, message), f"{self.id}: {message!r} does not match {self.culprit!r}"
        assert "\n" not in message, f"{self.id}: the message is not one line: {message!r}"
        assert "Traceback" not in message
        return message


def params(cases: list[Fault]):
    """The cases as pytest parameters, with their ids."""
    assert len({c.id for c in cases}) == len(cases), "duplicate case ids"
    return [pytest.param(case, id=case.id) for case in cases]


def _mount(folder, options: str) -> bool:
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                          capture_output=True).returncode == 0


def _unmount(folder) -> None:
    subprocess.run(["umount", str(folder)], capture_output=True)


@pytest.fixture
def read_only_dir(tmp_path):
    """A folder nobody can write in: a read-only tmpfs when root (root ignores permission bits),
    else a folder with mode 0555."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    if os.geteuid() == 0:
        if not _mount(folder, "ro,size=1m"):
            pytest.skip("running as root and cannot mount a read-only tmpfs")
        yield folder
        _unmount(folder)
    else:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)


@pytest.fixture
def full_dir(tmp_path, monkeypatch):
    """A folder on a full disk: a 64 KiB tmpfs when root can mount one; otherwise the free space
    learntorch sees is patched to zero (then only the pre-flight check is exercised)."""
    folder = tmp_path / "full"
    folder.mkdir()
    if _mount(folder, "size=64k"):
        yield folder
        _unmount(folder)
    else:
        import learntorch._files

        real = learntorch._files.shutil.disk_usage
        monkeypatch.setattr(learntorch._files.shutil, "disk_usage", lambda p: real(p)._replace(free=0))
        yield folder
