"""Lesson sources stay readable on the site: code lines fit a code cell on a desktop screen.

At 1280 px a code cell shows about 122 characters (tests/test_browser.py measures the rendered
cells); 116 leaves a margin, and is checked here in a second, without building the site.
"""

from __future__ import annotations

import pytest
from conftest import lesson_sources

MAX_CODE_LINE = 116


@pytest.mark.parametrize("lesson", lesson_sources(), ids=lambda p: p.stem)
def test_code_lines_fit_a_code_cell(lesson):
    long, inside = [], False
    for number, line in enumerate(lesson.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("```"):
            inside = line.startswith("```python")
            continue
        if inside and len(line) > MAX_CODE_LINE:
            long.append(f"line {number} ({len(line)} characters): {line.strip()[:60]}...")
    assert not long, f"{lesson.name}: code lines over {MAX_CODE_LINE} characters:\n" + "\n".join(long)
