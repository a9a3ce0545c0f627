"""Draw the glossary's figures from code at build time, cached by content hash.

Each ``docs/glossary/figures/<name>.py`` defines ``draw()``, which computes what it shows and
returns a ``matplotlib.figure.Figure`` (the object API: no pyplot, no global state). The build
saves it as ``glossary/figures/<name>.svg`` and pages include it with
``![what it shows](figures/<name>.svg)``. Like every output on the site, a figure is produced by
code that ran; nothing is pasted.

The cache key is the script's bytes plus the versions of the packages that draw and compute
(matplotlib, numpy, torch): an unchanged figure costs one hash, so a warm build imports none of
them. Run one by hand::

    python tools/glossary_figures.py docs/glossary/figures/dropout-mask.py out.svg
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import io
import os
import runpy
import sys
import tempfile
from pathlib import Path

RENDERER_VERSION = "1"  # bump to redraw every figure after changing how they are saved
PACKAGES = ("matplotlib", "numpy", "torch")


class FigureError(RuntimeError):
    """A figure script failed, or did not return a figure."""


def scripts(folder: Path) -> list[Path]:
    return sorted(p for p in Path(folder).glob("*.py") if not p.name.startswith("_"))


def cache_key(script: Path) -> str:
    h = hashlib.sha256(f"renderer={RENDERER_VERSION}".encode())
    for name in PACKAGES:
        try:
            h.update(f"{name}=={importlib.metadata.version(name)}".encode())
        except importlib.metadata.PackageNotFoundError:
            h.update(f"{name} missing".encode())
    h.update(Path(script).read_bytes())
    return h.hexdigest()[:16]


def render(script: Path) -> bytes:
    """Run ``script``'s ``draw()`` and return the figure as SVG (same code, same bytes)."""
    import matplotlib  # noqa: PLC0415 (only when a figure is drawn)
    import torch  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the figures' models are tiny: threads only add contention
    try:
        figure = runpy.run_path(str(script), run_name="glossary_figure")["draw"]()
    except Exception as err:  # a broken figure fails the build with the script's name
        raise FigureError(f"{script}: draw() raised {type(err).__name__}: {err}") from err
    finally:
        torch.set_num_threads(threads)
    if not isinstance(figure, Figure):
        raise FigureError(f"{script}: draw() must return a matplotlib.figure.Figure, not {type(figure).__name__}")
    buffer = io.BytesIO()
    # hashsalt: element ids do not change between runs; fonttype none: text stays text (small, searchable)
    with matplotlib.rc_context({"svg.hashsalt": "learntorch-glossary", "svg.fonttype": "none"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None}, facecolor="white", bbox_inches="tight")
    return buffer.getvalue()


def build_all(folder: Path, cache: Path, log=None) -> dict[str, Path]:
    """Every figure of ``folder`` as an SVG in ``cache``, drawing only those whose key changed."""
    cache.mkdir(parents=True, exist_ok=True)
    built = {}
    for script in scripts(folder):
        target = cache / f"{script.stem}-{cache_key(script)}.svg"
        if not target.exists():
            if log:
                log(f"drawing glossary figure {script.name}")
            _write_atomically(target, render(script))
            for old in cache.glob(f"{script.stem}-*.svg"):
                if old != target and old.stem.rsplit("-", 1)[0] == script.stem:
                    old.unlink(missing_ok=True)
        built[script.stem] = target
    return built


def _write_atomically(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    Path(sys.argv[2]).write_bytes(render(Path(sys.argv[1])))
