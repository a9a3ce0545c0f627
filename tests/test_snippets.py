"""Every script in snippets/ runs, and every one is shown on some docs page.

A snippet that needs arguments to run quickly says so in a comment line of its own:

    # test-args: --dry-run

The words after ``test-args:`` are passed to the script (split like a shell would, without
expansion). A script without that line runs with no arguments. Each script must exit 0 within
the timeout, and must be included by some ``docs/**/*.md`` page with
``--8<-- "snippets/<name>.py"`` (pymdownx.snippets), so no script on disk goes unseen.
"""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SNIPPETS = sorted((ROOT / "snippets").glob("*.py"))
TEST_ARGS = re.compile(r"^#\s*test-args:(.*)$", re.MULTILINE)
TIMEOUT = 300  # seconds; a snippet meant for CI runs in a few on an idle machine


def snippet_args(script: Path) -> list[str]:
    """The arguments a snippet asks the tests to run it with (its ``# test-args:`` line)."""
    found = TEST_ARGS.search(script.read_text())
    return shlex.split(found.group(1)) if found else []


def includes() -> set[str]:
    """Snippet paths that some docs page includes with ``--8<-- "snippets/..."``."""
    pattern = re.compile(r"""--8<--\s+["']?(snippets/[\w./-]+)""")
    return {m.group(1) for page in (ROOT / "docs").rglob("*.md") for m in pattern.finditer(page.read_text())}


def test_there_are_snippets():
    assert SNIPPETS, "snippets/ has no scripts"


def test_test_args_are_read_from_the_comment(tmp_path):
    script = tmp_path / "s.py"
    script.write_text('"""Doc."""\n# test-args: --dry-run --epochs 1\nprint()\n')
    assert snippet_args(script) == ["--dry-run", "--epochs", "1"]
    script.write_text("print()\n")
    assert snippet_args(script) == []


@pytest.fixture(scope="module")
def installed_python():
    """Python of the lesson environment: learntorch from the wheel, no src/ on the path."""
    sys.path.insert(0, str(ROOT / "tools"))
    import lesson_env

    return lesson_env.env_python(lesson_env.lesson_env(ROOT, log=lambda message: None)), lesson_env


@pytest.mark.parametrize("script", SNIPPETS, ids=lambda p: p.name)
def test_snippet_runs_when_copied_anywhere(script, tmp_path, installed_python):
    # As a reader copies it: the file alone, in a folder of theirs, with learntorch installed;
    # reading a repository file fails (the lessons' guard, with every extra allowed).
    python, lesson_env = installed_python
    copy = tmp_path / script.name
    copy.write_text(script.read_text())
    env = {**lesson_env.kernel_environment(ROOT, ["data", "pretrained", "sequences", "deploy"], 2),
           "MPLBACKEND": "Agg"}
    result = subprocess.run([str(python), str(copy), *snippet_args(script)], cwd=tmp_path,
                            capture_output=True, text=True, timeout=TIMEOUT, env=env)
    assert result.returncode == 0, (
        f"{script.name} {' '.join(snippet_args(script))} exited {result.returncode}:\n{result.stderr[-3000:]}")


@pytest.mark.parametrize("script", SNIPPETS, ids=lambda p: p.name)
def test_snippet_is_included_in_the_docs(script):
    name = f"snippets/{script.name}"
    assert name in includes(), f'no docs page includes {name}: add  --8<-- "{name}"  to the page that explains it'
