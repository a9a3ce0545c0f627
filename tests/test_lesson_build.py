"""How lessons execute: as a learner's download runs, in parallel, failing loudly, never stale.

Each test builds a tiny project in a temp folder with the real hooks (tools/site_hooks.py) and a
fake ``learntorch`` package with its own pyproject.toml, so what is checked is the mechanism
the site uses: the wheel is built and installed into the lesson environment, lessons run in
a scratch folder outside the project with the lesson guard on.
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT, mkdocs_build

pytestmark = pytest.mark.slow

FRONT_MATTER = """\
---
jupyter:
  jupytext:
    text_representation:
      extension: .md
      format_name: markdown
      format_version: '1.3'
  kernelspec:
    display_name: Python 3
    language: python
    name: python3
  learntorch:
    extras: [{extras}]
---
"""

PYPROJECT = """\
[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"

[project]
name = "learntorch"
version = "0.0.1"
requires-python = ">=3.10"
dependencies = ["torch"]

[project.optional-dependencies]
data = ["scikit-learn"]
all = ["learntorch[data]"]

[tool.setuptools.packages.find]
where = ["src"]
"""


def make_project(tmp: Path, lessons: dict[str, str], library: str = "VALUE = 1\n",
                 extras: dict[str, str] | None = None) -> Path:
    """A minimal site: the real hooks and plugin settings, the given lessons, a fake library."""
    (tmp / "docs" / "lessons" / "demo").mkdir(parents=True)
    (tmp / "docs" / "index.md").write_text("# Home\n")
    (tmp / "src" / "learntorch").mkdir(parents=True)
    (tmp / "src" / "learntorch" / "__init__.py").write_text(library)
    (tmp / "pyproject.toml").write_text(PYPROJECT)
    for name, body in lessons.items():
        front = FRONT_MATTER.format(extras=(extras or {}).get(name, ""))
        (tmp / "docs" / "lessons" / "demo" / f"{name}.md").write_text(front + textwrap.dedent(body))
    (tmp / "mkdocs.yml").write_text(textwrap.dedent(f"""\
        site_name: demo
        hooks: ["{ROOT / 'tools' / 'site_hooks.py'}"]
        plugins:
          - mkdocs-jupyter:
              include: ["lessons/*/*.ipynb"]
              ignore: ["*.md"]
              execute: false
              allow_errors: false
              cache: false
              remove_tag_config:
                remove_cell_tags: [install]
        """))
    return tmp


def build(project: Path, workers: int = 2):
    os.environ["LEARNTORCH_WORKERS"] = str(workers)
    try:
        return mkdocs_build(project, project / "site")
    finally:
        del os.environ["LEARNTORCH_WORKERS"]


def outputs(notebook: Path) -> list:
    nb = nbformat.read(notebook, as_version=4)
    return [c.get("outputs") for c in nb.cells if c.cell_type == "code"]


def test_a_raising_cell_fails_the_build_naming_the_lesson_and_the_cell(tmp_path):
    project = make_project(tmp_path, {"broken": """\
        # Broken

        ```python
        x = 1
        ```

        ```python
        raise ValueError("deliberately broken lesson")
        ```
        """})
    result = build(project)
    assert result.returncode != 0
    assert "deliberately broken lesson" in result.stderr
    assert "lessons/demo/broken.md" in result.stderr
    assert "code cell 3, which starts `raise ValueError" in result.stderr  # cell 1 is the install cell


def test_lessons_run_outside_the_project_against_the_installed_wheel(tmp_path):
    project = make_project(tmp_path, {"where": """\
        # Where

        ```python
        import os, learntorch
        print("CWD", os.getcwd())
        print("LIB", learntorch.__file__)
        ```

        ```python
        import time
        print("printed first")
        time.sleep(0.5)  # longer than the kernel's flush interval: the two lines reach the build apart
        print("printed second")
        ```
        """})
    result = build(project)
    assert result.returncode == 0, result.stderr
    executed = outputs(next((project / ".cache" / "lessons").rglob("where.ipynb")))
    # One block on the page, however the kernel's flushes fell (lessons.merge_streams)
    assert executed[-1] == [{"output_type": "stream", "name": "stdout", "text": "printed first\nprinted second\n"}]
    text = json.dumps(executed)
    cwd = text.split("CWD ")[1].split("\\n")[0]
    lib = text.split("LIB ")[1].split("\\n")[0]
    assert not Path(cwd).resolve().is_relative_to(project.resolve()), cwd
    assert Path(lib).is_relative_to(project / ".cache" / "lesson-env"), lib  # the wheel, not src/


def test_a_lesson_that_reads_the_repository_fails(tmp_path):
    project = make_project(tmp_path, {"peeks": f"""\
        # Peeks

        ```python
        text = open({str(tmp_path / "docs" / "index.md")!r}).read()
        ```
        """})
    result = build(project)
    assert result.returncode != 0
    assert "lessons/demo/peeks.md" in result.stderr
    assert "a file of the learntorch repository" in result.stderr
    assert "missing: a file a downloaded lesson does not have" in result.stderr


def test_a_lesson_that_imports_beyond_its_install_line_fails(tmp_path):
    lesson = """\
        # Imports

        ```python
        import sklearn
        ```
        """
    project = make_project(tmp_path, {"imports": lesson})
    result = build(project)
    assert result.returncode != 0
    assert "No module named 'sklearn'" in result.stderr  # what a learner would see...
    assert "missing: scikit-learn, which this lesson's install line (learntorch) does not install" in result.stderr
    assert "lessons/demo/imports.md" in result.stderr

    ok = make_project(tmp_path / "with-extra", {"imports": lesson}, extras={"imports": "data"})
    assert build(ok).returncode == 0  # the same lesson, declaring the extra that installs it


def test_cache_reuses_outputs_and_reexecutes_on_library_or_lesson_change(tmp_path):
    # (which library edit re-executes which lesson, module by module: test_lesson_deps.py)
    src = tmp_path / "src" / "learntorch"
    project = make_project(tmp_path, {
        "reads_lib": "# Reads\n\n```python\nimport learntorch\nprint(f'VALUE={learntorch.VALUE}')\n```\n",
        "other": "# Other\n\n```python\nprint('other lesson ran')\n```\n",
    })
    page = tmp_path / "site" / "lessons" / "demo" / "reads_lib" / "index.html"

    first = build(project)
    assert first.returncode == 0, first.stderr
    assert "VALUE=1" in page.read_text()
    assert first.stderr.count(": started") == 2

    again = build(project)
    assert again.returncode == 0, again.stderr
    assert ": started" not in again.stderr, "an unchanged rebuild must reuse the cache"
    assert "VALUE=1" in page.read_text()

    (src / "__init__.py").write_text("VALUE = 2\n")  # the library changes...
    changed = build(project)
    assert changed.returncode == 0, changed.stderr
    assert "VALUE=2" in page.read_text(), "a library change must re-execute the lessons that import it"
    assert "lessons/demo/reads_lib.md: started" in changed.stderr
    assert "lessons/demo/other.md: started" not in changed.stderr, "other does not import learntorch"

    other = tmp_path / "docs" / "lessons" / "demo" / "other.md"
    other.write_text(other.read_text().replace("other lesson ran", "other lesson ran again"))
    edited = build(project)  # ...or only one lesson does
    assert edited.returncode == 0, edited.stderr
    assert "lessons/demo/other.md: started" in edited.stderr
    assert "lessons/demo/reads_lib.md: started" not in edited.stderr


SEEDED = """\
# Seeded {n}

```python
import torch
torch.manual_seed({n})
x = torch.randn(200, 50)
print((x @ x.T).sum().item(), torch.randn(3))
```
"""


def test_parallel_and_sequential_builds_print_the_same(tmp_path):
    lessons = {f"seeded{n}": SEEDED.format(n=n) for n in range(3)}
    results = {}
    for workers in (1, 2):
        project = make_project(tmp_path / f"w{workers}", lessons)
        result = build(project, workers=workers)
        assert result.returncode == 0, result.stderr
        assert f"on {workers} worker(s), 1 thread(s) each" in result.stderr  # the log says how
        assert "[worker 1] lessons/demo/seeded0.md: done in" in result.stderr or workers == 2
        results[workers] = {p.name: outputs(p) for p in (project / ".cache" / "lessons").rglob("seeded*.ipynb")}
    assert results[1] == results[2] and len(results[1]) == 3


def test_the_site_publishes_the_wheel_and_take_away_notebooks(tmp_path):
    project = make_project(tmp_path, {"demo": """\
        # Demo

        **Goal:** show the downloads.

        ```python
        print("taught")
        ```

        ## Exercises

        ```python tags=["solution"]
        print("the answer")
        ```
        """}, extras={"demo": "data"})
    result = build(project)
    assert result.returncode == 0, result.stderr
    site = project / "site"
    assert (site / "learntorch-0.0.1-py3-none-any.whl").is_file()
    executed = nbformat.read(site / "lessons/demo/demo.ipynb", as_version=4)
    first_code = next(c for c in executed.cells if c.cell_type == "code")
    assert "install" in first_code.metadata["tags"]
    assert "%pip install" in first_code.source and "learntorch[data]" in first_code.source
    assert "'sklearn'" in first_code.source  # checks the extra's packages, not only learntorch
    exercises = nbformat.read(site / "lessons/demo/demo-exercises.ipynb", as_version=4)
    solution = [c for c in exercises.cells if "solution" in c.metadata.get("tags", [])]
    assert solution and "the answer" not in solution[0].source and not solution[0].outputs
    taught = next(c for c in exercises.cells if "print(\"taught\")" in c.source)
    assert "taught" in json.dumps(taught.outputs)  # teaching cells keep their outputs
    source = (site / "lessons/demo/demo.md").read_text()
    assert "%pip install" in source and "learntorch[data]" in source  # the Jupytext copy too
    page = (site / "lessons/demo/demo/index.html").read_text()
    assert "Run it yourself" in page and "learntorch[data]" in page
    assert "%pip install" not in page  # the box replaces the install cell on the page


def test_solutions_must_come_last(tmp_path):
    project = make_project(tmp_path, {"order": """\
        # Order

        ```python tags=["solution"]
        answer = 42
        ```

        ```python
        print(answer)
        ```
        """})
    result = build(project)
    assert result.returncode != 0
    assert "comes after a solution cell" in result.stderr


def test_guard_hides_the_same_packages_from_the_build_s_metadata_file(tmp_path):
    # The build reads the lesson environment's metadata once and hands the file to every
    # kernel's guard; the guard must hide exactly what reading the metadata itself would.
    import subprocess
    import sys

    sys.path.insert(0, str(ROOT / "tools"))
    import lesson_env

    python = lesson_env.env_python(lesson_env.lesson_env(ROOT, log=lambda message: None))
    show = "import sys; print(sorted(next(f for f in sys.meta_path if hasattr(f, 'hidden')).hidden))"
    for extras in ([], ["data"], ["pretrained", "sequences"]):
        settings = json.loads(lesson_env.guard_settings(ROOT, extras))
        assert Path(settings["metadata"]).is_file()
        hidden = []
        for with_file in (True, False):
            guard = {**settings, "metadata": settings["metadata"] if with_file else None}
            env = {**lesson_env._clean_env(), "LEARNTORCH_LESSON_GUARD": json.dumps(guard)}
            out = subprocess.run([str(python), "-c", show], cwd=tmp_path, env=env, capture_output=True,
                                 text=True, check=True).stdout
            hidden.append(out)
        assert hidden[0] == hidden[1], extras
        assert ("'sklearn'" in hidden[0]) == ("data" not in extras), (extras, hidden[0])


def test_lesson_environment_is_refreshed_when_the_build_s_packages_change(tmp_path, monkeypatch):
    # The guard's metadata file lists the packages the environment sees; one installed into the
    # build's Python later must not slip past the guard, so the environment is made again.
    monkeypatch.syspath_prepend(str(ROOT / "tools"))
    import lesson_env

    project = make_project(tmp_path, {"a": "```python\nprint(1)\n```\n"})
    made = []

    def log(message):
        if "lesson environment ready" in message:
            made.append(message)

    lesson_env.lesson_env(project, log=log)
    lesson_env.lesson_env(project, log=log)
    assert len(made) == 1  # nothing changed: the environment is kept
    installed = lesson_env.installed_packages()
    monkeypatch.setattr(lesson_env, "installed_packages", lambda: [*installed, "newly-installed==1.0"])
    lesson_env.lesson_env(project, log=log)
    assert len(made) == 2
