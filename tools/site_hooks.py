"""MkDocs hooks for learntorch's site (registered under ``hooks:`` in mkdocs.yml).

- Lessons: execute each ``docs/lessons/*/*.md`` (cached, see ``tools/lessons.py``) and hand
  mkdocs-jupyter the executed notebook to render; offer it for download on the page.
- Course map and benchmark tables on the pages that ask for them.

The glossary has its own hooks, ``tools/glossary_hooks.py``.
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
import lessons  # noqa: E402  (tools/lessons.py)

_executed: dict[str, Path] = {}  # docs-relative lesson path -> executed .ipynb
_nav = None
COURSE_MAP_MARKER = "<!-- course-map -->"
BENCHMARKS_MARKER = "<!-- benchmark-results -->"


def _root(config) -> Path:
    """The project folder: where mkdocs.yml is (src/, .cache/ and snippets/ sit beside it)."""
    return Path(config.config_file_path).resolve().parent


@event_priority(100)  # before mkdocs-jupyter's on_files, which must see the .ipynb paths
def on_files(files, config):
    root = _root(config)
    fp = lessons.fingerprint(root)
    _executed.clear()
    lesson_files = [f for f in files if f.src_uri.startswith("lessons/") and f.src_uri.endswith(".md")
                    and f.src_uri.count("/") == 2 and lessons.is_lesson(Path(f.abs_src_path))]
    to_run = [Path(f.abs_src_path) for f in lesson_files
              if lessons.needs_execution(Path(f.abs_src_path), f.src_uri, root, fp)]
    try:
        lessons.train_shared_models(to_run, root, log=_log)  # once, before the lessons using it
        for file in lesson_files:
            rel = file.src_uri
            notebook = lessons.executed_notebook(Path(file.abs_src_path), rel, root, fp, log=_log)
            _register(files, file, rel, notebook, config)
    except lessons.LessonError as err:
        raise PluginError(str(err)) from err
    return files


def _register(files, file, rel: str, notebook: Path, config) -> None:
    """Point the page at its executed notebook and offer that notebook as a download."""
    _executed[rel] = notebook
    file.abs_src_path = str(notebook)  # mkdocs-jupyter renders the executed notebook
    # The executed notebook is also a download, next to the page.
    download = notebook.parent / "download" / notebook.name
    download.parent.mkdir(exist_ok=True)
    shutil.copyfile(notebook, download)
    files.append(File.generated(config, rel[:-3] + ".ipynb", abs_src_path=str(download)))


def on_nav(nav, config, files):
    # mkdocs-jupyter wrapped our files in its NotebookFile, whose abs_src_path is computed
    # afresh from src_uri: point the wrappers at the executed notebooks again.
    for file in files:
        if file.src_uri in _executed:
            file.abs_src_path = str(_executed[file.src_uri])
    global _nav
    _nav = nav
    return nav


def on_page_markdown(markdown, page, config, files):
    if COURSE_MAP_MARKER in markdown:
        return markdown.replace(COURSE_MAP_MARKER, _course_map(page, config))
    if BENCHMARKS_MARKER in markdown:
        return markdown.replace(BENCHMARKS_MARKER, _benchmark_tables(_root(config) / "benchmarks" / "results"))
    return markdown


def _course_map(page, config) -> str:
    """One table per part: each lesson's goal, the lesson it builds on, and how long it ran."""
    base = posixpath.dirname(page.file.src_uri)
    rows, part, previous = [], None, None
    for lesson in (p for p in _nav.pages if p.file.src_uri in _executed):
        rel = lesson.file.src_uri
        if rel.split("/")[1] != part:
            part = rel.split("/")[1]
            section = lesson.parent.title if lesson.parent else part
            rows.append(f"\n### {section}\n\n| Lesson | Goal | Builds on | Ran in |\n|---|---|---|---|")
        link = lambda p: f"[{p.title}]({posixpath.relpath(p.file.src_uri, base or '.')})"  # noqa: E731
        seconds = lessons.execution_seconds(_executed[rel])
        rows.append(f"| {link(lesson)} | {lessons.goal(Path(config['docs_dir']) / rel)} | "
                    f"{link(previous) if previous else '-'} | {seconds:.0f} s |")
        previous = lesson
    return "\n".join(rows) + "\n"


def _benchmark_tables(folder: Path) -> str:
    """Every benchmarks/results/*.json as a table, so the page shows what the scripts measured.

    First one table of every target the results record (their ``checks``), each with its
    verdict, so a missed target is as visible as a met one.
    """
    import json

    results = {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.json"))}
    if not results:
        return "No benchmark results yet: run `make bench`.\n"
    out = ["\n## Targets\n", "| Benchmark | Measure | Measured | Target | Met |", "|---|---|---|---|---|"]
    for name, data in results.items():
        for c in data.get("checks", []):
            note = f" ({_cell(c['note'])})" if c.get("note") else ""
            verdict = "yes" if c["met"] else "**no**"
            target = c["target"].replace(">=", "≥").replace("<=", "≤").replace("==", "=")
            out.append(f"| {name} | {_cell(c['measure'])}{note} | {_cell(_number(c['value']))} | "
                       f"{_cell(target)} | {verdict} |")
    for name, data in results.items():
        out.append(f"\n## `{name}.json`\n\nWritten by `benchmarks/{name}.py`.\n")
        out.append("| Measure | Value |\n|---|---|")
        out += [f"| {key} | {value} |" for key, value in _flatten(data)]
    return "\n".join(out) + "\n"


def _number(value):
    return f"{value:.4g}" if isinstance(value, float) else value


def _cell(value) -> str:
    """``value`` as text that is safe inside a Markdown table cell."""
    return html.escape(str(value)).replace("|", "\\|")


def _flatten(data, prefix=""):
    for key, value in data.items():
        if key == "checks" and not prefix:
            continue  # shown in the Targets table
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _flatten(value, name + ".")
        else:
            yield name, _cell(_number(value))


def on_page_content(content, page, config, files):
    rel = page.file.src_uri
    if rel not in _executed:
        return content
    content = _rewrite_md_links(content, page, files)
    name = Path(rel).stem
    seconds = lessons.execution_seconds(_executed[rel])
    colab = ""
    repo = (config.get("repo_url") or "").rstrip("/")
    if repo.startswith("https://github.com/"):
        # The published site lives on the gh-pages branch (see .github/workflows/pages.yml),
        # executed notebooks included, so Colab can open them straight from GitHub.
        colab = (f'<a class="md-button" href="https://colab.research.google.com/github/'
                 f'{repo.removeprefix("https://github.com/")}/blob/gh-pages/{rel[:-3]}.ipynb">'
                 "Open in Colab</a>")
    bar = (
        '<div class="lesson-downloads">'
        f'<a class="md-button" href="../{name}.ipynb" download>Download notebook (.ipynb, with outputs)</a>'
        f'<a class="md-button" href="../{name}.md" download>Download source (Jupytext .md)</a>{colab}'
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
