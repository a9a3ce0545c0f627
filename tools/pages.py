"""Make an executed lesson page light: shared notebook CSS, plots as image files with alt text.

mkdocs-jupyter inlines its notebook stylesheet (~590 KB) into every lesson page and embeds each
plot as a base64 PNG, so a lesson page weighed 0.7-3.3 MB of HTML. After rendering:

- every ``<style>`` block of the notebook goes into one stylesheet per distinct content under
  ``assets/notebook/`` that every lesson page links to (the browser caches it once); a block that
  is a printed Python list (mkdocs-jupyter's template leaks one) is dropped;
- once every page is written, those stylesheets are cut down to the rules the pages can use
  (``tools/notebook_css.py``: ~590 KB to ~20 KB);
- every embedded PNG is written next to the page as ``fig-<hash>.webp`` (lossless, or quality 90
  for photographs; converted once and kept in the build cache), loaded lazily, with its size and
  an ``alt`` text that says what it shows: the cell's ``alt`` metadata when it has one, else what
  the lesson kernel read off the figure's titles, labels and legend (``tools/lesson_figures.py``).

Search (``outside_search``, ``plain_math``): outputs and copy buttons are kept out of the index;
formulas in it read as text.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import os
import re
from pathlib import Path

import notebook_css  # tools/notebook_css.py, beside this file

STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.S)
IMG = re.compile(r'<img\s[^>]*src="data:image/png;base64,([^"]+)"[^>]*>')
NO_ALT = "No description has been provided for this image"
FIGURE_PREFIX = "Figure: "


def figure_alts(nb) -> dict[str, str]:
    """``{base64 PNG: alt text}`` for every image output of an executed notebook."""
    alts = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        given = cell.metadata.get("alt")
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            png = data.get("image/png")
            if not png:
                continue
            text = str(data.get("text/plain", ""))
            described = text[len(FIGURE_PREFIX):] if text.startswith(FIGURE_PREFIX) else ""
            alts["".join(png.split())] = given or described or NO_ALT
    return alts


def shared_stylesheets(page: str, site_dir: Path) -> tuple[str, list[str]]:
    """Move the page's ``<style>`` blocks into shared files; return the page and their URLs
    (relative to the site root)."""
    urls = []

    def move(match):
        css = match[1]
        if css.lstrip().startswith("['"):  # a printed Python list, not CSS
            return ""
        name = f"assets/notebook/{hashlib.sha256(css.encode()).hexdigest()[:12]}.css"
        target = Path(site_dir) / name
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(css, encoding="utf-8")
        urls.append(name)
        return ""

    return STYLE.sub(move, page), urls


PHOTO_COLOURS = 4096  # more distinct colours than this: photographs, not line art
PHOTO_QUALITY = 90  # WebP quality for photographic figures (text in their titles stays crisp)


def _web_image(data: bytes) -> bytes:
    """The PNG as WebP: lossless for plots and line art, lossy for photographs.

    Lossless WebP is ~40 % smaller than the optimised PNG for matplotlib's figures; a grid of
    photos (the colour-images lesson) shrinks from ~1 MB to ~0.1 MB at quality 90.
    """
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    image.load()
    lossless = io.BytesIO()
    image.save(lossless, format="WEBP", lossless=True, method=4)
    if image.convert("RGB").getcolors(PHOTO_COLOURS) is not None:  # None: more colours than that
        return lossless.getvalue()
    lossy = io.BytesIO()
    image.save(lossy, format="WEBP", quality=PHOTO_QUALITY, method=4)
    return min(lossless.getvalue(), lossy.getvalue(), key=len)


def _figure(data: bytes, cache: Path | None) -> tuple[bytes, tuple[int, int]]:
    """The web image for a PNG output (from ``cache`` when made before), and its size."""
    from PIL import Image

    size = Image.open(io.BytesIO(data)).size  # reads the header only
    key = hashlib.sha256(data).hexdigest()[:24]
    cached = Path(cache) / f"{key}-q{PHOTO_QUALITY}.webp" if cache else None
    if cached and cached.is_file():
        return cached.read_bytes(), size
    web = _web_image(data)
    if cached:
        cached.parent.mkdir(parents=True, exist_ok=True)
        temporary = cached.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_bytes(web)
        temporary.replace(cached)  # atomic: a parallel build never reads half a file
    return web, size


def images_to_files(page: str, folder: Path, alts: dict[str, str], cache: Path | None = None) -> tuple[str, int]:
    """Write each embedded PNG to ``folder`` as a web image; return the page pointing at the
    files, and how many images had no description. ``cache`` keeps converted images between builds."""
    undescribed = 0

    def replace(match):
        nonlocal undescribed
        encoded = "".join(match[1].split())
        data, (width, height) = _figure(base64.b64decode(encoded), cache)
        name = f"fig-{hashlib.sha256(data).hexdigest()[:12]}.webp"
        target = Path(folder) / name
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        alt = alts.get(encoded, NO_ALT)
        undescribed += alt == NO_ALT
        return (f'<img src="{name}" alt="{html.escape(alt)}" width="{width}" height="{height}" '
                'loading="lazy" decoding="async">')

    return IMG.sub(replace, page), undescribed


def lighten(page: str, nb, page_folder: Path, site_dir: Path, site_root_url: str,
            cache: Path | None = None) -> tuple[str, int]:
    """The rendered lesson ``page`` with shared stylesheets and image files (see the module doc).

    ``site_root_url`` is the relative URL from the page to the site root (e.g. ``../../../``).
    Returns the page and the number of images without a description.
    """
    page, styles = shared_stylesheets(page, site_dir)
    links = "".join(f'<link rel="stylesheet" href="{site_root_url}{url}">' for url in dict.fromkeys(styles))
    page = page.replace("</head>", links + "</head>", 1)
    return images_to_files(page, page_folder, figure_alts(nb), cache)


def trim_shared_stylesheets(site_dir: Path, pages: list[Path], site_css: str = "") -> dict[str, int]:
    """Cut the shared notebook stylesheets down to what ``pages`` use (``tools/notebook_css.py``).

    Each trimmed sheet is renamed after its new content (a browser never keeps a stale copy) and
    the pages' links follow; a sheet with nothing left is unlinked. Only sheets these pages link
    are touched (``mkdocs build --dirty`` rewrites some pages; the others keep theirs).
    ``site_css`` is the site's own CSS, whose ``var(--jp-…)`` keep those properties. Returns
    ``{new name: bytes}``.
    """
    folder = Path(site_dir) / "assets" / "notebook"
    texts = {page: page.read_text(encoding="utf-8") for page in pages}
    linked = sorted({name for text in texts.values() for _, name in NOTEBOOK_CSS_LINK.findall(text)})
    sheets = {name: (folder / name).read_text(encoding="utf-8") for name in linked if (folder / name).is_file()}
    if not sheets:
        return {}
    trimmed = notebook_css.trim(sheets, notebook_css.page_classes(texts.values()),
                                site_css + "".join(texts.values()))
    renamed, sizes = {}, {}
    for old, css in trimmed.items():
        (folder / old).unlink()
        if not css.strip():
            renamed[old] = None
            continue
        new = f"{hashlib.sha256(css.encode()).hexdigest()[:12]}.css"
        (folder / new).write_text(css, encoding="utf-8")
        renamed[old], sizes[new] = new, len(css.encode())

    def relink(match):
        new = renamed.get(match[2], match[2])
        return "" if new is None else f'{match[1]}{new}">'

    for page, text in texts.items():
        page.write_text(NOTEBOOK_CSS_LINK.sub(relink, text), encoding="utf-8")
    return sizes


NOTEBOOK_CSS_LINK = re.compile(r'(<link rel="stylesheet" href="[^"]*assets/notebook/)([0-9a-f]+\.css)">')


# --- What the search index leaves out -------------------------------------------------------

SEARCH_EXCLUDED = re.compile(r'<div class="(?:zeroclipboard-container|clipboard-copy-txt|jp-OutputArea jp-Cell-outputArea)"')
# A script or style block (left as it is), or the start or end of an element.
TAG = re.compile(r"<(script|style)\b.*?</\1\s*>|<(/?)([A-Za-z][\w-]*)", re.S | re.I)
EXCLUDE = " data-search-exclude"


def outside_search(content: str) -> str:
    """Keep code outputs and the copy buttons (with their copy of each cell) out of the search index.

    Material indexes a page's whole text; for lessons that was every cell twice plus every
    printed tensor and training log (2.1 MB of index that each page loads). Prose and code
    stay searchable.

    Every element inside such a block is marked ``data-search-exclude``, not only the block:
    Material's search parser tells elements apart by tag name alone, so the first ``</div>``
    nested in an excluded ``<div>`` ended the exclusion, and every output of a cell after its
    first one was indexed. (Text straight inside an element after a nested element of the same
    name has closed would still be indexed; nbconvert's output markup has none.)
    """
    parts, pos = [], 0
    for block in SEARCH_EXCLUDED.finditer(content):
        if block.start() < pos:
            continue  # inside a block already marked
        parts.append(content[pos:block.start()])
        marked, pos = _marked_block(content, block.start())
        parts.append(marked)
    parts.append(content[pos:])
    return "".join(parts)


def _marked_block(content: str, start: int) -> tuple[str, int]:
    """The ``<div>`` that starts at ``start`` with every element in it marked, and where it ends."""
    parts, pos, depth = [], start, 0
    for tag in TAG.finditer(content, start):
        if tag[1]:
            continue
        if not tag[2]:
            parts += [content[pos:tag.end()], EXCLUDE]
            pos = tag.end()
        if tag[3].lower() == "div":
            depth += -1 if tag[2] else 1
            if depth == 0:
                end = content.index(">", tag.end()) + 1
                return "".join(parts) + content[pos:end], end
    return "".join(parts) + content[pos:], len(content)  # unclosed: marked to the end


# --- Search results show formulas as text, not LaTeX ----------------------------------------

SYMBOLS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε",
    "eta": "η", "theta": "θ", "lambda": "λ", "mu": "μ", "pi": "π", "rho": "ρ", "sigma": "σ",
    "tau": "τ", "phi": "φ", "varphi": "φ", "psi": "ψ", "omega": "ω", "Delta": "Δ", "Sigma": "Σ",
    "Theta": "Θ", "Lambda": "Λ", "Phi": "Φ", "Omega": "Ω", "partial": "∂", "nabla": "∇",
    "sum": "Σ", "prod": "∏", "cdot": "·", "times": "×", "le": "≤", "leq": "≤", "ge": "≥",
    "geq": "≥", "ne": "≠", "neq": "≠", "approx": "≈", "in": "∈", "infty": "∞", "to": "→",
    "rightarrow": "→", "leftarrow": "←", "pm": "±", "odot": "⊙", "circ": "∘", "ldots": "…",
    "cdots": "⋯", "quad": " ", "qquad": " ", ",": " ", ";": " ", "!": "", "left": "", "right": "",
}
SPACED = {"sum", "prod", "cdot", "times", "le", "leq", "ge", "geq", "ne", "neq", "approx", "in", "to",
          "rightarrow", "leftarrow", "pm", "odot"}
MATH = re.compile(r"\\\((.+?)\\\)|\\\[(.+?)\\\]|\$\$(.+?)\$\$|(?<![\w$\\])\$([^$\n]+?)\$(?!\w)", re.S)
COMMAND = re.compile(r"\\([A-Za-z]+|[,;!])")
INNERMOST = r"\{([^{}]*)\}"


def _group(text: str) -> str:
    """``text`` in brackets unless it is a single symbol or number."""
    return text if re.fullmatch(r"\\?\w+", text.strip()) else f"({text})"


def plain_formula(tex: str) -> str:
    """A LaTeX formula as readable text, for search results.

    Examples:
        >>> plain_formula(r"\\sigma(x) = \\frac{1}{1 + e^{-x}}")
        'σ(x) = 1/(1 + e^(-x))'
    """
    text = tex
    for _ in range(10):  # innermost groups first, so nested fractions come out right
        new = re.sub(r"\\[dt]?frac" + INNERMOST + INNERMOST, lambda m: f"{_group(m[1])}/{_group(m[2])}", text)
        new = re.sub(r"\\sqrt" + INNERMOST, r"√(\1)", new)
        new = re.sub(r"\\(?:text|mathrm|mathbf|mathit|operatorname|boldsymbol|mathcal)" + INNERMOST, r"\1", new)
        new = re.sub(r"\\hat" + INNERMOST, "\\1\u0302", new)
        new = re.sub(r"([_^])" + INNERMOST, lambda m: m[1] + _group(m[2]), new)
        if new == text:
            break
        text = new
    text = COMMAND.sub(lambda m: f" {SYMBOLS[m[1]]} " if m[1] in SPACED else SYMBOLS.get(m[1], m[1]), text)
    text = re.sub(r"\s+([_^])", r"\1", text)  # Σ_i, not Σ _i
    return " ".join(text.replace("{", "").replace("}", "").split())


def plain_math(text: str) -> str:
    """``text`` with every inline or display formula turned into :func:`plain_formula`."""
    return MATH.sub(lambda m: plain_formula(next(g for g in m.groups() if g is not None)), text)
