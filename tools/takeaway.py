"""What a learner takes away from a lesson page: notebooks that run anywhere, and how to install.

- :func:`lesson_needs`: the extras and shared models a lesson declares in its front matter;
- :func:`install_line`: ``pip install "learntorch[data] @ <where>"`` for those extras;
- :func:`with_install_cell`: the lesson as a notebook whose first code cell installs what is
  missing (and does nothing when it is installed, as in the build);
- :func:`exercise_copy`: the same notebook with the solution cells emptied;
- :func:`run_box`: the "Run it yourself" box at the top of each lesson page.

The front matter of a lesson (under ``jupyter:``)::

    learntorch:
      extras: [data]          # pip extras: see [project.optional-dependencies] in pyproject.toml
      shared: [fashion-cnn]   # trained models from learntorch.zoo.SHARED it loads
"""

from __future__ import annotations

import copy
import functools
import html
import importlib.metadata
import re
from pathlib import Path

import nbformat

INSTALL_TAG = "install"
SOLUTION_TAG = "solution"
KNOWN_EXTRAS = ("data", "pretrained", "sequences", "deploy")
EXERCISE_PLACEHOLDER = "# Your solution here: the executed notebook and the lesson page show one.\n"


def lesson_needs(nb) -> dict:
    """``{"extras": [...], "shared": [...]}`` from a lesson notebook's metadata, checked."""
    meta = nb.metadata.get("learntorch") or {}
    extras, shared = list(meta.get("extras") or []), list(meta.get("shared") or [])
    unknown = [e for e in extras if e not in KNOWN_EXTRAS]
    if unknown:
        raise ValueError(f"unknown extras {unknown} in the lesson's front matter; known: {', '.join(KNOWN_EXTRAS)}")
    if set(meta) - {"extras", "shared"}:
        raise ValueError(f"unknown keys {sorted(set(meta) - {'extras', 'shared'})} under learntorch: in the "
                         "lesson's front matter; expected extras and shared")
    return {"extras": extras, "shared": shared}


def requirement(extras: list[str]) -> str:
    return f"learntorch[{','.join(extras)}]" if extras else "learntorch"


def install_source(wheel: str, site_url: str | None, repo_url: str | None) -> str | None:
    """Where a notebook installs learntorch from: the site's wheel, else the repository.

    Examples:
        >>> install_source("learntorch-0.1.0-py3-none-any.whl", "https://x.org/notes/", None)
        'https://x.org/notes/learntorch-0.1.0-py3-none-any.whl'
        >>> install_source("w.whl", "", "https://github.com/o/learntorch")
        'git+https://github.com/o/learntorch'
    """
    if site_url:
        return site_url.rstrip("/") + "/" + wheel
    if repo_url:
        return "git+" + repo_url.rstrip("/")
    return None


def install_line(extras: list[str], source: str | None) -> str:
    """The pip command a learner runs for a lesson with these ``extras``.

    Examples:
        >>> install_line(["data"], "https://x.org/learntorch-0.1.0-py3-none-any.whl")
        'pip install "learntorch[data] @ https://x.org/learntorch-0.1.0-py3-none-any.whl"'
    """
    return f'pip install "{requirement(extras)} @ {source or "<the wheel on this site>"}"'


def extra_requirements(root: Path) -> dict[str, list[str]]:
    """``{extra: [distribution names]}`` from the project's pyproject.toml (``all`` expanded)."""
    import tomllib

    from packaging.requirements import Requirement

    with open(Path(root) / "pyproject.toml", "rb") as f:
        table = tomllib.load(f)["project"].get("optional-dependencies", {})

    def names(extra, seen=()):
        out = []
        for line in table.get(extra, []):
            req = Requirement(line)
            if req.name == "learntorch":  # "all" and "docs" list other extras
                out += [n for e in sorted(req.extras) if e not in seen for n in names(e, (*seen, e))]
            else:
                out.append(req.name)
        return out
    return {extra: names(extra) for extra in table}


@functools.cache
def _import_names() -> dict[str, list[str]]:
    """Installed distribution (canonical name) -> its top-level import names.

    Cached: reading every installed distribution's file list takes ~0.5 s, and a build asks
    once per lesson.
    """
    from packaging.utils import canonicalize_name

    owners: dict[str, list[str]] = {}
    for module, dists in importlib.metadata.packages_distributions().items():
        for dist in dists:
            owners.setdefault(canonicalize_name(dist), []).append(module)
    return owners


def extra_modules(root: Path, extras: list[str]) -> list[str]:
    """Import names that show the ``extras`` are installed: one per distribution they add.

    Distribution names come from pyproject.toml (the only list); their import names from the
    installed distributions' metadata.
    """
    from packaging.utils import canonicalize_name

    owners = _import_names()
    requirements = extra_requirements(root)
    modules = []
    for extra in extras:
        for name in requirements.get(extra, []):
            names = sorted((m for m in owners.get(canonicalize_name(name), []) if not m.startswith("_")),
                           key=len) or [name.replace("-", "_")]
            if names[0] not in modules:
                modules.append(names[0])
    return modules


INSTALL_CELL = '''\
# Run it yourself: this cell installs learntorch and what this lesson needs when they are
# missing (a fresh environment, Colab) and does nothing when they are installed. To install
# from elsewhere (a wheel you downloaded), set the environment variable LEARNTORCH_WHEEL.
import importlib.metadata, importlib.util, os
if any(importlib.util.find_spec(m) is None for m in {modules!r}) \\
        or importlib.metadata.version("learntorch") != {version!r}:
    source = os.environ.get("LEARNTORCH_WHEEL", {source!r})
    if not source:
        raise RuntimeError("Where to install learntorch from is not known: copy the pip command "
                           "from the lesson page, or set LEARNTORCH_WHEEL to the wheel's address")
    %pip install --quiet "{requirement} @ {{source}}"
    if importlib.util.find_spec("learntorch") is None:
        raise ModuleNotFoundError(f"learntorch could not be installed from {{source}}: check the "
                                  "address (the lesson page shows it) and your connection")
'''


def install_cell_source(root: Path, extras: list[str], version: str, source: str | None) -> str:
    """The first code cell of every downloadable lesson."""
    modules = ["learntorch", *extra_modules(root, extras)]
    return INSTALL_CELL.format(modules=tuple(modules), version=version, source=source or "",
                               requirement=requirement(extras)).rstrip("\n")


def with_install_cell(nb, source: str) -> nbformat.NotebookNode:
    """A copy of ``nb`` whose first code cell is ``source`` (tagged "install").

    Put after the leading Markdown cells (the title and goal), replacing an existing install
    cell: what the build ran is what the learner downloads, only the address may differ.
    """
    nb = copy.deepcopy(nb)
    cells = [c for c in nb.cells if INSTALL_TAG not in c.metadata.get("tags", [])]
    old = next((c for c in nb.cells if INSTALL_TAG in c.metadata.get("tags", [])), None)
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": [INSTALL_TAG]})
    if old is not None:  # keep what ran (its count and its outputs, normally none)
        cell.execution_count, cell.outputs = old.get("execution_count"), old.get("outputs", [])
        cell.metadata = {**old.metadata, "tags": [INSTALL_TAG]}
    first_code = next((i for i, c in enumerate(cells) if c.cell_type == "code"), len(cells))
    cells.insert(first_code, cell)
    nb.cells = cells
    return nb


def exercise_copy(nb) -> nbformat.NotebookNode:
    """``nb`` with every solution cell emptied (source replaced, outputs removed)."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "code" and SOLUTION_TAG in cell.metadata.get("tags", []):
            cell.source = EXERCISE_PLACEHOLDER
            cell.outputs = []
            cell.execution_count = None
    return nb


def check_solutions_last(nb, name: str) -> None:
    """Raise when a non-solution code cell follows a solution cell (it could use what the
    exercise copy empties)."""
    seen = False
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tagged = SOLUTION_TAG in cell.metadata.get("tags", [])
        if seen and not tagged:
            first = (cell.source.strip().splitlines() or [""])[0]
            raise ValueError(f"{name}: the code cell `{first[:60]}` comes after a solution cell; the "
                             "exercise copy empties solutions, so solutions must come last")
        seen = seen or tagged


def run_box(*, name: str, extras: list[str], source: str | None, wheel: str, seconds,
            colab_url: str | None, relative_root: str) -> str:
    """The "Run it yourself" box: the install command, the downloads, Open in Colab."""
    if source:
        command = f'<code>{html.escape(install_line(extras, source))}</code>'
    else:  # no site_url: the page works out the wheel's address from its own
        command = (f'<code data-wheel="{html.escape(relative_root + wheel)}" '
                   f'data-requirement="{html.escape(requirement(extras))}">'
                   f'{html.escape(install_line(extras, None))}</code>')
    colab = (f'<a class="md-button" href="{html.escape(colab_url)}">Open in Colab</a>'
             if colab_url else "")
    ran = f"It ran in {seconds:.0f} s when this site was built. " if seconds is not None else ""
    return (
        '<div class="run-box" role="region" aria-label="Run it yourself">'
        '<p class="run-box__title">Run it yourself</p>'
        f'<div class="highlight"><pre>{command}</pre></div>'
        '<p class="run-box__downloads">'
        f'<a class="md-button md-button--primary" href="../{name}.ipynb" download>Notebook (with outputs)</a> '
        f'<a class="md-button" href="../{name}-exercises.ipynb" download>Exercise copy</a> '
        f'<a class="md-button" href="../{name}.md" download>Jupytext source</a> {colab}</p>'
        f'<p class="run-box__note">The notebook\'s first cell runs this install when learntorch is missing, '
        f'from any folder. {ran}Every output below was produced by that run.</p></div>'
    )


def slug(rel: str) -> str:
    return re.sub(r"\.md$", "", Path(rel).name)
