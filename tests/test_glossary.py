"""The glossary stays consistent with itself and with the lessons, in both directions.

- every term page has the front matter the index and hover text are built from, and the
  sections every term page shares;
- every link from a term page to another term or a lesson points at a page that exists;
- a lesson a term page lists under "Used in" links back to that term (the lesson is built
  around it), and a lesson that links a term is listed in that term's "Used in";
- every term appears in the generated A-Z index.
"""

from __future__ import annotations

import posixpath
import re
import sys
from pathlib import Path

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import glossary  # noqa: E402

DOCS = ROOT / "docs"
GLOSSARY = DOCS / "glossary"
TERMS = sorted(p for p in GLOSSARY.glob("*.md") if p.name != "index.md")
LESSONS = sorted((DOCS / "lessons").glob("*/*.md"))
LINK = re.compile(r"\]\(([^)\s#]+\.md)(?:#[^)]*)?\)")
SECTIONS = ["## Why it matters", "## In PyTorch", "## Related terms", "## Used in"]


def links(page: Path) -> set[str]:
    """Docs-relative targets of the Markdown links in ``page``."""
    base = posixpath.dirname(page.relative_to(DOCS).as_posix())
    return {posixpath.normpath(posixpath.join(base, target)) for target in LINK.findall(page.read_text())}


def section(page: Path, title: str) -> str:
    text = page.read_text()
    match = re.search(rf"^{re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    return match[1] if match else ""


def used_in(term: Path) -> set[str]:
    page_dir = posixpath.dirname(term.relative_to(DOCS).as_posix())
    return {posixpath.normpath(posixpath.join(page_dir, t)) for t in LINK.findall(section(term, "## Used in"))}


def test_there_are_at_least_90_terms():
    assert len(TERMS) >= 90, f"only {len(TERMS)} glossary pages"


@pytest.mark.parametrize("term", TERMS, ids=lambda p: p.stem)
def test_term_page_follows_the_pattern(term):
    meta = glossary.read_front_matter(term)
    assert meta.get("title") and meta.get("summary"), "front matter needs title and summary"
    assert len(meta["summary"]) <= 200, "the summary is hover text: keep it to one line"
    text = term.read_text()
    assert re.search(r"^# .+", text, re.M), "a '# Title' heading"
    for title in SECTIONS:
        assert title in text, f"missing section {title!r}"
    assert "```python\n>>>" in section(term, "## In PyTorch"), "a doctested PyTorch example"
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", term.stem), "file name in kebab-case"


@pytest.mark.parametrize("term", TERMS, ids=lambda p: p.stem)
def test_term_links_point_at_existing_pages(term):
    missing = sorted(t for t in links(term) if not (DOCS / t).is_file())
    assert not missing, f"links to pages that do not exist: {missing}"
    assert used_in(term), "'Used in' links at least one lesson"


def test_lessons_link_the_terms_that_list_them_and_vice_versa():
    problems = []
    lesson_links = {lesson.relative_to(DOCS).as_posix(): links(lesson) for lesson in LESSONS}
    for term in TERMS:
        term_rel = term.relative_to(DOCS).as_posix()
        for lesson in used_in(term):
            if lesson in lesson_links and term_rel not in lesson_links[lesson]:
                problems.append(f"{term_rel} says it is used in {lesson}, which never links to it")
    for lesson, targets in lesson_links.items():
        for target in targets:
            if target.startswith("glossary/") and (DOCS / target).is_file() and target != "glossary/index.md":
                if lesson not in used_in(DOCS / target):
                    problems.append(f"{lesson} links {target}, whose 'Used in' does not list it")
    assert not problems, f"{len(problems)} inconsistencies:\n" + "\n".join(problems)


def test_index_lists_every_term_and_alias():
    terms = glossary.load_terms(GLOSSARY)
    index = glossary.index_markdown(terms)
    for term in terms:
        assert f"]({term.slug}.md)" in index
        for alias in term.aliases:
            assert f"{alias}: see [{term.title}]({term.slug}.md)" in index
    assert (GLOSSARY / "index.md").read_text().count(glossary.INDEX_MARKER) == 1


@pytest.mark.parametrize("synonym, canonical", [
    ("criterion", "loss-function"), ("kernel", "filter-kernel"), ("weight decay", "l2-regularization"),
])
def test_synonyms_are_listed_on_their_canonical_page(synonym, canonical):
    meta = glossary.read_front_matter(GLOSSARY / f"{canonical}.md")
    assert synonym in [a.lower() for a in meta.get("aliases", [])]
