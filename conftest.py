"""Sybil runs the ```python examples of every Markdown page except the lessons.

Lessons are Jupytext notebooks: the site build executes them (tests/test_site.py), so here
they are excluded rather than run twice, without their outputs being checked.
"""

from doctest import ELLIPSIS, NORMALIZE_WHITESPACE

import matplotlib

matplotlib.use("Agg")  # doctests that draw must not need a display

import torch  # noqa: E402

# The examples are tiny: one thread avoids paying for thread start-up and contention on every
# small op (measured ~10x faster on a loaded two-core machine).
torch.set_num_threads(1)

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
