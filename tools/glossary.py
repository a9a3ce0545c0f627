"""Read the glossary's term pages and generate what is derived from them.

Each ``docs/glossary/<term>.md`` starts with YAML front matter::

    ---
    title: Dropout
    summary: Zeroing random units during training so no unit can be relied on alone.
    aliases: [inverted dropout]      # optional synonyms, listed in the index
    ---

The A-Z index page and the hover abbreviations are both built from these fields, so a
term added as a page appears everywhere without a second, hand-kept list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

INDEX_MARKER = "<!-- glossary-index -->"
FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)


@dataclass
class Term:
    slug: str  # file name without .md, also the URL: glossary/<slug>/
    title: str
    summary: str
    aliases: list[str] = field(default_factory=list)


def read_front_matter(path: Path) -> dict:
    match = FRONT_MATTER.match(path.read_text(encoding="utf-8"))
    return yaml.safe_load(match.group(1)) if match else {}


def load_terms(folder: Path) -> list[Term]:
    """All term pages in ``folder`` (every .md except index.md), sorted A-Z by title."""
    terms = []
    for path in sorted(Path(folder).glob("*.md")):
        if path.name == "index.md":
            continue
        meta = read_front_matter(path)
        missing = [k for k in ("title", "summary") if not meta.get(k)]
        if missing:
            raise ValueError(f"{path}: front matter lacks {', '.join(missing)} (see tools/glossary.py)")
        terms.append(Term(path.stem, meta["title"], " ".join(meta["summary"].split()),
                          list(meta.get("aliases") or [])))
    return sorted(terms, key=lambda t: t.title.lower().lstrip("`"))


def index_markdown(terms: list[Term]) -> str:
    """The A-Z list: one line per term (and per alias, pointing at its term)."""
    entries = [(t.title, f"[{t.title}]({t.slug}.md): {t.summary}") for t in terms]
    entries += [(a, f"{a}: see [{t.title}]({t.slug}.md)") for t in terms for a in t.aliases]
    entries.sort(key=lambda e: e[0].lower().lstrip("`"))
    lines, letter = [], None
    for name, line in entries:
        first = name.lstrip("`")[0].upper()
        if first != letter:
            letter = first
            lines.append(f"\n## {letter}\n")
        lines.append(f"- {line}")
    return "\n".join(lines) + "\n"


def abbreviations(terms: list[Term]) -> str:
    """Markdown abbreviation definitions: hovering a term shows its one-line summary."""
    lines = []
    for t in terms:
        names = {t.title, t.title.lower(), *t.aliases}
        for name in sorted(names):
            if "`" in name or "(" in name or "/" in name:
                continue  # code-like names never match as plain words
            summary = t.summary.replace("]", ")").replace("[", "(")
            lines.append(f"*[{name}]: {summary}")
    # One definition per block: Python-Markdown's abbr processor rescans the rest of a block
    # after each definition, so 200 definitions in one block cost 200 scans of it, per page.
    return "\n\n".join(lines) + "\n"


def with_aliases_line(markdown: str, src_uri: str, terms: list[Term]) -> str:
    """Put "Also called: ..." under a term page's title, so synonyms show (and are searchable)."""
    slug = Path(src_uri).stem
    term = next((t for t in terms if t.slug == slug), None)
    if term is None or not term.aliases:
        return markdown
    line = "*Also called: " + ", ".join(term.aliases) + ".*"
    return re.sub(r"^(# .+)$", lambda m: f"{m[1]}\n\n{line}", markdown, count=1, flags=re.M)
