"""The glossary stays consistent with itself, with the lessons and with the navigation.

- every term page has the front matter the index, the navigation and the hover text are built
  from (title, summary, tags from a fixed vocabulary), and the sections every term page shares;
- every link from a term page points at a page that exists, and every PyTorch API name it
  cites exists in the installed torch/torchvision;
- a lesson a term page lists under "Used in" links back to that term, a lesson that links a
  term is listed there, and the list uses the lesson's name from the navigation, in course order;
- the generated index (A-Z and by topic) and navigation list every term;
- every figure script draws, and every figure a page shows has a script and alt text;
- the HTML passes: first-use links and the copy text of ``>>>`` examples.
"""

from __future__ import annotations

import importlib
import posixpath
import re
import sys
from pathlib import Path

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import glossary  # noqa: E402
import glossary_figures  # noqa: E402
import glossary_html  # noqa: E402

DOCS = ROOT / "docs"
GLOSSARY = DOCS / "glossary"
FIGURES = GLOSSARY / "figures"
TERMS = sorted(p for p in GLOSSARY.glob("*.md") if p.name != "index.md")
LESSONS = sorted((DOCS / "lessons").glob("*/*.md"))
NAV = glossary.read_nav(ROOT / "mkdocs.yml")
LINK = re.compile(r"\]\(([^)\s#]+\.md)(?:#[^)]*)?\)")
SECTIONS = ["## Why it matters", "## In PyTorch", "## Related terms", "## Used in"]


def links(page: Path) -> set[str]:
    """Docs-relative targets of the Markdown links in ``page``."""
    base = posixpath.dirname(page.relative_to(DOCS).as_posix())
    return {posixpath.normpath(posixpath.join(base, target)) for target in LINK.findall(page.read_text())}


def section(page: Path, title: str) -> str:
    return glossary.section_text(page.read_text(), title)


def used_in(term: Path) -> set[str]:
    page_dir = posixpath.dirname(term.relative_to(DOCS).as_posix())
    return {posixpath.normpath(posixpath.join(page_dir, t)) for t in LINK.findall(section(term, "## Used in"))}


def test_there_are_at_least_120_terms():
    assert len(TERMS) >= 120, f"only {len(TERMS)} glossary pages"


@pytest.mark.parametrize("term", TERMS, ids=lambda p: p.stem)
def test_term_page_follows_the_pattern(term):
    meta = glossary.read_front_matter(term)
    assert meta.get("title") and meta.get("summary"), "front matter needs title and summary"
    assert len(meta["summary"]) <= 200, "the summary is hover text: keep it to one line"
    assert meta.get("tags"), f"front matter needs tags, from: {', '.join(glossary.TAGS)}"
    assert set(meta["tags"]) <= set(glossary.TAGS), f"unknown tags {set(meta['tags']) - set(glossary.TAGS)}"
    text = term.read_text()
    assert re.search(r"^# .+", text, re.M), "a '# Title' heading"
    for title in SECTIONS:
        assert title in text, f"missing section {title!r}"
    assert "```python\n>>>" in section(term, "## In PyTorch"), "a doctested PyTorch example"
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", term.stem), "file name in kebab-case"


@pytest.mark.parametrize("missing", ["summary", "tags"])
def test_a_page_without_summary_or_tags_stops_the_build(tmp_path, missing):
    fields = {"title": "Thing", "summary": "A thing.", "tags": "[fundamentals]"}
    del fields[missing]
    (tmp_path / "thing.md").write_text("---\n" + "".join(f"{k}: {v}\n" for k, v in fields.items()) + "---\n# Thing\n")
    with pytest.raises(ValueError, match=f"thing.md: front matter lacks {missing}"):
        glossary.load_terms(tmp_path)


def test_an_unknown_tag_is_refused_with_the_vocabulary(tmp_path):
    (tmp_path / "thing.md").write_text("---\ntitle: Thing\nsummary: A thing.\ntags: [maths]\n---\n# Thing\n")
    with pytest.raises(ValueError, match=r"unknown tags \['maths'\] \(choose from fundamentals, training"):
        glossary.load_terms(tmp_path)


@pytest.mark.parametrize("term", TERMS, ids=lambda p: p.stem)
def test_term_links_point_at_existing_pages(term):
    missing = sorted(t for t in links(term) if not (DOCS / t).is_file())
    assert not missing, f"links to pages that do not exist: {missing}"
    lessons = used_in(term) & {p.relative_to(DOCS).as_posix() for p in LESSONS}
    body = section(term, "## Used in")
    assert lessons or glossary.USED_IN_EMPTY in body, (
        f"'Used in' links at least one lesson, or says {glossary.USED_IN_EMPTY!r} while none uses the term")
    assert not (lessons and glossary.USED_IN_EMPTY in body), "a lesson uses it now: drop the 'not yet' line"


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


def test_used_in_lists_name_lessons_as_the_navigation_does_in_course_order():
    lessons = glossary.lessons_in_nav(NAV)
    assert "lessons/pytorch/validation.md" in lessons
    problems = [f"{term.name}: {p}" for term in TERMS for p in glossary.used_in_problems(term.read_text(), lessons)]
    assert not problems, ("run `python tools/glossary.py fix-used-in`:\n" + "\n".join(problems))


def test_used_in_problems_are_found_and_fixed():
    lessons = {"lessons/a/one.md": ("Part A", "1. One"), "lessons/a/two.md": ("Part A", "2. Two")}
    page = ("# T\n\n## Used in\n\n- [Two](../lessons/a/two.md) (a note)\n"
            "- [Part A › 1. One](../lessons/a/one.md)\n")
    assert glossary.used_in_problems(page, lessons) == [
        "link text 'Two' should be 'Part A › 2. Two'", "lessons are not in course order (the order of mkdocs.yml's nav)"]
    fixed = glossary.fixed_used_in(page, lessons)
    assert fixed.endswith("- [Part A › 1. One](../lessons/a/one.md)\n- [Part A › 2. Two](../lessons/a/two.md) (a note)\n")
    assert glossary.used_in_problems(fixed, lessons) == []


def test_index_lists_every_term_and_alias_a_to_z_and_by_topic():
    terms = glossary.load_terms(GLOSSARY)
    index = glossary.index_markdown(terms)
    a_to_z = index.split("## A to Z")[1]
    by_topic = index.split("## By topic")[1].split("## A to Z")[0]
    for term in terms:
        assert f"- [{term.title}]({term.slug}.md): {term.summary}" in a_to_z
        for alias in term.aliases:
            assert f"{alias}: see [{term.title}]({term.slug}.md)" in a_to_z
        for tag in term.tags:
            topic = by_topic.split(f"{{ #topic-{tag} }}")[1].split("###")[0]
            assert f"[{term.title}]({term.slug}.md)" in topic, f"{term.slug} missing from topic {tag}"
    assert (GLOSSARY / "index.md").read_text().count(glossary.INDEX_MARKER) == 1


def test_the_glossary_section_of_the_nav_lists_every_term_a_to_z():
    terms = glossary.load_terms(GLOSSARY)
    nav = glossary.nav_with_terms(NAV, terms)
    section = next(v for e in nav if isinstance(e, dict) for v in e.values()
                   if isinstance(v, list) and v and v[0] == "glossary/index.md")
    pages = [next(iter(entry.values())) for entry in section[1:]]
    assert pages == [f"glossary/{t.slug}.md" for t in terms]
    names = [next(iter(entry)) for entry in section[1:]]
    assert names == sorted(names, key=str.lower) and "`" not in "".join(names)
    with pytest.raises(ValueError, match="no nav section starts with glossary/index.md"):
        glossary.nav_with_terms([{"Home": "index.md"}], terms)


API = {name: url for t in glossary.load_terms(GLOSSARY) for name, url in t.api.items()}
API_NAMES = sorted(name for name in API if " " not in name)  # others label a docs page ("broadcasting semantics")


def test_api_links_go_to_the_pytorch_docs():
    assert len(API_NAMES) > 40
    assert all(url.startswith("https://docs.pytorch.org/") for url in API.values()), API


@pytest.mark.parametrize("name", API_NAMES)
def test_every_cited_pytorch_name_exists_and_links_to_its_docs(name):
    parts = name.split(".")
    for i in range(len(parts), 0, -1):  # the longest importable module, then attributes
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attribute in parts[i:]:
            obj = getattr(obj, attribute)
        break
    else:
        pytest.fail(f"{name} is neither a module nor an attribute of one")
    assert obj is not None


# --- figures ----------------------------------------------------------------------------------

FIGURE_SCRIPTS = glossary_figures.scripts(FIGURES)
FIGURE_USE = re.compile(r"!\[([^\]]*)\]\(figures/([\w-]+)\.svg\)")


@pytest.mark.parametrize("script", FIGURE_SCRIPTS, ids=lambda p: p.stem)
def test_figure_script_draws_an_svg(script):
    svg = glossary_figures.render(script).decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and svg.count("<path") > 5
    assert len(svg) < 150_000, "keep figures light: fewer points, no embedded images"
    assert glossary_figures.render(script).decode() == svg, "the same code must draw the same bytes"


def test_every_figure_is_shown_with_alt_text_and_every_shown_figure_has_a_script():
    shown = {name: alt for page in TERMS for alt, name in FIGURE_USE.findall(page.read_text())}
    assert set(shown) == {s.stem for s in FIGURE_SCRIPTS}
    assert all(len(alt.split()) >= 6 for alt in shown.values()), f"alt text says what it shows: {shown}"


def test_a_broken_figure_script_names_itself(tmp_path):
    script = tmp_path / "broken.py"
    script.write_text("def draw():\n    return 42\n")
    with pytest.raises(glossary_figures.FigureError, match="broken.py: draw\\(\\) must return"):
        glossary_figures.render(script)


# --- first-use links and copyable examples ----------------------------------------------------

def _terms(**hover):
    return [glossary.Term("dropout", "Dropout", "Zeroing units.", hover=hover.get("dropout", True)),
            glossary.Term("hidden-layer", "Hidden layer", "A middle layer."),
            glossary.Term("layer", "Layer", "A stage."),
            glossary.Term("relu", "ReLU", "max(0, x)."),
            glossary.Term("class-label", "Class (label)", "A category.", aliases=["target"]),
            glossary.Term("step", "`step`", "An update.")]


def _link(html, **kwargs):
    matcher = glossary_html.TermMatcher(_terms(**kwargs.pop("hover", {})))
    return glossary_html.link_first_uses(html, matcher, lambda slug: f"/g/{slug}/", **kwargs)


def test_only_the_first_prose_use_of_a_term_is_linked():
    html = "<p>Dropout helps. Dropout again.</p><p>More dropout.</p>"
    out = _link(html)
    assert out.count('class="glossary-term"') == 1
    assert out.startswith('<p><a class="glossary-term" href="/g/dropout/" title="Zeroing units.">Dropout</a> helps.')


def test_headings_links_code_and_maths_are_left_alone():
    html = ('<h2 id="x">Dropout</h2><p><code>dropout</code> <a href="/elsewhere/">a dropout link</a> '
            '<span class="arithmatex">\\(layer\\)</span> $layer$ <pre>dropout</pre>'
            '<div class="jp-OutputArea"><p>layer</p></div><div class="jp-InputArea-editor"><p>layer</p></div></p>'
            '<p>then dropout and a layer</p>')
    out = _link(html)
    assert out.startswith(html[:html.index("<p>then")])
    assert out.endswith('<p>then <a class="glossary-term" href="/g/dropout/" title="Zeroing units.">dropout</a> and a '
                        '<a class="glossary-term" href="/g/layer/" title="A stage.">layer</a></p>')


def test_longest_name_wins_plurals_count_and_case_matters_for_acronyms():
    out = _link("<p>Two hidden layers, relu units, ReLUs and targets.</p>")
    assert '<a class="glossary-term" href="/g/hidden-layer/" title="A middle layer.">hidden layers</a>' in out
    assert 'href="/g/layer/"' not in out  # "layer" inside "hidden layers" is not a use of Layer
    assert ">relu<" not in out and ">ReLUs</a>" in out
    assert ">targets</a>" in out  # an alias, in the plural


def test_notebook_markdown_cells_are_linked_but_their_code_and_outputs_are_not():
    cell = ('<div class="jp-Cell jp-MarkdownCell"><div class="jp-InputArea jp-Cell-inputArea">'
            '<div class="jp-InputPrompt"></div><div class="jp-RenderedMarkdown"><p>Dropout helps.</p></div></div></div>'
            '<div class="jp-Cell jp-CodeCell"><div class="jp-InputArea"><div class="jp-InputArea-editor">'
            '<div class="highlight"><pre>layer = 1</pre></div></div></div><div class="jp-OutputArea"><pre>layer</pre>'
            '<div class="jp-RenderedText">a layer</div></div></div>')
    out = _link(cell)
    assert out.count('class="glossary-term"') == 1 and ">Dropout</a> helps." in out


def test_a_term_already_linked_on_the_page_or_the_page_own_term_is_not_linked_again():
    out = _link('<p><a href="../../../glossary/dropout/">dropout</a>, then dropout and a layer.</p>',
                page_url="lessons/pytorch/validation/", skip="layer")
    assert 'class="glossary-term"' not in out
    assert _link("<p>Dropout.</p>", hover={"dropout": False}) == "<p>Dropout.</p>"
    assert _link("<p>Take a step.</p>") == "<p>Take a step.</p>"  # a code name (`step`) is not a prose word


def test_copy_text_of_an_example_is_runnable_code():
    html = ('<div class="highlight"><pre><span></span><code><span class="o">&gt;&gt;&gt;</span> x = [1, 2]\n'
            '<span class="o">&gt;&gt;&gt;</span> for v in x:\n<span class="o">...</span>     print(v &gt; 1)\n'
            'False\nTrue\n</code></pre></div>')
    out = glossary_html.copyable_examples(html)
    copied = re.search(r'data-copy="([^"]*)"', out)[1]
    import html as html_lib

    code = html_lib.unescape(copied)
    assert code == "x = [1, 2]\nfor v in x:\n    print(v > 1)\n"
    assert glossary_html.copyable_examples("<pre><code>print(1)</code></pre>") == "<pre><code>print(1)</code></pre>"


@pytest.mark.parametrize("term", TERMS, ids=lambda p: p.stem)
def test_every_example_copies_as_code_that_compiles(term):
    for block in re.findall(r"```python\n(>>>.*?)```", term.read_text(), re.S):
        compile(glossary_html.runnable_code(block), term.name, "exec")


@pytest.mark.parametrize("synonym, canonical", [
    ("criterion", "loss-function"), ("kernel", "filter-kernel"), ("weight decay", "l2-regularization"),
])
def test_synonyms_are_listed_on_their_canonical_page(synonym, canonical):
    meta = glossary.read_front_matter(GLOSSARY / f"{canonical}.md")
    assert synonym in [a.lower() for a in meta.get("aliases", [])]


def test_no_two_terms_claim_the_same_words():
    """A first use must link to one term: no name (or its plural) may belong to two pages."""
    claims: dict[str, set[str]] = {}
    for term in glossary.load_terms(GLOSSARY):
        for name in glossary_html.hover_names(term):
            for form in (name, name + "s", name + "es"):
                claims.setdefault(form.lower(), set()).add(term.slug)
    clashes = {name: slugs for name, slugs in claims.items() if len(slugs) > 1}
    assert not clashes, f"words that would link to two terms: {clashes}"
