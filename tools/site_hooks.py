"""MkDocs hooks for learntorch's site (registered under ``hooks:`` in mkdocs.yml).

- Lessons: execute each ``docs/lessons/*/*.md`` the way a learner runs it (in parallel, cached;
  see ``tools/lessons.py``) and hand mkdocs-jupyter the executed notebook to render; publish
  the learntorch wheel, and beside each page the take-away notebook, its exercise copy and
  its Jupytext source, with a "Run it yourself" box at the top of the page
  (``tools/takeaway.py``); make the rendered pages light (``tools/pages.py``).
- Course map and benchmark tables on the pages that ask for them.

The glossary has its own hooks, ``tools/glossary_hooks.py``.
"""

from __future__ import annotations

import html
import posixpath
import re
import sys
import threading
import time
from pathlib import Path

import nbformat
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lesson_env  # noqa: E402  (tools/lesson_env.py)
import lessons  # noqa: E402  (tools/lessons.py)
import pages  # noqa: E402  (tools/pages.py)
import takeaway  # noqa: E402  (tools/takeaway.py)

_executed: dict[str, Path] = {}  # docs-relative lesson path -> executed .ipynb
_lessons: dict[str, lessons.Lesson] = {}
_published: dict[str, Path] = {}  # docs-relative lesson path -> its take-away notebook
_pending: dict[str, bool] = {}  # lessons `mkdocs serve` is still executing -> showing older outputs?
_lesson_pages: list[Path] = []  # this build's lesson pages in site/, for the stylesheet trim
_serving = False
_nav = None
COURSE_MAP_MARKER = "<!-- course-map -->"
BENCHMARKS_MARKER = "<!-- benchmark-results -->"


def _root(config) -> Path:
    """The project folder: where mkdocs.yml is (src/, .cache/ and snippets/ sit beside it)."""
    return Path(config.config_file_path).resolve().parent


def on_startup(command, dirty):
    global _serving
    _serving = command == "serve"


def on_serve(server, config, builder):
    # A lesson that finishes executing in the background lands here: rebuild, and the page
    # the reader has open reloads with its outputs.
    folder = lessons.cache_root(_root(config))
    folder.mkdir(parents=True, exist_ok=True)
    server.watch(str(folder))
    # Lessons import the library: editing it re-executes those that reach the edited file.
    library = _root(config) / "src" / "learntorch"
    if library.is_dir():
        server.watch(str(library))
    return server


@event_priority(100)  # before mkdocs-jupyter's on_files, which must see the .ipynb paths
def on_files(files, config):
    root = _root(config)
    _executed.clear()
    _lessons.clear()
    _pending.clear()
    _lesson_pages.clear()
    lesson_files = [f for f in files if f.src_uri.startswith("lessons/") and f.src_uri.endswith(".md")
                    and f.src_uri.count("/") == 2 and lessons.is_lesson(Path(f.abs_src_path))]
    try:
        found = [lessons.Lesson.read(Path(f.abs_src_path), f.src_uri) for f in lesson_files]
        wheel = lesson_env.build_wheel(root, log=_log)
        if _serving:  # show the site at once; lessons not executed yet run in the background
            notebooks = _serve_lessons(found, root)
        else:  # mkdocs build waits for every lesson, and fails on any
            notebooks = lessons.execute_lessons(found, root, log=_log)
    except (lessons.LessonError, lesson_env.LessonEnvError) as err:
        raise PluginError(str(err)) from err
    files.append(File.generated(config, wheel.name, abs_src_path=str(wheel)))  # the site serves it
    for file, lesson in zip(lesson_files, found):
        _lessons[lesson.rel] = lesson
        _register(files, file, lesson, notebooks[lesson.rel], config)
    return files


class _Background:
    """Lessons executing while ``mkdocs serve`` already shows the site (one run at a time)."""

    thread: threading.Thread | None = None
    started: float = 0.0
    error: str | None = None


def _serve_lessons(found, root: Path) -> dict:
    """The notebook to show for each lesson now; starts executing the missing ones if idle.

    A lesson not executed for the current source shows its previous outputs, if it has any,
    or a placeholder, with a banner saying it is being executed (``_pending``).
    """
    fp = lessons.fingerprint(root)
    notebooks, missing = {}, []
    for lesson in found:
        ready = lessons.cached_notebook(lesson, root, fp)
        if ready is None:
            missing.append(lesson)
        notebooks[lesson.rel] = ready
    if missing and not (_Background.thread and _Background.thread.is_alive()):
        _Background.error, _Background.started = None, time.time()

        def run():
            try:
                lessons.execute_lessons(missing, root, fp, log=_log)
            except lessons.LessonError as err:
                _Background.error = str(err)
                _log(f"executing lessons failed:\n{err}")
            finally:  # a rebuild picks up what finished (or shows the error)
                lessons.cache_root(root).mkdir(parents=True, exist_ok=True)
                (lessons.cache_root(root) / "serve-finished").write_text(str(time.time()))

        _Background.thread = threading.Thread(target=run, name="learntorch-lessons", daemon=True)
        _Background.thread.start()
        _log(f"serving now; executing {len(missing)} lesson(s) in the background (pages update as each finishes)")
    for lesson in missing:
        older = sorted(lessons.cache_root(root).glob(f"*/{Path(lesson.rel).with_suffix('.ipynb').as_posix()}"),
                       key=lambda p: p.stat().st_mtime)
        _pending[lesson.rel] = bool(older)
        notebooks[lesson.rel] = older[-1] if older else _placeholder(lesson, root)
    return notebooks


def _placeholder(lesson, root: Path) -> Path:
    """A notebook that stands in for a lesson until it has run (path fits mkdocs-jupyter's include)."""
    title = lessons.title(lesson.path)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"# {title}")],
                                  metadata={"learntorch": {"placeholder": True}})
    path = root / ".cache" / "placeholders" / Path(lesson.rel).with_suffix(".ipynb")
    return _write_if_changed(path, nb)


def _install_source(config) -> str | None:
    wheel = lesson_env.wheel_name(_root(config))
    return takeaway.install_source(wheel, config.get("site_url"), config.get("repo_url"))


def _register(files, file, lesson, notebook: Path, config) -> None:
    """Point the page at its executed notebook; publish the take-away copies beside it."""
    rel = lesson.rel
    _executed[rel] = notebook
    file.abs_src_path = str(notebook)  # mkdocs-jupyter renders the executed notebook
    nb = nbformat.read(notebook, as_version=4)
    version = lesson_env.project_version(_root(config))
    cell = takeaway.install_cell_source(_root(config), lesson.extras, version, _install_source(config))
    published = takeaway.with_install_cell(nb, cell)  # the address this site installs from
    # Outside any lessons/<part>/ folder, so mkdocs-jupyter does not render them as pages.
    folder = _root(config) / ".cache" / "published" / Path(rel).parent.name
    name = Path(rel).stem
    _published[rel] = _write_if_changed(folder / f"{name}.ipynb", published)
    exercises = _write_if_changed(folder / f"{name}-exercises.ipynb", takeaway.exercise_copy(published))
    for path in (_published[rel], exercises):
        files.append(File.generated(config, f"{Path(rel).parent.as_posix()}/{path.name}", abs_src_path=str(path)))


def _write_if_changed(path: Path, nb) -> Path:
    text = nbformat.writes(nb)
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return path


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
        ran = f"{seconds:.0f} s" if seconds is not None and rel not in _pending else "running"
        rows.append(f"| {link(lesson)} | {lessons.goal(Path(config['docs_dir']) / rel)} | "
                    f"{link(previous) if previous else '-'} | {ran} |")
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
        # The reference pages' "Source code" blocks repeat every docstring and function body:
        # search finds the documentation; the code is one click away on the page.
        return content.replace('<details class="mkdocstrings-source">',
                               '<details data-search-exclude class="mkdocstrings-source">')
    content = _rewrite_md_links(content, page, files)
    lesson = _lessons[rel]
    colab = None
    repo = (config.get("repo_url") or "").rstrip("/")
    if repo.startswith("https://github.com/"):
        # The published site lives on the gh-pages branch (see .github/workflows/pages.yml),
        # take-away notebooks included, so Colab can open them straight from GitHub.
        colab = (f"https://colab.research.google.com/github/{repo.removeprefix('https://github.com/')}"
                 f"/blob/gh-pages/{rel[:-3]}.ipynb")
    content = pages.outside_search(content)
    if rel in _pending:
        return _pending_banner(_pending[rel]) + content
    depth = "../" * (rel.count("/") + 1)  # the page's URL is lessons/<part>/<name>/
    box = takeaway.run_box(name=Path(rel).stem, extras=lesson.extras, source=_install_source(config),
                           wheel=lesson_env.wheel_name(_root(config)),
                           seconds=lessons.execution_seconds(_executed[rel]), colab_url=colab,
                           relative_root=depth)
    # Under the title and goal, above the first code cell (the install cell is not shown).
    first_code = content.find('<div class="jp-Cell jp-CodeCell')
    return box + content if first_code < 0 else content[:first_code] + box + content[first_code:]


def _pending_banner(older: bool) -> str:
    if _Background.error:
        state = ("Executing the lessons failed; the console running <code>mkdocs serve</code> shows why:"
                 f"<pre>{html.escape(_Background.error[:2000])}</pre>")
    else:
        since = time.strftime("%H:%M:%S", time.localtime(_Background.started))
        shown = ("The outputs below are from an earlier version of the lesson or the library."
                 if older else "Its outputs appear here when it has run.")
        state = (f"This lesson is being executed (since {since}); this page reloads by itself when it is "
                 f"done. {shown}")
    return f'<div class="admonition warning" role="status"><p class="admonition-title">Not executed yet</p><p>{state}</p></div>'


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


def on_post_page(output, page, config):
    """Lesson pages: notebook CSS in shared files, plots as image files with alt text."""
    rel = page.file.src_uri
    if rel not in _executed:
        return output
    site_dir = Path(config["site_dir"])
    folder = site_dir / Path(page.file.dest_uri).parent
    root_url = "../" * Path(page.file.dest_uri).parent.as_posix().count("/") + "../"
    nb = nbformat.read(_executed[rel], as_version=4)
    output, undescribed = pages.lighten(output, nb, folder, site_dir, root_url,
                                        cache=_root(config) / ".cache" / "figures")
    _lesson_pages.append(site_dir / page.file.dest_uri)
    if undescribed:
        _log(f"{rel}: {undescribed} plot(s) have no title or labels to describe them (alt text)")
    return output


def on_post_build(config):
    _plain_search_index(Path(config["site_dir"]) / "search" / "search_index.json")
    site_css = "".join(path.read_text(encoding="utf-8")
                       for path in (Path(config["docs_dir"]) / "stylesheets").glob("*.css"))
    pages.trim_shared_stylesheets(Path(config["site_dir"]), _lesson_pages, site_css)
    # The Jupytext source as a download (mkdocs copies only the rendered page), with the
    # install cell, like the notebook: a learner can run either.
    import jupytext

    for rel, notebook in _published.items():
        target = Path(config["site_dir"]) / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        nb = nbformat.read(notebook, as_version=4)
        needs = nb.metadata.get("learntorch", {})
        nb.metadata["learntorch"] = {k: needs[k] for k in ("extras", "shared") if needs.get(k)}
        for cell in nb.cells:
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
        target.write_text(jupytext.writes(nb, fmt="md"), encoding="utf-8")


def _plain_search_index(index: Path) -> None:
    """Search results show formulas as readable text (sigma(x) = 1/(1 + e^(-x))), not LaTeX."""
    import json

    if not index.is_file():
        return
    data = json.loads(index.read_text(encoding="utf-8"))
    for doc in data.get("docs", []):
        for key in ("title", "text"):
            if key in doc:
                doc[key] = pages.plain_math(doc[key])
    index.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _log(message: str) -> None:
    import logging

    logging.getLogger("mkdocs.learntorch").info(message)
