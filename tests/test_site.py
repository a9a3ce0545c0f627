"""The built site: executed lessons, downloads, glossary pages, and no off-site requests."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

import jupytext
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
def test_lesson_downloads_are_the_executed_take_away_notebook_its_exercises_and_source(site, lesson):
    rel = lesson.relative_to(ROOT / "docs")
    nb = nbformat.read(site / rel.with_suffix(".ipynb"), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.execution_count for c in code), "every cell executed"
    assert any(c.outputs for c in code)
    assert "install" in code[0].metadata.get("tags", []), "the first code cell installs what is missing"
    source_code = [c.source for c in jupytext.read(lesson).cells if c.cell_type == "code"]
    assert [c.source for c in code[1:]] == source_code, "the download is the lesson as it ran"
    exercises = nbformat.read(site / rel.with_name(f"{lesson.stem}-exercises.ipynb"), as_version=4)
    solutions = [c for c in exercises.cells if "solution" in c.metadata.get("tags", [])]
    assert all(not c.outputs and "Your solution here" in c.source for c in solutions)
    take_away_md = jupytext.reads((site / rel).read_text(encoding="utf-8"), fmt="md")
    assert [c.source for c in take_away_md.cells if c.cell_type == "code"] == [c.source for c in code]
    html = page_html(site, lesson)
    for name in (f"{lesson.stem}.ipynb", f"{lesson.stem}-exercises.ipynb", f"{lesson.stem}.md"):
        assert f'href="../{name}"' in html, name


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_every_lesson_page_shows_its_install_command(site, lesson):
    needs = jupytext.read(lesson).metadata["learntorch"]
    extras = needs.get("extras") or []
    requirement = f"learntorch[{','.join(extras)}]" if extras else "learntorch"
    assert f'data-requirement="{requirement}"' in page_html(site, lesson) or \
        f"pip install &quot;{requirement} @" in page_html(site, lesson)


def test_the_site_serves_the_learntorch_wheel(site):
    import zipfile

    wheels = list(site.glob("learntorch-*-py3-none-any.whl"))
    assert len(wheels) == 1
    names = zipfile.ZipFile(wheels[0]).namelist()
    assert "learntorch/__init__.py" in names and "learntorch/data/sources.py" in names


def test_tensors_lesson_has_a_plot_and_foldable_solutions(site):
    html = page_html(site, ROOT / "docs/lessons/pytorch/tensors.md")
    assert re.search(r'<img src="fig-[0-9a-f]+\.webp" alt="The sigmoid activation', html), \
        "the sigmoid plot is missing"
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


# --- Light, readable lesson pages (issue #18) ------------------------------------------------

PAGE_BUDGET = 300_000  # bytes of HTML per lesson page; CSS and plots are separate, cacheable files
MACHINE_PATHS = re.compile(r"/root/|/home/\w|/tmp/|site-packages|\.cache/learntorch|/usr/share/datasets")


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_lesson_pages_are_light(site, lesson):
    html = page_html(site, lesson)
    assert len(html.encode()) <= PAGE_BUDGET, f"{lesson.stem}: {len(html.encode()):,} bytes of HTML"
    assert "data:image/png;base64" not in html, "plots belong in image files"
    assert "jp-OutputArea" in html and "<style" not in html.split("<article", 1)[1], "notebook CSS is shared"


NOTEBOOK_CSS_BUDGET = 60_000  # bytes for all notebook stylesheets together (mkdocs-jupyter ships ~590 KB)


def test_notebook_stylesheets_are_trimmed_and_every_link_resolves(site):
    sheets = list((site / "assets" / "notebook").glob("*.css"))
    assert sheets and sum(p.stat().st_size for p in sheets) <= NOTEBOOK_CSS_BUDGET, \
        [(p.name, p.stat().st_size) for p in sheets]
    for lesson in LESSONS:
        links = re.findall(r'href="((?:\.\./)+)(assets/notebook/[0-9a-f]+\.css)"', page_html(site, lesson))
        assert links, f"{lesson.stem} links no notebook stylesheet"
        assert all((site / path).is_file() for _, path in links), f"{lesson.stem}: {links}"


def test_search_index_has_lesson_prose_and_code_once_but_no_outputs(site):
    import json

    docs = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    text = " ".join(d["text"] for d in docs if d["location"].startswith("lessons/pytorch/tensors/"))
    nb = nbformat.read(site / "lessons" / "pytorch" / "tensors.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code" and "tags" not in c.metadata]
    first_line = code[0].source.splitlines()[0]  # the install cell (tagged) is not shown
    assert text.count(first_line) == 1, f"{first_line!r} is indexed {text.count(first_line)} times"
    checked = 0
    for notebook in sorted((site / "lessons").glob("*/*.ipynb")):
        if notebook.stem.endswith("-exercises"):
            continue
        page = f"{notebook.parent.relative_to(site).as_posix()}/{notebook.stem}/"
        indexed = " ".join(d["text"] for d in docs if d["location"].startswith(page))
        cells = nbformat.read(notebook, as_version=4).cells
        written = " ".join(c.source for c in cells)  # a printed line the lesson also writes may be indexed
        printed = [line for c in cells if c.cell_type == "code" for o in c.outputs
                   for line in (o.get("text") or o.get("data", {}).get("text/plain", "")).splitlines()
                   if len(line) > 20 and line not in written]
        leaked = [line for line in printed if line in indexed]
        assert not leaked, f"{page}: outputs are in the search index: {leaked[:3]}"
        checked += len(printed)
    assert checked > 1000  # every lesson page's printed lines, not none
    assert "Copied!" not in text
    reference = " ".join(d["text"] for d in docs if d["location"].startswith("reference/checkpoints/"))
    assert "atomically" in reference and "Source code in" not in reference  # docstrings, not the source


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_every_plot_says_what_it_shows(site, lesson):
    images = re.findall(r'<img src="(fig-[0-9a-f]+\.webp)" alt="([^"]*)"', page_html(site, lesson))
    folder = site / lesson.relative_to(ROOT / "docs").with_suffix("")
    for name, alt in images:
        assert (folder / name).is_file(), name
        assert len(alt.split()) >= 3 and "No description" not in alt, f"{lesson.stem}: {name} has alt {alt!r}"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_lessons_print_no_warnings_or_machine_paths(site, lesson):
    rel = lesson.relative_to(ROOT / "docs")
    nb = nbformat.read(site / rel.with_suffix(".ipynb"), as_version=4)
    for cell in (c for c in nb.cells if c.cell_type == "code"):
        for out in cell.outputs:
            assert out.get("name") != "stderr", f"{lesson.stem}: a cell printed to stderr:\n{out['text'][:500]}"
            text = out.get("text", "") + str(out.get("data", {}).get("text/plain", ""))
            found = MACHINE_PATHS.search(text)
            assert not found, f"{lesson.stem}: an output shows a path of the build machine: {text[:300]}"


def test_reference_pages_link_the_names_docstrings_mention(site):
    # Docstrings name other objects with Sphinx roles (:func:`cache_dir`), as help() shows
    # them; on the reference pages each is a link (tools/griffe_roles.py), never the raw role.
    role = re.compile(r":(?:func|meth|class|mod|attr|data|obj|exc):`?\w")
    links = 0
    for page in sorted((site / "reference").glob("*/index.html")):
        source = r'<details[^>]*class="mkdocstrings-source">.*?</details>'  # the roles as written: fine
        text = re.sub(source, "", page.read_text(), flags=re.S)
        text = re.sub(r"<[^>]+>", "", text)
        assert not role.search(text), f"{page.parent.name}: {role.search(text).group()}"
        links += page.read_text().count('class="autorefs autorefs-internal"')
    html = (site / "reference" / "data" / "index.html").read_text()
    assert re.search(r'<a class="autorefs autorefs-internal"[^>]*href="#learntorch\.data\.text\.Vocabulary\.build"',
                     html), "Vocabulary's :meth:`build` is not a link to Vocabulary.build"
    assert links > 50
