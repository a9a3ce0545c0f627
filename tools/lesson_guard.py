"""Make a lesson kernel fail the way the lesson would fail on a learner's machine.

Copied into the build's lesson environment (tools/lesson_env.py) and imported at interpreter
start-up by a ``.pth`` line; it does nothing unless ``LEARNTORCH_LESSON_GUARD`` is set, which
only the build does. Two rules, both from "a downloaded lesson runs anywhere":

1. No file of the repository may be opened: a learner's machine has no ``docs/``, ``src/``
   or ``snippets/``. An audit hook refuses ``open`` and directory listings under them.
2. No package may be imported that the lesson's install line does not install. The allowed
   distributions are learntorch with the lesson's extras, a Jupyter kernel, and everything
   those require; any other installed package is hidden from imports (it is on the build
   machine, not on the learner's).
"""

from __future__ import annotations

import json
import os
import sys


def environment_metadata() -> dict:
    """What the guard needs to know of the installed distributions, as JSON-ready data.

    ``modules``: top-level import name -> distributions providing it; ``requires``: canonical
    distribution name -> its requirement lines. Reading these from the installed metadata
    costs ~0.4 s, in every guarded process; the build writes them once per lesson
    environment (tools/lesson_env.py) and passes the file in the guard's settings.
    """
    from importlib import metadata

    from packaging.utils import canonicalize_name

    requires = {}
    for dist in metadata.distributions():
        requires.setdefault(canonicalize_name(dist.metadata["Name"]), dist.requires or [])
    return {"modules": metadata.packages_distributions(), "requires": requires}


def _closure(roots: list[tuple[str, frozenset]], requires: dict[str, list[str]]) -> set[str]:
    """Names of the distributions ``roots`` (name, extras) require, transitively."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name, extras = todo.pop()
        key = (canonicalize_name(name), extras)
        if key in seen:
            continue
        seen.add(key)
        if key[0] not in requires:
            continue  # not installed: importing it fails on its own
        for line in requires[key[0]]:
            req = Requirement(line)
            markers = [{"extra": e} for e in extras] or [{"extra": ""}]
            if req.marker is None or any(req.marker.evaluate(m) for m in markers):
                todo.append((req.name, frozenset(req.extras)))
    return {name for name, _ in seen}


class _InstallLinePathFinder:
    """Python's path finder, blind to installed distributions outside the allowed set.

    It replaces ``importlib.machinery.PathFinder`` in ``sys.meta_path``, so a hidden package
    is absent in every way Python can tell: ``import x`` raises the usual
    ``ModuleNotFoundError`` and ``importlib.util.find_spec("x")`` returns None, as code that
    probes for optional packages (torch does) expects. The build names the distribution and
    the missing extra when it reports the failure (tools/lessons.py).
    """

    def __init__(self, allowed: set[str], modules: dict[str, list[str]], inner):
        from packaging.utils import canonicalize_name

        self.inner = inner
        self.hidden = {module for module, dists in modules.items()
                       if not {canonicalize_name(d) for d in dists} & allowed}

    def find_spec(self, fullname, path=None, target=None):
        if "." not in fullname and fullname in self.hidden:
            return None
        return self.inner.find_spec(fullname, path, target)

    def find_distributions(self, *args, **kwargs):  # importlib.metadata asks the finders
        return self.inner.find_distributions(*args, **kwargs)

    def invalidate_caches(self):
        self.inner.invalidate_caches()


def _forbid(roots: list[str]):
    roots = [os.path.realpath(r) for r in roots]
    watched = {"open", "os.listdir", "os.scandir", "glob.glob"}

    def hook(event, args):
        if event not in watched or not args or not isinstance(args[0], (str, bytes, os.PathLike)):
            return
        path = os.fsdecode(args[0]) if not isinstance(args[0], int) else ""
        if not path:
            return
        full = os.path.abspath(path)
        for root in roots:
            if full == root or full.startswith(root + os.sep):
                raise PermissionError(
                    f"this lesson read {path!r}, which is {full}: a file of the learntorch "
                    f"repository. A downloaded lesson has no repository; create the file in the "
                    f"lesson (relative paths are fine) or get it through learntorch")
    sys.addaudithook(hook)


def _read_metadata(path: str | None) -> dict:
    """The file the build wrote with :func:`environment_metadata`, or the same read now."""
    if path:
        try:
            with open(path, encoding="utf-8") as f:
                return json.load(f)
        except OSError:
            pass  # an environment made before the file existed: read the metadata instead
    return environment_metadata()


def install(settings: dict) -> None:
    from packaging.utils import canonicalize_name

    extras = list(settings.get("extras", []))
    roots = [("learntorch", frozenset(extras))] + [(k, frozenset()) for k in settings.get("kernel", [])]
    known = _read_metadata(settings.get("metadata"))
    allowed = {canonicalize_name(n) for n in _closure(roots, known["requires"])}
    from importlib.machinery import PathFinder

    sys.meta_path[:] = [_InstallLinePathFinder(allowed, known["modules"], f) if f is PathFinder else f
                        for f in sys.meta_path]
    _forbid(settings.get("forbidden", []))


_settings = os.environ.get("LEARNTORCH_LESSON_GUARD")
if _settings:
    try:
        install(json.loads(_settings))
    except Exception as err:  # an unguarded lesson would pass checks it should fail: stop
        print(f"learntorch lesson guard could not start: {err!r}", file=sys.stderr)
        os._exit(70)
