"""Which files of ``src/learntorch`` a lesson's outputs depend on: part of its cache key.

A lesson depends on the learntorch modules its code imports, and on every module those import
in turn (read from their source: every import statement, those inside functions too). So an
edit to ``learntorch/export.py`` re-executes the lessons that reach it, not all of them.

Where reading the imports cannot tell, a lesson depends on the whole library:

- it uses shared models (``learntorch.zoo`` trains them with any part of the library);
- learntorch appears other than as an imported name: in a string (a command such as
  ``python -m learntorch`` run by ``subprocess``) or a ``!``/``%`` line of the notebook;
- a code cell is not Python the reader understands.
"""

from __future__ import annotations

import ast
import functools
import hashlib
from pathlib import Path

PACKAGE = "learntorch"


def _is_ours(name: str | None) -> bool:
    return bool(name) and (name == PACKAGE or name.startswith(PACKAGE + "."))


def _imported(tree: ast.AST, package: str | None) -> set[str]:
    """The learntorch modules the import statements of ``tree`` name, anywhere in it.

    ``from learntorch import zoo`` imports a module, ``from learntorch.data import TensorLoader``
    a name: both candidates are kept (names that are no file drop out later). Relative imports
    are resolved against ``package``; without one (a lesson) they are ignored.
    """
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if _is_ours(alias.name)}
        elif isinstance(node, ast.ImportFrom):
            if node.level and package is None:
                continue
            if node.level:
                parts = package.split(".")
                parent = ".".join(parts[:len(parts) - node.level + 1])
                base = f"{parent}.{node.module}" if node.module else parent
            else:
                base = node.module
            if _is_ours(base):
                found |= {base} | {f"{base}.{alias.name}" for alias in node.names}
    return found


def imported_modules(code: str) -> set[str] | None:
    """The learntorch modules ``code`` (a lesson's code cells) imports, or None for "cannot tell"."""
    lines = []
    for line in code.splitlines():
        if line.lstrip().startswith(("%", "!")):  # notebook magics and shell commands
            if PACKAGE in line:
                return None
            line = ""
        lines.append(line)
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return None
    if any(isinstance(node, ast.Constant) and isinstance(node.value, str) and PACKAGE in node.value
           for node in ast.walk(tree)):
        return None  # e.g. subprocess.run(["python", "-m", "learntorch", ...])
    return _imported(tree, package=None)


def _module_file(src: Path, module: str) -> Path | None:
    """``learntorch.data.text`` -> src/learntorch/data/text.py (or a package's __init__.py)."""
    base = src.parent.joinpath(*module.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _imports_of(path: Path, module: str) -> set[str]:
    """The learntorch modules the source file of ``module`` imports (absolute or relative)."""
    stat = path.stat()
    return _read_imports(str(path), module, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=1024)
def _read_imports(path: str, module: str, mtime_ns: int, size: int) -> frozenset[str]:
    """``_imports_of``, parsed once per version of the file (a build asks for each lesson)."""
    package = module if path.endswith("__init__.py") else module.rpartition(".")[0]
    return frozenset(_imported(ast.parse(Path(path).read_text(encoding="utf-8")), package))


def library_files(src: Path, modules: set[str]) -> set[Path]:
    """The source files of ``modules``, their packages and everything they import, in ``src``
    (the ``src/learntorch`` folder)."""
    files, seen, todo = set(), set(), list(modules)
    while todo:
        module = todo.pop()
        if module in seen or not _is_ours(module):
            continue
        seen.add(module)
        todo.append(module.rpartition(".")[0])  # importing a.b runs a/__init__.py first
        path = _module_file(Path(src), module)
        if path is not None:
            files.add(path)
            todo += _imports_of(path, module)
    return files


def dependency_hash(src: Path, code: str, uses_shared_models: bool) -> str:
    """A hash of the library files a lesson with ``code`` depends on (see the module doc)."""
    src = Path(src)
    modules = None if uses_shared_models else imported_modules(code)
    files = sorted(src.rglob("*.py")) if modules is None else sorted(library_files(src, modules))
    h = hashlib.sha256()
    for path in files:
        h.update(path.relative_to(src).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()
