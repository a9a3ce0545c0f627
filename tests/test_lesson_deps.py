"""A lesson's cache key follows the library files it depends on, and only those.

``tools/lesson_deps.py`` reads a lesson's imports and the library's own imports; these tests use
a small stand-in library so that they say exactly which edit re-executes which lesson.
"""

from __future__ import annotations

import sys

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import lesson_deps  # noqa: E402  (tools/lesson_deps.py)


@pytest.fixture
def src(tmp_path):
    """src/learntorch with: data (a package, its loaders import ..checks), models (imports
    data lazily, inside a function), export (alone), and checks."""
    lib = tmp_path / "src" / "learntorch"
    (lib / "data").mkdir(parents=True)
    files = {
        "__init__.py": "__version__ = '1'\n",
        "checks.py": "def positive(x): return x > 0\n",
        "data/__init__.py": "from .loaders import TensorLoader\n",
        "data/loaders.py": "from ..checks import positive\nclass TensorLoader: pass\n",
        "models.py": "def build():\n    from learntorch.data import TensorLoader\n    return TensorLoader\n",
        "export.py": "import torch\n",
    }
    for name, text in files.items():
        (lib / name).write_text(text)
    return lib


def names(src, files):
    return sorted(p.relative_to(src).as_posix() for p in files)


def test_a_lesson_depends_on_what_it_imports_and_what_that_imports(src):
    modules = lesson_deps.imported_modules("import torch\nfrom learntorch.models import build\n")
    assert names(src, lesson_deps.library_files(src, modules)) == [
        "__init__.py", "checks.py", "data/__init__.py", "data/loaders.py", "models.py"]
    modules = lesson_deps.imported_modules("from learntorch import export\n")
    assert names(src, lesson_deps.library_files(src, modules)) == ["__init__.py", "export.py"]
    assert lesson_deps.imported_modules("import numpy as np\nprint(np.pi)\n") == set()


@pytest.mark.parametrize("code", [
    "import subprocess\nsubprocess.run(['python', '-m', 'learntorch', 'train'])\n",  # another process
    "!learntorch train --epochs 1\n",  # a shell line
    "x = (\n",  # not Python: cannot tell
])
def test_when_imports_cannot_tell_a_lesson_depends_on_the_whole_library(code):
    assert lesson_deps.imported_modules(code) is None


def test_magic_lines_without_learntorch_are_ignored():
    assert lesson_deps.imported_modules("%matplotlib inline\nfrom learntorch import models\n") == {
        "learntorch", "learntorch.models"}


def test_the_hash_changes_with_a_dependency_only(src):
    uses_models = "from learntorch.models import build\n"
    uses_nothing = "print('no library')\n"
    before = {code: lesson_deps.dependency_hash(src, code, False) for code in (uses_models, uses_nothing)}
    (src / "export.py").write_text("import torch  # edited\n")  # not reached by either lesson
    assert {code: lesson_deps.dependency_hash(src, code, False) for code in before} == before
    (src / "checks.py").write_text("def positive(x): return x >= 0\n")  # reached through data.loaders
    assert lesson_deps.dependency_hash(src, uses_models, False) != before[uses_models]
    assert lesson_deps.dependency_hash(src, uses_nothing, False) == before[uses_nothing]


def test_a_lesson_with_shared_models_depends_on_every_file(src):
    code = "print('no import')\n"
    before = lesson_deps.dependency_hash(src, code, True)
    assert before != lesson_deps.dependency_hash(src, code, False)
    (src / "export.py").write_text("import torch  # edited\n")
    assert lesson_deps.dependency_hash(src, code, True) != before
