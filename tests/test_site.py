"""The built site: executed lessons, downloads, glossary pages, and no off-site requests."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest
from conftest import ROOT, lesson_sources

pytestmark = pytest.mark.slow

LESSONS = lesson_sources()


def page_html(site: Path, src: Path) -> str:
    rel = src.relative_to(ROOT / "docs").with_suffix("")
    return (site / rel / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_lesson_page_shows_executed_outputs(site, lesson):
    html = page_html(site, lesson)
    assert "jp-OutputArea-output" in html, f"{lesson.name}: no executed output on the page"
    assert "Traceback (most recent call last)" not in html


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_lesson_downloads_are_the_executed_notebook_and_its_source(site, lesson):
    rel = lesson.relative_to(ROOT / "docs")
    nb = nbformat.read(site / rel.with_suffix(".ipynb"), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.execution_count for c in code), "every cell executed"
    assert any(c.outputs for c in code)
    assert (site / rel).read_bytes() == lesson.read_bytes()
    html = page_html(site, lesson)
    assert f'href="../{lesson.stem}.ipynb"' in html and f'href="../{lesson.stem}.md"' in html


def test_tensors_lesson_has_a_plot_and_foldable_solutions(site):
    html = page_html(site, ROOT / "docs/lessons/pytorch/tensors.md")
    assert re.search(r'<img[^>]+src="data:image/png;base64,', html), "the sigmoid plot is missing"
    assert "celltag_solution" in html


def test_every_glossary_term_has_a_page_and_an_index_entry(site):
    index = (site / "glossary" / "index.html").read_text(encoding="utf-8")
    terms = [p for p in (ROOT / "docs" / "glossary").glob("*.md") if p.name != "index.md"]
    assert len(terms) >= 5
    for term in terms:
        assert (site / "glossary" / term.stem / "index.html").is_file(), term.stem
        assert f'href="../{term.stem}/"' in index or f'href="{term.stem}/"' in index, term.stem


def test_glossary_terms_link_their_first_use_only_and_never_in_headings_links_or_code(site):
    import html as html_lib
    import sys

    sys.path.insert(0, str(ROOT / "tools"))
    import glossary

    terms = {t.slug: t for t in glossary.load_terms(ROOT / "docs" / "glossary")}
    first_use = re.compile(r'<a class="glossary-term" href="([^"]*)" title="([^"]*)">')
    linked_pages = 0
    for path in site.rglob("*.html"):
        page = path.read_text(encoding="utf-8")
        found = first_use.findall(page)
        linked_pages += bool(found)
        slugs = [href.rstrip("/").rsplit("/", 1)[-1] for href, _ in found]
        assert len(slugs) == len(set(slugs)), f"{path.relative_to(site)}: a term linked twice"
        for slug, (_, title) in zip(slugs, found):
            assert title == html_lib.escape(terms[slug].summary, quote=True), f"{path.relative_to(site)}: {slug}"
        for inside in (r"<h[1-6][^>]*>(?:(?!</h[1-6]>).)*", r"<code[^>]*>(?:(?!</code>).)*",
                       r"<pre[^>]*>(?:(?!</pre>).)*", r"<a [^>]*>(?:(?!</a>).)*"):
            assert not re.search(inside + 'class="glossary-term"', page, re.S), f"{path.relative_to(site)}: {inside}"
    assert linked_pages > 50
    dropout = (site / "glossary" / "dropout" / "index.html").read_text(encoding="utf-8")
    assert f'title="{html_lib.escape(terms["layer"].summary, quote=True)}">layer</a>' in dropout
    assert 'class="glossary-term" href="../dropout/"' not in dropout  # never the page's own term


def test_glossary_figures_are_built_and_shown(site):
    figures = sorted((site / "glossary" / "figures").glob("*.svg"))
    assert len(figures) >= 5
    pages = "".join(p.read_text(encoding="utf-8") for p in (site / "glossary").rglob("index.html"))
    for svg in figures:
        assert f'src="../figures/{svg.name}"' in pages, svg.name


class _Requests(HTMLParser):
    """Collect every URL the browser would fetch without a click."""

    FETCHING = {("script", "src"), ("img", "src"), ("iframe", "src"), ("source", "src"),
                ("audio", "src"), ("video", "src"), ("embed", "src"), ("object", "data")}

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for t, a in self.FETCHING:
            if tag == t and attrs.get(a):
                self.urls.append(attrs[a])
        if tag == "link" and attrs.get("href") and set((attrs.get("rel") or "").split()) & {
                "stylesheet", "icon", "preload", "prefetch", "preconnect", "dns-prefetch", "modulepreload"}:
            self.urls.append(attrs["href"])


def _off_site(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme in {"http", "https"} or url.startswith("//")


def test_no_page_fetches_anything_from_another_host(site):
    offenders = []
    for page in site.rglob("*.html"):
        parser = _Requests()
        parser.feed(page.read_text(encoding="utf-8"))
        offenders += [(str(page.relative_to(site)), u) for u in parser.urls if _off_site(u)]
    for css in site.rglob("*.css"):
        for url in re.findall(r"url\(\s*['\"]?(https?:)?//[^)]*\)", css.read_text(encoding="utf-8")):
            offenders.append((str(css.relative_to(site)), url))
    assert not offenders, f"off-site requests: {offenders[:10]}"
