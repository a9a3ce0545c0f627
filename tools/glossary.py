"""Read the glossary's term pages and generate everything derived from them.

Each ``docs/glossary/<term>.md`` starts with YAML front matter::

    ---
    title: Dropout
    summary: Zeroing random units during training so no unit can be relied on alone.
    aliases: [inverted dropout]        # optional synonyms, listed in the index
    tags: [training, pytorch-api]      # one or more of TAGS below
    api: [torch.nn.Dropout]            # optional: the PyTorch class/function it names
    shapes: "Input: any shape. Output: the same shape."   # optional, for modules
    hover: false                       # optional: never link this term's first use on other pages
    ---

From these fields the build makes: the index (A-Z and by topic), the Glossary section of the
navigation (one entry per term, A-Z), the header of each term page (summary, synonyms, topics),
its "PyTorch" line (API link, shapes), and the first-use links on every page
(``glossary_html.py``). The "Used in" lists are checked against the navigation, and can be
rewritten from it::

    python tools/glossary.py fix-used-in     # link texts and order of every "Used in" list
"""

from __future__ import annotations

import posixpath
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import glossary_figures  # noqa: E402  (tools/glossary_figures.py: imports matplotlib only to draw)
import glossary_html  # noqa: E402  (tools/glossary_html.py)

INDEX_MARKER = "<!-- glossary-index -->"
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser: ~10x faster on 130 pages
FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)
# The topics a term can carry, with the name readers see. The last three belong to the parts
# that are being written (sequences, generative models, deployment): their terms use them.
TAGS = {
    "fundamentals": "Fundamentals",
    "training": "Training",
    "pytorch-api": "PyTorch API",
    "data": "Data",
    "images": "Images and CNNs",
    "metrics": "Metrics",
    "sequences": "Sequences",
    "generative": "Generative models",
    "deployment": "Deployment and scale",
}
PYTORCH_DOCS = "https://docs.pytorch.org/docs/stable/generated/{name}.html"
TORCHVISION_DOCS = "https://docs.pytorch.org/vision/stable/generated/{name}.html"
USED_IN_EMPTY = "No lesson uses this term yet."  # allowed only while no lesson links the term
FIGURE = re.compile(r"^!\[[^\]]*\]\((figures/[\w-]+)\.svg\)$", re.M)  # a figure on a term page
LESSON_LINK = re.compile(r"^- \[([^\]]*)\]\((\.\./lessons/[^)\s]+\.md)\)(.*)$")


@dataclass
class Term:
    slug: str  # file name without .md, also the URL: glossary/<slug>/
    title: str  # may contain `code` (backticks)
    summary: str
    aliases: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    api: dict[str, str] = field(default_factory=dict)  # PyTorch name -> its documentation URL
    shapes: str | None = None
    hover: bool | list[str] = True  # False, or the phrases that count as a use (glossary_html.py)

    @property
    def name(self) -> str:
        """The title as plain text (no backticks), for navigation and sorting."""
        return self.title.replace("`", "")


def read_front_matter(path: Path) -> dict:
    match = FRONT_MATTER.match(Path(path).read_text(encoding="utf-8"))
    try:
        return (yaml.load(match.group(1), Loader=_SafeLoader) or {}) if match else {}
    except yaml.YAMLError as err:
        raise ValueError(f"{path}: front matter is not valid YAML (quote a value that contains ': '): {err}") from err


def api_links(api) -> dict[str, str]:
    """``api`` front matter (names, or a name -> URL mapping) as name -> documentation URL."""
    if not api:
        return {}
    if isinstance(api, dict):
        return {name: url or api_url(name) for name, url in api.items()}
    return {name: api_url(name) for name in api}


def api_url(name: str) -> str:
    """The docs.pytorch.org page of a documented class or function (a link, never fetched)."""
    template = TORCHVISION_DOCS if name.startswith("torchvision.") else PYTORCH_DOCS
    return template.format(name=name)


def load_term(path: Path) -> Term:
    """One term page's front matter, checked: a clear error names the page and the fix."""
    meta = read_front_matter(path)
    problems = [f"front matter lacks {k}" for k in ("title", "summary", "tags") if not meta.get(k)]
    unknown = sorted(set(meta.get("tags") or []) - set(TAGS))
    if unknown:
        problems.append(f"unknown tags {unknown} (choose from {', '.join(TAGS)})")
    if problems:
        raise ValueError(f"{path}: {'; '.join(problems)} (see tools/glossary.py)")
    return Term(path.stem, meta["title"], " ".join(meta["summary"].split()),
                list(meta.get("aliases") or []), list(meta["tags"]), api_links(meta.get("api")),
                meta.get("shapes"), meta.get("hover", True))


def load_terms(folder: Path) -> list[Term]:
    """All term pages in ``folder`` (every .md except index.md), sorted A-Z by title."""
    terms = [load_term(p) for p in sorted(Path(folder).glob("*.md")) if p.name != "index.md"]
    return sorted(terms, key=sort_key)


def sort_key(term_or_name) -> str:
    name = term_or_name.name if isinstance(term_or_name, Term) else term_or_name.replace("`", "")
    return name.lower()


def letter(name: str) -> str:
    first = name.replace("`", "").lstrip()[:1].upper()
    return first if first.isalpha() else "#"


def letter_anchor(c: str) -> str:
    return f"letter-{c.lower()}" if c.isalpha() else "letter-symbols"


# --- the index page -------------------------------------------------------------------------


def index_markdown(terms: list[Term]) -> str:
    """The index: a by-topic overview, then A-Z with each term's summary (aliases point home)."""
    entries = [(t.title, f"[{t.title}]({t.slug}.md): {t.summary}") for t in terms]
    entries += [(a, f"{a}: see [{t.title}]({t.slug}.md)") for t in terms for a in t.aliases]
    entries.sort(key=lambda e: sort_key(e[0]))
    letters = sorted({letter(name) for name, _ in entries})
    jump = " ".join(f"[{c}](#{letter_anchor(c)})" for c in letters)
    lines = [f"**{len(terms)} terms.** Browse them [by topic](#by-topic) or [A to Z](#a-z): {jump}",
             "", "## By topic { #by-topic }"]
    for tag, label in TAGS.items():
        tagged = [t for t in terms if tag in t.tags]
        if tagged:
            links = " · ".join(f"[{t.title}]({t.slug}.md)" for t in tagged)
            lines += ["", f"### {label} {{ #topic-{tag} }}", "", links]
    lines += ["", "## A to Z { #a-z }"]
    current = None
    for name, line in entries:
        if letter(name) != current:
            current = letter(name)
            lines += ["", f"### {current} {{ #{letter_anchor(current)} }}", ""]
        lines.append(f"- {line}")
    return "\n".join(lines) + "\n"


# --- the navigation -------------------------------------------------------------------------


def nav_with_terms(nav: list, terms: list[Term], index: str = "glossary/index.md") -> list:
    """``nav`` with the Glossary section holding its index, then every term page A-Z.

    The term pages then have a side menu, previous/next links and breadcrumbs back to the
    index, like every other page. The section is the one whose first entry is ``index``.
    (A flat list: letter groups would make breadcrumbs like "Glossary > D" that lead nowhere.)
    """
    found = False
    new_nav = []
    for entry in nav:
        if isinstance(entry, dict) and len(entry) == 1:
            (title, children), = entry.items()
            if isinstance(children, list) and children and children[0] == index:
                entry = {title: [index] + [{t.name: f"glossary/{t.slug}.md"} for t in terms]}
                found = True
        new_nav.append(entry)
    if not found:
        raise ValueError(f"mkdocs.yml: no nav section starts with {index}; the glossary terms go there")
    return new_nav


def lessons_in_nav(nav: list) -> dict[str, tuple[str, str]]:
    """Docs-relative lesson path -> (section title, page title), in navigation order."""
    found: dict[str, tuple[str, str]] = {}

    def walk(entries, section):
        for entry in entries:
            if isinstance(entry, dict):
                for title, value in entry.items():
                    if isinstance(value, list):
                        walk(value, title)
                    elif str(value).startswith("lessons/") and not value.endswith("/index.md"):
                        found[value] = (section, title)
    walk(nav, "")
    return found


def used_in_text(section: str, title: str) -> str:
    """The link text every "Used in" list gives a lesson: its part and its title in the menu."""
    return f"{section} › {title}" if section else title


# --- the "Used in" lists ----------------------------------------------------------------------


def used_in_problems(text: str, lessons: dict[str, tuple[str, str]]) -> list[str]:
    """What is wrong with a term page's "Used in" list, compared with the navigation."""
    body = section_text(text, "## Used in")
    problems, order = [], list(lessons)
    positions = []
    for line in body.splitlines():
        match = LESSON_LINK.match(line)
        if not match:
            continue
        label, target = match[1], posixpath.normpath(posixpath.join("glossary", match[2]))
        if target not in lessons:
            problems.append(f"{target} is not a lesson in mkdocs.yml's nav")
            continue
        expected = used_in_text(*lessons[target])
        if label != expected:
            problems.append(f"link text {label!r} should be {expected!r}")
        positions.append(order.index(target))
    if positions != sorted(positions):
        problems.append("lessons are not in course order (the order of mkdocs.yml's nav)")
    return problems


def fixed_used_in(text: str, lessons: dict[str, tuple[str, str]]) -> str:
    """``text`` with its "Used in" links renamed after the nav and sorted in course order."""
    body = section_text(text, "## Used in")
    order = list(lessons)
    items, others = [], []
    for line in body.strip().splitlines():
        match = LESSON_LINK.match(line)
        target = match and posixpath.normpath(posixpath.join("glossary", match[2]))
        if target in lessons:
            items.append((order.index(target), f"- [{used_in_text(*lessons[target])}]({match[2]}){match[3]}"))
        elif line.strip():
            others.append(line)
    if not body.strip():
        return text
    trailing = body[len(body.rstrip("\n")):]
    new_body = "\n" + "\n".join([line for _, line in sorted(items)] + others) + trailing
    return text.replace(body, new_body, 1)


def section_text(text: str, title: str) -> str:
    match = re.search(rf"^{re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    return match[1] if match else ""


# --- term pages -------------------------------------------------------------------------------


def term_page_markdown(markdown: str, term: Term) -> str:
    """Add the generated parts of a term page: the header under the title, the PyTorch line."""
    header = [f"{term.summary}\n{{: .glossary-summary }}"]
    if term.aliases:
        header.append(f"*Also called: {', '.join(term.aliases)}.*\n{{: .glossary-aliases }}")
    chips = " ".join(f"[{TAGS[tag]}](index.md#topic-{tag}){{ .md-tag }}" for tag in term.tags)
    header.append(f'<nav class="md-tags glossary-topics" aria-label="Topics" markdown="span">{chips}</nav>')
    markdown = re.sub(r"^(# .+)$", lambda m: m[1] + "\n\n" + "\n\n".join(header), markdown, count=1, flags=re.M)
    markdown = FIGURE.sub(lambda m: f"{m[0]}\n\n*Drawn by [{m[1]}.py]({m[1]}.py) when this site was built.*\n"
                                    "{: .glossary-figure-caption }", markdown)
    facts = []
    if term.api:
        facts.append("**PyTorch:** " + ", ".join(f"[`{name}`]({url})" for name, url in term.api.items()))
    if term.shapes:
        facts.append(f"**Shapes:** {term.shapes}")
    if facts:
        line = "\n".join(facts[:1] + ["<br>" + f for f in facts[1:]])
        markdown = re.sub(r"^(## In PyTorch)\n", lambda m: f"{m[1]}\n\n{line}\n{{: .glossary-api }}\n",
                          markdown, count=1, flags=re.M)
    return markdown


# --- MkDocs integration (called from tools/glossary_hooks.py) ---------------------------------


class Glossary:
    """What the build needs from the glossary, loaded once per build in ``on_config``."""

    def __init__(self, config):
        self.docs = Path(config["docs_dir"])
        self.terms = load_terms(self.docs / "glossary")
        self.by_slug = {t.slug: t for t in self.terms}
        config["nav"] = nav_with_terms(config["nav"], self.terms)
        self.root = Path(config.config_file_path).resolve().parent
        self.matcher = glossary_html.TermMatcher(self.terms)

    def add_figures(self, files, config, log=None) -> None:
        """Draw the figures (cached by content hash) and add them to the site's files."""
        from mkdocs.structure.files import File  # noqa: PLC0415

        for name, svg in glossary_figures.build_all(self.docs / "glossary" / "figures",
                                                 self.root / ".cache" / "glossary-figures", log=log).items():
            files.append(File.generated(config, f"glossary/figures/{name}.svg", abs_src_path=str(svg)))

    def page_markdown(self, markdown: str, page) -> str:
        src = page.file.src_uri
        if src == "glossary/index.md":
            return markdown.replace(INDEX_MARKER, index_markdown(self.terms))
        if posixpath.dirname(src) == "glossary":
            term = self.by_slug.get(Path(src).stem)
            return term_page_markdown(markdown, term) if term else markdown
        return markdown

    def page_content(self, html: str, page, files) -> str:
        """First-use links to term pages, and copy buttons that copy runnable code."""
        src = page.file.src_uri
        html = glossary_html.copyable_examples(html)
        if src == "glossary/index.md":
            return html  # every term is already a link there

        def url(slug: str) -> str:
            return files.get_file_from_path(f"glossary/{slug}.md").url_relative_to(page.file)

        own = Path(src).stem if src.startswith("glossary/") else None
        return glossary_html.link_first_uses(html, self.matcher, url, page_url=page.url, skip=own)


# --- command line -----------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    root = Path(__file__).resolve().parent.parent
    if argv[1:] != ["fix-used-in"]:
        print(__doc__)
        return 2
    lessons = lessons_in_nav(read_nav(root / "mkdocs.yml"))
    for path in sorted((root / "docs" / "glossary").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        fixed = fixed_used_in(text, lessons)
        if fixed != text:
            path.write_text(fixed, encoding="utf-8")
            print(f"rewrote the 'Used in' list of {path.relative_to(root)}")
    return 0


class _NavLoader(yaml.SafeLoader):
    """Reads mkdocs.yml, ignoring the !tags MkDocs understands (only ``nav`` is wanted)."""


_NavLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


def read_nav(mkdocs_yml: Path) -> list:
    return yaml.load(Path(mkdocs_yml).read_text(encoding="utf-8"), Loader=_NavLoader)["nav"]


if __name__ == "__main__":
    sys.exit(main(sys.argv))
