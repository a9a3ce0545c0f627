"""Sybil runs the ```python examples of every Markdown page except the lessons.

Lessons are Jupytext notebooks: the site build executes them (tests/test_site.py), so here
they are excluded rather than run twice, without their outputs being checked.
"""

from doctest import ELLIPSIS, NORMALIZE_WHITESPACE

import matplotlib

matplotlib.use("Agg")  # doctests that draw must not need a display

from sybil import Sybil  # noqa: E402
from sybil.parsers.markdown import ClearNamespaceParser, PythonCodeBlockParser, SkipParser  # noqa: E402

pytest_collect_file = Sybil(
    parsers=[
        PythonCodeBlockParser(doctest_optionflags=ELLIPSIS | NORMALIZE_WHITESPACE),
        SkipParser(),
        ClearNamespaceParser(),
    ],
    path="docs",
    patterns=["*.md", "**/*.md"],
    excludes=["lessons/*.md", "lessons/*/*.md"],
).pytest()
