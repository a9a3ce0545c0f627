"""Post-process built pages for the glossary: first-use links, and copy buttons for examples.

- ``link_first_uses``: the first time a page's prose uses a glossary term, the word becomes a
  link to the term's page whose ``title`` is the one-line summary. A mouse shows the summary on
  hover (Material's ``content.tooltips``); a phone, where hover does nothing, follows the link.
  Later uses stay plain, and nothing inside headings, links, code, maths or notebook cells is
  touched, so pages are not covered in underlines.
- ``copyable_examples``: a ``>>>`` example's copy button copies runnable code: the sources of
  its statements without prompts or outputs (Material copies the ``data-copy`` attribute of the
  closest ancestor instead of the text when there is one).

Both work on the HTML MkDocs produced, with a small tokenizer instead of a full parser: lesson
pages are megabytes of inline CSS and base64 images, and this runs on every page of every build.
"""

from __future__ import annotations

import doctest
import html
import posixpath
import re
from typing import Callable

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# Elements whose text is never decorated: headings, links, code, and anything interactive.
SKIP_TAGS = {"a", "abbr", "button", "caption", "code", "dfn", "figcaption", "h1", "h2", "h3", "h4", "h5", "h6",
             "kbd", "label", "math", "option", "pre", "samp", "script", "select", "style", "summary", "svg",
             "textarea", "th", "title"}
# ... and elements with these classes: maths, notebook code and outputs (a notebook's Markdown
# cells sit in a jp-InputArea too, so only its editor part is skipped), generated headers.
SKIP_CLASSES = {"arithmatex", "katex", "jp-InputArea-editor", "jp-OutputArea", "jp-InputPrompt", "jp-OutputPrompt",
                "lesson-downloads", "glossary-summary", "glossary-aliases", "glossary-topics", "glossary-api",
                "md-tags", "headerlink", "doc-signature", "doc-section-title", "md-button", "admonition-title"}
# Raw-text elements are taken whole, so a "<" in CSS or a script never looks like a tag.
TOKEN = re.compile(r"<!--.*?-->|<(script|style|pre|textarea|svg)\b[^>]*>.*?</\1\s*>|<[^>]*>", re.S | re.I)
TAG_NAME = re.compile(r"<\s*(/?)\s*([a-zA-Z][\w:-]*)")
CLASS_ATTR = re.compile(r"""\sclass\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)
HREF_ATTR = re.compile(r"""\shref\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)
MATH = re.compile(r"\$\$.*?\$\$|\$[^$\n]+?\$|\\\(.*?\\\)|\\\[.*?\\\]", re.S)
GLOSSARY_URL = re.compile(r"^glossary/([a-z0-9]+(?:-[a-z0-9]+)*)(?:/|/index\.html|\.html|\.md)?$")


def hover_names(term) -> list[str]:
    """The words that count as a use of ``term`` in prose.

    The title and aliases, split at " (" and " / " ("Filter (kernel)" gives filter and kernel),
    minus names written as code. A term may list its own (``hover: [neuron]``) or opt out
    (``hover: false``) when its name is an everyday word ("example").
    """
    if term.hover is False:
        return []
    raw = term.hover if isinstance(term.hover, list) else [term.title, *term.aliases]
    names = []
    for name in raw:
        if "`" in name:
            continue  # code names appear in code spans, which are never decorated
        match = re.fullmatch(r"(.+?)\s*\((.+)\)", name)
        for part in [match[1], match[2]] if match else [name]:
            names += [p.strip() for p in part.split(" / ")]
    return [n for n in dict.fromkeys(names) if len(n) > 1 and re.search(r"[A-Za-z]", n)]


class TermMatcher:
    """Finds uses of any term in a text: longest name first, whole words, plurals included."""

    def __init__(self, terms):
        self.exact: dict[str, object] = {}  # names with inner capitals (ReLU, MNIST): case matters
        self.folded: dict[str, object] = {}  # everything else, matched in any case
        for term in terms:
            for name in hover_names(term):
                if any(c.isupper() for c in name[1:]):
                    self.exact.setdefault(name, term)
                else:
                    self.folded.setdefault(name.lower(), term)
        names = sorted([*self.exact, *self.folded], key=len, reverse=True)
        alternatives = [self._pattern(n, n in self.exact) for n in names]
        body = "|".join(alternatives) if alternatives else r"(?!x)x"
        self.regex = re.compile(rf"(?<![\w-])(?:{body})(?:e?s)?(?![\w-])")

    @staticmethod
    def _pattern(name: str, exact: bool) -> str:
        pattern = r"\s+".join(re.escape(word) for word in name.split())
        return pattern if exact else f"(?i:{pattern})"

    def term(self, text: str):
        """The term a matched text names (plural endings removed)."""
        words = " ".join(text.split())
        for candidate in (words, words[:-1], words[:-2]):
            if candidate in self.exact:
                return self.exact[candidate]
            if candidate.lower() in self.folded and candidate not in self.exact:
                return self.folded[candidate.lower()]
        return None


def link_first_uses(page_html: str, matcher: TermMatcher, url: Callable[[str], str], *,
                    page_url: str = "", skip: str | None = None) -> str:
    """Link the first prose use of each term on the page to its glossary page.

    ``url(slug)`` gives the link from this page to a term page; ``page_url`` (the page's own
    URL, e.g. ``lessons/pytorch/tensors/``) lets existing links be recognised: a term the page
    already links to before its first plain use is left alone. ``skip`` is a term never linked
    (the term page's own).
    """
    seen = {skip} if skip else set()
    out, stack, position = [], [], 0  # stack: (tag name, skipped?) of the open elements
    for token in TOKEN.finditer(page_html):
        text = page_html[position:token.start()]
        if text and not any(skipped for _, skipped in stack):
            text = _link_text(text, matcher, url, seen)
        out.append(text)
        out.append(token[0])
        position = token.end()
        _track(token[0], stack, seen, page_url)
    tail = page_html[position:]
    out.append(_link_text(tail, matcher, url, seen) if tail and not any(s for _, s in stack) else tail)
    return "".join(out)


def _track(tag: str, stack: list, seen: set, page_url: str) -> None:
    """Update the open-element stack with one tag (raw-text elements come whole: no change)."""
    match = TAG_NAME.match(tag)
    if not match or tag.startswith("<!--"):
        return
    closing, name = match[1] == "/", match[2].lower()
    if name in {"script", "style", "pre", "textarea", "svg"} and not closing:
        return  # matched whole by TOKEN, contents included
    if closing:
        for i in range(len(stack) - 1, -1, -1):
            if stack[i][0] == name:
                del stack[i:]
                break
        return
    if name == "a":
        slug = _glossary_slug(tag, page_url)
        if slug:
            seen.add(slug)  # the page links this term itself: that is its first use
    if name in VOID or tag.rstrip().endswith("/>"):
        return
    classes = CLASS_ATTR.search(tag)
    class_set = set(((classes[1] or classes[2]) if classes else "").split())
    stack.append((name, name in SKIP_TAGS or bool(class_set & SKIP_CLASSES)))


def _glossary_slug(tag: str, page_url: str) -> str | None:
    href = HREF_ATTR.search(tag)
    if not href:
        return None
    target = (href[1] or href[2] or "").split("#")[0].split("?")[0]
    if not target or ":" in target or target.startswith("//"):
        return None
    base = page_url if page_url.endswith("/") or not page_url else posixpath.dirname(page_url) + "/"
    resolved = posixpath.normpath(posixpath.join(base, target)).lstrip("/")
    match = GLOSSARY_URL.match(resolved)
    return match[1] if match and match[1] != "index" else None


def _link_text(text: str, matcher: TermMatcher, url: Callable[[str], str], seen: set) -> str:
    maths = [m.span() for m in MATH.finditer(text)] if ("$" in text or "\\" in text) else []
    pieces, last = [], 0
    for match in matcher.regex.finditer(text):
        term = matcher.term(match[0])
        if term is None or term.slug in seen or any(a <= match.start() < b for a, b in maths):
            continue
        seen.add(term.slug)
        title = html.escape(term.summary, quote=True)
        pieces += [text[last:match.start()],
                   f'<a class="glossary-term" href="{url(term.slug)}" title="{title}">{match[0]}</a>']
        last = match.end()
    return "".join(pieces) + text[last:] if pieces else text


PRE = re.compile(r"(<pre\b)([^>]*>)(.*?)(</pre>)", re.S | re.I)


def copyable_examples(page_html: str) -> str:
    """Give every ``>>>`` example a ``data-copy`` attribute holding just its runnable code."""
    def add(match):
        text = html.unescape(re.sub(r"<[^>]+>", "", match[3]))
        if not text.lstrip().startswith(">>>") or "data-copy" in match[2]:
            return match[0]
        code = runnable_code(text)
        attribute = html.escape(code, quote=True).replace("\n", "&#10;")
        return f'{match[1]} data-copy="{attribute}"{match[2]}{match[3]}{match[4]}'

    return PRE.sub(add, page_html) if "&gt;&gt;&gt;" in page_html or ">>>" in page_html else page_html


def runnable_code(example: str) -> str:
    """The statements of a doctest session, without prompts and outputs, as a script.

    >>> runnable_code(">>> x = 1\\n>>> x + 1\\n2\\n>>> for i in range(2):\\n...     print(i)\\n0\\n1\\n")
    'x = 1\\nx + 1\\nfor i in range(2):\\n    print(i)\\n'
    """
    return "".join(e.source for e in doctest.DocTestParser().get_examples(example))
