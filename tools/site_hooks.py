"""MkDocs hooks for learntorch's site (registered under ``hooks:`` in mkdocs.yml).

- Lessons: execute each ``docs/lessons/*/*.md`` (cached, see ``tools/lessons.py``) and hand
  mkdocs-jupyter the executed notebook to render; offer it for download on the page.
- Glossary: build the A-Z index and the hover abbreviations from the term pages' front matter,
  so neither is a hand-kept copy.
"""

from __future__ import annotations

import html
import posixpath
import re
import shutil
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

sys.path.insert(0, str(Path(__file__).resolve().parent))
import glossary  # noqa: E402  (tools/glossary.py)
import lessons  # noqa: E402  (tools/lessons.py)

_executed: dict[str, Path] = {}  # docs-relative lesson path -> executed .ipynb
_terms: list[glossary.Term] = []


def _root(config) -> Path:
    """The project folder: where mkdocs.yml is (src/, .cache/ and snippets/ sit beside it)."""
    return Path(config.config_file_path).resolve().parent


def on_config(config):
    global _terms
    _terms = glossary.load_terms(Path(config["docs_dir"]) / "glossary")
    generated = _root(config) / ".cache" / "generated"  # a snippets base_path in mkdocs.yml
    generated.mkdir(parents=True, exist_ok=True)
    (generated / "abbreviations.md").write_text(glossary.abbreviations(_terms), encoding="utf-8")
    return config


@event_priority(100)  # before mkdocs-jupyter's on_files, which must see the .ipynb paths
def on_files(files, config):
    root = _root(config)
    fp = lessons.fingerprint(root)
    _executed.clear()
    for file in list(files):
        rel = file.src_uri
        if not (rel.startswith("lessons/") and rel.endswith(".md") and rel.count("/") == 2):
            continue
        if not lessons.is_lesson(Path(file.abs_src_path)):
            continue
        try:
            notebook = lessons.executed_notebook(Path(file.abs_src_path), rel, root, fp, log=_log)
        except lessons.LessonError as err:
            raise PluginError(str(err)) from err
        _executed[rel] = notebook
        file.abs_src_path = str(notebook)  # mkdocs-jupyter renders the executed notebook
        # The executed notebook is also a download, next to the page.
        download = notebook.parent / "download" / notebook.name
        download.parent.mkdir(exist_ok=True)
        shutil.copyfile(notebook, download)
        files.append(File.generated(config, rel[:-3] + ".ipynb", abs_src_path=str(download)))
    return files


def on_nav(nav, config, files):
    # mkdocs-jupyter wrapped our files in its NotebookFile, whose abs_src_path is computed
    # afresh from src_uri: point the wrappers at the executed notebooks again.
    for file in files:
        if file.src_uri in _executed:
            file.abs_src_path = str(_executed[file.src_uri])
    return nav


def on_page_markdown(markdown, page, config, files):
    if page.file.src_uri == "glossary/index.md":
        return markdown.replace(glossary.INDEX_MARKER, glossary.index_markdown(_terms))
    return markdown


def on_page_content(content, page, config, files):
    rel = page.file.src_uri
    if rel not in _executed:
        return content
    content = _rewrite_md_links(content, page, files)
    name = Path(rel).stem
    seconds = lessons.execution_seconds(_executed[rel])
    bar = (
        '<div class="lesson-downloads">'
        f'<a class="md-button" href="../{name}.ipynb" download>Download notebook (.ipynb, with outputs)</a>'
        f'<a class="md-button" href="../{name}.md" download>Download source (Jupytext .md)</a>'
        f"<span>Every output below was produced when this site was built "
        f"(executed in {html.escape(str(seconds))} s).</span></div>"
    )
    return bar + content


MD_LINK = re.compile(r'href="([^":#?]+\.md)(#[^"]*)?"')


def _rewrite_md_links(content, page, files):
    """Turn lesson links to .md sources into page URLs, as mkdocs does for Markdown pages.

    nbconvert renders a notebook's links verbatim, so without this every ``[x](y.md)`` in a
    lesson would 404. A link to a page that does not exist fails the build.
    """
    def replace(match):
        target = posixpath.normpath(posixpath.join(posixpath.dirname(page.file.src_uri), match[1]))
        file = files.get_file_from_path(target)
        if file is None:
            raise PluginError(f"{page.file.src_uri}: link to {match[1]} points at no page ({target})")
        return f'href="{file.url_relative_to(page.file)}{match[2] or ""}"'

    return MD_LINK.sub(replace, content)


def on_post_build(config):
    # The Jupytext source as a download (mkdocs copies only the rendered page).
    for rel in _executed:
        target = Path(config["site_dir"]) / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(config["docs_dir"]) / rel, target)


def _log(message: str) -> None:
    import logging

    logging.getLogger("mkdocs.learntorch").info(message)
