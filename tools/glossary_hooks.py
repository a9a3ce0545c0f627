"""MkDocs hooks for the glossary (registered under ``hooks:`` in mkdocs.yml, after site_hooks.py).

Everything is generated from the term pages' front matter (see ``tools/glossary.py``): the
index, the Glossary section of the navigation, each term page's header, the figures, the
first-use links on every page and the copy text of ``>>>`` examples. Kept apart from
``site_hooks.py`` (lessons), so the two change independently.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

sys.path.insert(0, str(Path(__file__).resolve().parent))
import glossary  # noqa: E402  (tools/glossary.py)
import glossary_figures  # noqa: E402  (tools/glossary_figures.py)

_glossary: glossary.Glossary | None = None


def on_config(config):
    global _glossary
    try:
        _glossary = glossary.Glossary(config)  # also puts every term into the nav
    except ValueError as err:
        raise PluginError(str(err)) from err
    return config


def on_files(files, config):
    try:
        _glossary.add_figures(files, config, log=logging.getLogger("mkdocs.learntorch").info)
    except glossary_figures.FigureError as err:
        raise PluginError(str(err)) from err
    return files


def on_page_markdown(markdown, page, config, files):
    return _glossary.page_markdown(markdown, page)


@event_priority(-100)  # after site_hooks has rewritten lesson links: they are page URLs by then
def on_page_content(html, page, config, files):
    return _glossary.page_content(html, page, files)
