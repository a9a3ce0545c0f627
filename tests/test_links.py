"""Every link on the built site resolves, lesson (notebook) pages included.

`mkdocs build --strict` checks links written in Markdown pages; this walks the HTML that was
actually produced, so it also covers notebook pages, generated pages and anchors.
"""

from __future__ import annotations

import posixpath
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

pytestmark = pytest.mark.slow


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name"):
            if attrs.get(key):
                self.ids.add(attrs[key])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])


def _parse(path: Path, cache: dict) -> _Page:
    if path not in cache:
        cache[path] = _Page()
        cache[path].feed(path.read_text(encoding="utf-8"))
    return cache[path]


def _target(site: Path, page: Path, href: str) -> tuple[Path, str]:
    url = urlparse(href)
    here = page.relative_to(site).parent.as_posix()
    if not url.path:
        path = page.relative_to(site).as_posix()
    elif url.path.startswith("/"):  # site-absolute: the site is served from the host's root
        path = posixpath.normpath(unquote(url.path).lstrip("/")) or "."
    else:
        path = posixpath.normpath(posixpath.join(here, unquote(url.path)))
    target = site / path
    if url.path.endswith("/") or target.is_dir():
        target = target / "index.html"
    return target, url.fragment


def test_every_internal_link_and_anchor_resolves(site):
    cache: dict = {}
    broken = []
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 10
    for page in pages:
        for href in _parse(page, cache).links:
            url = urlparse(href)
            if url.scheme or href.startswith(("//", "mailto:", "javascript:")):
                continue  # off-site links are the reader's click, not a fetch
            target, fragment = _target(site, page, href)
            if not target.exists():
                broken.append(f"{page.relative_to(site)} -> {href} (no {target})")
            elif fragment and target.suffix == ".html" and fragment not in _parse(target, cache).ids:
                broken.append(f"{page.relative_to(site)} -> {href} (no #{fragment})")
    assert not broken, f"{len(broken)} broken links:\n" + "\n".join(broken[:40])
