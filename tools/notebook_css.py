"""Trim the notebook stylesheet to the rules the lesson pages can use.

mkdocs-jupyter ships JupyterLab's whole stylesheet (~590 KB: widgets, menus, dialogs, Material
colour palettes as custom properties) for pages that use a few dozen of its classes. After the
build has written every lesson page, a rule is kept when one of its selectors names only classes
that occur on some lesson page, and a custom property (``--jp-…``) when something kept still
reads it with ``var()``. What the browser computes for the pages is unchanged; the file shrinks
to a few per cent (``tests/test_pages.py`` checks both).

Classes inside ``:not(…)``, ``:is(…)`` or attribute selectors are not required: a selector such
as ``.a:not(.b)`` matches on a page without ``b``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import tinycss2

CLASS_ATTR = re.compile(r'\bclass="([^"]*)"')
VAR_USE = re.compile(r"var\(\s*(--[\w-]+)")


def page_classes(pages: Iterable[str]) -> set[str]:
    """Every class name used in the HTML ``pages``."""
    return {name for page in pages for match in CLASS_ATTR.finditer(page) for name in match[1].split()}


def _selectors(prelude: list) -> list[list]:
    """A rule's prelude split at its top-level commas (commas inside ``:not(…)`` stay)."""
    selectors = [[]]
    for token in prelude:
        if token.type == "literal" and token.value == ",":
            selectors.append([])
        else:
            selectors[-1].append(token)
    return selectors


def _required_classes(selector: list) -> set[str]:
    """The classes an element chain must carry for ``selector`` to match anything."""
    names = set()
    for before, token in zip([None, *selector], selector):
        if token.type == "ident" and before is not None and before.type == "literal" and before.value == ".":
            names.add(token.value)
    return names  # function blocks (:not, :is) and [attr] blocks are nested tokens: not walked


def _rewrite(css_rules: list, rule_text) -> str:
    """The stylesheet with each qualified rule replaced by ``rule_text(rule)`` (None drops it),
    inside ``@media``/``@supports`` too (dropped when nothing is left in them); other at-rules
    (``@keyframes``, ``@charset``) stay as they are."""
    out = []
    for rule in css_rules:
        if rule.type == "qualified-rule":
            out.append(rule_text(rule) or "")
        elif rule.type == "at-rule" and rule.lower_at_keyword in ("media", "supports") and rule.content:
            inner = _rewrite(tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True),
                             rule_text)
            if inner:
                out.append(f"@{rule.at_keyword}{tinycss2.serialize(rule.prelude)}{{{inner}}}")
        elif rule.type != "error":
            out.append(tinycss2.serialize([rule]))
    return "".join(out)


def _parse(css: str) -> list:
    return tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)


def _trim_rules(css: str, classes: set[str]) -> str:
    """``css`` with only the selectors ``classes`` can match."""
    def keep_matching(rule):
        selectors = [s for s in _selectors(rule.prelude) if _required_classes(s) <= classes]
        if selectors:
            prelude = ",".join(tinycss2.serialize(s).strip() for s in selectors)
            return f"{prelude}{{{tinycss2.serialize(rule.content).strip()}}}"
        return None

    return _rewrite(_parse(css), keep_matching)


def _drop_unread_properties(css: str, read: set[str]) -> str:
    """``css`` without custom property declarations nobody reads."""
    def without_unread(rule):
        body = [d for d in tinycss2.parse_blocks_contents(rule.content, skip_comments=True, skip_whitespace=True)
                if not (d.type == "declaration" and d.name.startswith("--") and d.name not in read)]
        if not body:
            return None
        text = ";".join(tinycss2.serialize([d]).strip().rstrip(";") for d in body)
        return f"{tinycss2.serialize(rule.prelude).strip()}{{{text}}}"

    return _rewrite(_parse(css), without_unread)


def trim(sheets: dict[str, str], classes: set[str], also_reading: str = "") -> dict[str, str]:
    """Each stylesheet of ``sheets`` (name -> CSS) with only the rules ``classes`` can match.

    ``also_reading`` is other CSS or HTML whose ``var(--x)`` keep ``--x`` (the site's own
    stylesheet, inline styles). Custom properties are dropped until none is unread: one may only
    feed another.
    """
    out = {name: _trim_rules(css, classes) for name, css in sheets.items()}
    while True:
        read = set(VAR_USE.findall(also_reading)).union(*(VAR_USE.findall(css) for css in out.values()))
        smaller = {name: _drop_unread_properties(css, read) for name, css in out.items()}
        if smaller == out:
            return out
        out = smaller
