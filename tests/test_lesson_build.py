"""How lessons execute: a raising cell fails the build, and cached outputs never go stale.

Each test builds a tiny project in a temp folder with the real hooks (tools/site_hooks.py),
so what is checked is the mechanism the site uses, not a copy of it.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

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
---
"""


def make_project(tmp: Path, lessons: dict[str, str], library: str = "VALUE = 1\n") -> Path:
    """A minimal site: the real hooks and plugin settings, the given lessons, a fake library."""
    (tmp / "docs" / "lessons" / "demo").mkdir(parents=True)
    (tmp / "docs" / "index.md").write_text("# Home\n")
    (tmp / "src" / "learntorch").mkdir(parents=True)
    (tmp / "src" / "learntorch" / "__init__.py").write_text(library)
    for name, body in lessons.items():
        (tmp / "docs" / "lessons" / "demo" / f"{name}.md").write_text(FRONT_MATTER + textwrap.dedent(body))
    (tmp / "mkdocs.yml").write_text(textwrap.dedent(f"""\
        site_name: demo
        hooks: ["{ROOT / 'tools' / 'site_hooks.py'}"]
        plugins:
          - mkdocs-jupyter:
              include: ["lessons/*/*.ipynb"]
              execute: false
              allow_errors: false
              cache: false
        """))
    return tmp


# The lesson reads the temp project's library, as real lessons read src/learntorch.
READS_LIBRARY = """\
# Demo

```python
import importlib.util, pathlib
spec = importlib.util.spec_from_file_location("lib", pathlib.Path("{src}") / "__init__.py")
lib = importlib.util.module_from_spec(spec); spec.loader.exec_module(lib)
print(f"VALUE={{lib.VALUE}}")
```
"""


def test_a_raising_cell_fails_the_build(tmp_path):
    project = make_project(tmp_path, {"broken": """\
        # Broken

        ```python
        raise ValueError("deliberately broken lesson")
        ```
        """})
    result = mkdocs_build(project, tmp_path / "site")
    assert result.returncode != 0
    assert "deliberately broken lesson" in result.stderr
    assert "lessons/demo/broken.md" in result.stderr


def test_cache_reuses_outputs_and_reexecutes_on_library_or_lesson_change(tmp_path):
    src = tmp_path / "src" / "learntorch"
    project = make_project(tmp_path, {
        "reads_lib": READS_LIBRARY.format(src=src),
        "other": "# Other\n\n```python\nprint('other lesson ran')\n```\n",
    })
    page = tmp_path / "site" / "lessons" / "demo" / "reads_lib" / "index.html"

    first = mkdocs_build(project, tmp_path / "site")
    assert first.returncode == 0, first.stderr
    assert "VALUE=1" in page.read_text()
    assert first.stderr.count("executing lessons/") == 2

    again = mkdocs_build(project, tmp_path / "site")
    assert again.returncode == 0, again.stderr
    assert "executing lessons/" not in again.stderr, "an unchanged rebuild must reuse the cache"
    assert "VALUE=1" in page.read_text()

    (src / "__init__.py").write_text("VALUE = 2\n")  # the library changes...
    changed = mkdocs_build(project, tmp_path / "site")
    assert changed.returncode == 0, changed.stderr
    assert "VALUE=2" in page.read_text(), "a library change must re-execute the lessons"
    assert changed.stderr.count("executing lessons/") == 2

    other = tmp_path / "docs" / "lessons" / "demo" / "other.md"
    other.write_text(other.read_text().replace("other lesson ran", "other lesson ran again"))
    edited = mkdocs_build(project, tmp_path / "site")  # ...or only one lesson does
    assert edited.returncode == 0, edited.stderr
    assert "executing lessons/demo/other.md" in edited.stderr
    assert "executing lessons/demo/reads_lib.md" not in edited.stderr
